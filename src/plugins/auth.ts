// Bearer authentication: API keys for /v1 (resolving the caller's account) and the admin token for /admin/v1.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.js'
import { adminTokenExists, findAccountIdByKeyHash, touchApiKey } from '../db/repositories/accounts.js'
import type { DB } from '../db/schema.js'
import { UnauthorizedError } from '../errors.js'
import { hashToken, safeEqual } from '../secrets.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The account of the API key that authenticated this request (only on /v1 routes). */
    accountId: string
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  if (typeof header !== 'string') return null
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(header)
  return match?.[1] ?? null
}

// last_used_at is written at most once a minute per key, so reads stay reads.
const TOUCH_EVERY_MS = 60_000

// Key hash → account, kept briefly so that an app's stream of requests does not cost a database round trip
// each (availability answers in a few milliseconds, and this lookup was one of its queries). A key revoked
// through this process stops working at once: the cache is bypassed while a revoke runs and emptied when it
// answers. A key revoked through another instance (or the CLI) stops working here within KEY_CACHE_TTL_MS.
// Unknown and revoked keys are never cached. The TTL runs on the process's monotonic clock, not the app clock.
export const KEY_CACHE_TTL_MS = 5_000
const KEY_CACHE_MAX_ENTRIES = 10_000
const REVOKE_ROUTE = '/v1/api-keys/:id'

interface CachedKey {
  accountId: string
  keyId: string
  until: number
}

export function apiKeyAuth(db: Kysely<DB>, clock: Clock) {
  const touched = new Map<string, number>()
  const cache = new Map<string, CachedKey>()
  // Bumped whenever the cache is emptied: a lookup that began before does not store its (maybe stale) answer.
  let generation = 0
  let revokesInFlight = 0
  const forgetAll = () => {
    generation++
    cache.clear()
  }

  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = bearerToken(request)
    if (!token) throw new UnauthorizedError()
    if (request.method === 'DELETE' && request.routeOptions.url === REVOKE_ROUTE) {
      revokesInFlight++
      forgetAll()
      let done = false
      const revokeAnswered = () => {
        if (done) return
        done = true
        revokesInFlight--
        forgetAll()
      }
      reply.raw.once('finish', revokeAnswered)
      reply.raw.once('close', revokeAnswered)
    }
    const keyHash = hashToken(token)
    const at = performance.now()
    let found: { accountId: string; keyId: string } | null | undefined
    const cached = revokesInFlight === 0 ? cache.get(keyHash) : undefined
    if (cached && cached.until > at) {
      found = cached
    } else {
      const startedIn = generation
      found = await findAccountIdByKeyHash(db, keyHash)
      if (found && revokesInFlight === 0 && startedIn === generation) {
        if (cache.size >= KEY_CACHE_MAX_ENTRIES) cache.clear()
        cache.set(keyHash, { ...found, until: at + KEY_CACHE_TTL_MS })
      } else if (!found) {
        cache.delete(keyHash)
      }
    }
    if (!found) throw new UnauthorizedError('The API key is unknown or revoked.')
    request.accountId = found.accountId
    const now = clock.now()
    if ((touched.get(found.keyId) ?? 0) + TOUCH_EVERY_MS < now.getTime()) {
      touched.set(found.keyId, now.getTime())
      await touchApiKey(db, found.accountId, found.keyId, now)
    }
  }
}

export function adminAuth(db: Kysely<DB>, configuredToken: string | null) {
  return async function authenticateAdmin(request: FastifyRequest): Promise<void> {
    const token = bearerToken(request)
    if (!token)
      throw new UnauthorizedError('The admin token is required: Authorization: Bearer <ADMIN_TOKEN>.')
    const ok = configuredToken
      ? safeEqual(token, configuredToken)
      : await adminTokenExists(db, hashToken(token))
    if (!ok) throw new UnauthorizedError('The admin token is wrong.')
  }
}

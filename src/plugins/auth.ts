// Bearer authentication: API keys for /v1 (resolving the caller's account) and the admin token for /admin/v1.
import type { FastifyRequest } from 'fastify'
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

export function apiKeyAuth(db: Kysely<DB>, clock: Clock) {
  const touched = new Map<string, number>()
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const token = bearerToken(request)
    if (!token) throw new UnauthorizedError()
    const found = await findAccountIdByKeyHash(db, hashToken(token))
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

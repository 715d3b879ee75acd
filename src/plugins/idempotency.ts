// Idempotency-Key on POST routes (SPEC 1.3): a repeat of a key seen in the last 24 h answers the first response
// and does nothing; the same key with another request is 422. The key is claimed in the same transaction as the
// work, so a crash can never leave the work done and the answer unrecorded, and a concurrent repeat waits for
// the first to commit, then replays it.
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import { Type } from 'typebox'
import { inTransaction } from '../db/transaction.js'
import type { Deps } from '../deps.js'
import { DomainError, UnprocessableError, ValidationError } from '../errors.js'
import { decryptSecret, encryptSecret } from '../sync/crypto.js'
import { domainProblem } from './problem.js'

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

export const IdempotencyHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'Makes the request safe to retry: a repeat within 24 h answers the first response and changes nothing; the same key with a different request is 422.',
    }),
  ),
})

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    )
  }
  return value
}

function fingerprint(request: FastifyRequest): string {
  const route = request.routeOptions.url ?? request.url
  return createHash('sha256')
    .update(
      JSON.stringify([request.method, route, canonical(request.params), canonical(request.body ?? null)]),
    )
    .digest('base64url')
}

// A stored answer may hold secrets shown once (an API key, a link or manage token, a webhook secret): it is kept
// encrypted under the encryption key like every other secret at rest.
function sealResponse(deps: Deps, body: unknown): { sealed: string } {
  return { sealed: encryptSecret(deps.encryptionKey(), JSON.stringify(body ?? null)) }
}

function openResponse(deps: Deps, stored: unknown): unknown {
  return JSON.parse(decryptSecret(deps.encryptionKey(), (stored as { sealed: string }).sealed))
}

/**
 * Runs a POST's work. Without an Idempotency-Key it just runs. With one, it runs inside a transaction that first
 * claims the key; the work gets `deps` whose `db` is that transaction, so the services join it. Set the success
 * status on `reply` before calling.
 */
export async function idempotently<R>(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  work: (deps: Deps) => Promise<R>,
): Promise<R> {
  const key = request.headers['idempotency-key']
  if (key === undefined) return work(deps)
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
    throw new ValidationError([{ pointer: '/headers/idempotency-key', message: 'must be 1–255 characters' }])
  }
  const accountId = request.accountId
  const print = fingerprint(request)
  const outcome = await inTransaction(deps.db, async (trx) => {
    const now = deps.clock.now()
    await trx
      .deleteFrom('idempotency_keys')
      .where('account_id', '=', accountId)
      .where('key', '=', key)
      .where('created_at', '<', new Date(now.getTime() - IDEMPOTENCY_TTL_MS))
      .execute()
    // A concurrent request with the same key blocks here until the first commits, then finds its row.
    const claimed = await trx
      .insertInto('idempotency_keys')
      .values({
        account_id: accountId,
        key,
        fingerprint: print,
        status_code: 0,
        response: null,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['account_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst()
    if (!claimed) {
      const first = await trx
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('key', '=', key)
        .executeTakeFirstOrThrow()
      if (first.fingerprint !== print) {
        throw new UnprocessableError(
          'idempotency_key_reused',
          'This Idempotency-Key was used with a different request in the last 24 hours.',
        )
      }
      return { replay: true as const, status: first.status_code, body: openResponse(deps, first.response) }
    }
    await sql`SAVEPOINT idempotent_work`.execute(trx)
    let status: number
    let body: unknown
    let error: DomainError | null = null
    try {
      const result = await work({ ...deps, db: trx })
      status = reply.statusCode
      body = result
    } catch (err) {
      // Domain errors are answers too (a 409 is replayed as a 409); anything else rolls back the claim.
      if (!(err instanceof DomainError)) throw err
      await sql`ROLLBACK TO SAVEPOINT idempotent_work`.execute(trx)
      error = err
      const p = domainProblem(err)
      status = p.status
      body = p
    }
    await trx
      .updateTable('idempotency_keys')
      .set({ status_code: status, response: JSON.stringify(sealResponse(deps, body)) })
      .where('account_id', '=', accountId)
      .where('key', '=', key)
      .execute()
    return { replay: false as const, status, body, error }
  })
  if (outcome.replay) {
    reply.header('idempotent-replayed', 'true').code(outcome.status)
    if (outcome.status >= 400) reply.type('application/problem+json')
    return outcome.body as R
  }
  if (outcome.error) throw outcome.error
  return outcome.body as R
}

// Delivering app webhooks (SPEC 1.7), in the worker only: one job POSTs one event to one endpoint, signed the
// Standard Webhooks way, and reschedules itself with exponential backoff and jitter for over 24 h before the
// delivery is `failed` and the endpoint `failing`. Every attempt carries the same `webhook-id` (the outbox id).
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import type { Transaction } from 'kysely'
import type PgBoss from 'pg-boss'
import { Webhook } from 'standardwebhooks'
import * as repo from '../db/repositories/webhooks.js'
import type { DB } from '../db/schema.js'
import { inTransaction } from '../db/transaction.js'
import type { Deps } from '../deps.js'
import { newId } from '../ids.js'
import { QUEUES, transactionExecutor } from '../jobs/queue.js'
import { decryptSecret } from '../sync/crypto.js'
import { guardedLookup, isPrivateAddress } from './webhook-urls.js'

export interface WebhookDeliveryJob {
  accountId: string
  endpointId: string
  deliveryId: string
}

export const DELIVERY_TIMEOUT_MS = 10_000

/**
 * Waits before each retry: 5 s doubling to 2,560 s, then 23 waits of 1 h (each stretched by 0–25 % jitter):
 * 34 attempts over 24.4–30.5 h. Jitter only ever lengthens a wait, so the 24 h promise holds.
 */
export const DEFAULT_RETRY_DELAYS_SECONDS: readonly number[] = [
  ...Array.from({ length: 10 }, (_, i) => 5 * 2 ** i),
  ...Array.from({ length: 23 }, () => 3600),
]

/** The body apps receive; stored with the delivery so every attempt sends the same bytes. */
export function webhookPayload(type: string, timestamp: Date, data: unknown) {
  return { type, timestamp: timestamp.toISOString(), data }
}

/** In the dispatcher's transaction: one delivery and one job per subscribed endpoint, or none if it rolls back. */
export async function enqueueDeliveries(
  trx: Transaction<DB>,
  boss: PgBoss,
  event: { id: string; accountId: string; type: string; payload: unknown; createdAt: Date },
  at: Date,
): Promise<number> {
  const endpointIds = await repo.listSubscribedEndpoints(trx, event.accountId, event.type)
  const db = transactionExecutor(trx)
  let queued = 0
  for (const endpointId of endpointIds) {
    const deliveryId = newId()
    const inserted = await repo.insertDelivery(
      trx,
      event.accountId,
      {
        id: deliveryId,
        endpointId,
        eventId: event.id,
        eventType: event.type,
        payload: webhookPayload(event.type, event.createdAt, event.payload),
      },
      at,
    )
    if (!inserted) continue
    const job: WebhookDeliveryJob = { accountId: event.accountId, endpointId, deliveryId }
    await boss.send(QUEUES.webhookDelivery, job, { db })
    queued++
  }
  return queued
}

/** Gives a job to deliveries that have none (redeliveries asked for through the API, which has no queue). */
export async function dispatchRedeliveries(deps: Deps, boss: PgBoss, limit = 100): Promise<number> {
  return deps.db.transaction().execute(async (trx) => {
    const rows = await repo.claimUnqueuedDeliveries(trx, limit)
    const db = transactionExecutor(trx)
    for (const row of rows) {
      const delivery = await trx
        .selectFrom('webhook_deliveries')
        .select('endpoint_id')
        .where('account_id', '=', row.account_id)
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow()
      const job: WebhookDeliveryJob = {
        accountId: row.account_id,
        endpointId: delivery.endpoint_id,
        deliveryId: row.id,
      }
      await boss.send(QUEUES.webhookDelivery, job, { db })
    }
    await repo.markDeliveriesQueued(
      trx,
      rows.map((r) => r.id),
      deps.clock.now(),
    )
    return rows.length
  })
}

/** Longer than the longest wait between attempts, so a delivery waiting for its retry is never overdue. */
export function overdueAfterMs(jobTimeoutSeconds: number, retryDelaysSeconds: readonly number[]): number {
  return (Math.max(0, ...retryDelaysSeconds) * 1.25 + jobTimeoutSeconds * 2) * 1000 + DELIVERY_TIMEOUT_MS
}

/** Re-dispatches deliveries whose job was lost; safe anywhere, any time (a spare job finds it delivered). */
export function requeueOverdueDeliveries(deps: Deps, overdueMs: number): Promise<number> {
  return repo.unqueueOverdueDeliveries(deps.db, new Date(deps.clock.now().getTime() - overdueMs), 500)
}

interface AttemptResult {
  status: number | null
  error: string | null
}

/** One POST with a 10 s budget; the socket only ever connects to an address the guard accepted. */
function post(url: string, headers: Record<string, string>, body: string, allowPrivate: boolean) {
  return new Promise<AttemptResult>((resolve) => {
    let target: URL
    try {
      target = new URL(url)
    } catch {
      resolve({ status: null, error: 'invalid URL' })
      return
    }
    const host = target.hostname.replace(/^\[|\]$/g, '')
    if (!allowPrivate && (host === 'localhost' || (isIP(host) !== 0 && isPrivateAddress(host)))) {
      resolve({ status: null, error: 'the endpoint’s address is private or loopback' })
      return
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(allowPrivate),
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      },
      (res) => {
        // Read and drop the answer so the socket is released; only the status matters.
        res.on('data', () => {})
        res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }))
        res.on('error', (err) => resolve({ status: res.statusCode ?? null, error: err.message }))
      },
    )
    req.on('error', (err: Error & { code?: string }) => {
      const error =
        err.name === 'AbortError' || err.name === 'TimeoutError' ? 'timed out after 10 s' : err.message
      resolve({ status: null, error })
    })
    req.end(body)
  })
}

/** One attempt of one delivery; records the outcome and schedules the next attempt or gives up. */
export async function deliverWebhook(
  deps: Deps,
  boss: PgBoss,
  job: WebhookDeliveryJob,
  retryDelaysSeconds: readonly number[] = DEFAULT_RETRY_DELAYS_SECONDS,
): Promise<void> {
  const { accountId, endpointId, deliveryId } = job
  const delivery = await repo.findDelivery(deps.db, accountId, endpointId, deliveryId)
  if (delivery?.status !== 'pending') return
  const endpoint = await repo.findEndpoint(deps.db, accountId, endpointId)
  if (!endpoint) return
  if (!endpoint.enabled) {
    await repo.recordAttempt(
      deps.db,
      accountId,
      deliveryId,
      {
        status: 'failed',
        attempts: delivery.attempts,
        responseCode: delivery.lastResponseCode,
        error: 'the endpoint is disabled',
        nextAttemptAt: null,
      },
      deps.clock.now(),
    )
    return
  }

  const body = JSON.stringify(delivery.payload)
  const sentAt = new Date()
  const secret = decryptSecret(deps.encryptionKey(), endpoint.secretEnc)
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'officehours-webhooks/1',
    'webhook-id': delivery.eventId,
    // The attempt's own time, not the event's: receivers reject stale timestamps to stop replays.
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(delivery.eventId, sentAt, body),
  }
  const result = await post(endpoint.url, headers, body, deps.config.webhookAllowPrivateUrls)
  const attempts = delivery.attempts + 1
  const now = deps.clock.now()
  const ok = result.status !== null && result.status >= 200 && result.status < 300
  const error = ok ? null : (result.error ?? `answered ${result.status}`)

  if (ok) {
    // The delivery and its endpoint's status change together: nobody sees it delivered with the endpoint failing.
    await inTransaction(deps.db, async (trx) => {
      await repo.recordAttempt(
        trx,
        accountId,
        deliveryId,
        { status: 'delivered', attempts, responseCode: result.status, error: null, nextAttemptAt: null },
        now,
      )
      await repo.setEndpointStatus(trx, accountId, endpointId, 'active', now)
    })
    deps.metrics.webhookDeliveries.inc({ outcome: 'delivered' })
    return
  }
  const wait = retryDelaysSeconds[attempts - 1]
  if (wait === undefined) {
    await inTransaction(deps.db, async (trx) => {
      await repo.recordAttempt(
        trx,
        accountId,
        deliveryId,
        { status: 'failed', attempts, responseCode: result.status, error, nextAttemptAt: null },
        now,
      )
      await repo.setEndpointStatus(trx, accountId, endpointId, 'failing', now)
    })
    deps.metrics.webhookDeliveries.inc({ outcome: 'failed' })
    deps.log.warn({ endpointId, deliveryId, attempts, error }, 'webhook delivery failed for good')
    return
  }
  const delayMs = wait * 1000 * (1 + Math.random() * 0.25)
  // The outcome and the next attempt's job commit together: a crash in between cannot strand the delivery.
  await inTransaction(deps.db, async (trx) => {
    await repo.recordAttempt(
      trx,
      accountId,
      deliveryId,
      {
        status: 'pending',
        attempts,
        responseCode: result.status,
        error,
        nextAttemptAt: new Date(now.getTime() + delayMs),
      },
      now,
    )
    await boss.send(QUEUES.webhookDelivery, job, {
      startAfter: new Date(Date.now() + delayMs),
      db: transactionExecutor(trx),
    })
  })
  deps.metrics.webhookDeliveries.inc({ outcome: 'retry' })
}

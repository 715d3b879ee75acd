// Webhook endpoints of apps and the deliveries of outbox events to them.
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely'
import { type Page, type PageRequest, paginate } from '../pagination.js'
import type {
  DB,
  WebhookDeliveriesTable,
  WebhookDeliveryStatus,
  WebhookEndpointStatus,
  WebhookEndpointsTable,
} from '../schema.js'

export interface WebhookEndpoint {
  id: string
  url: string
  events: string[]
  description: string | null
  enabled: boolean
  status: WebhookEndpointStatus
  failingSince: Date | null
  createdAt: Date
  updatedAt: Date
}

/** An endpoint with its encrypted secret: only the delivery worker and secret rotation read this. */
export interface StoredWebhookEndpoint extends WebhookEndpoint {
  secretEnc: string
}

export interface WebhookDelivery {
  id: string
  endpointId: string
  eventId: string
  eventType: string
  status: WebhookDeliveryStatus
  attempts: number
  lastResponseCode: number | null
  lastError: string | null
  lastAttemptAt: Date | null
  nextAttemptAt: Date | null
  deliveredAt: Date | null
  createdAt: Date
  updatedAt: Date
}

export interface StoredWebhookDelivery extends WebhookDelivery {
  payload: unknown
}

function rowToEndpoint(row: Selectable<WebhookEndpointsTable>): StoredWebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    status: row.status,
    failingSince: row.failing_since,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    secretEnc: row.secret_enc,
  }
}

/** Drops the secret: what routes may see. */
export function publicEndpoint(e: StoredWebhookEndpoint): WebhookEndpoint {
  const { secretEnc: _secret, ...rest } = e
  return rest
}

function rowToDelivery(row: Selectable<WebhookDeliveriesTable>): StoredWebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastResponseCode: row.last_response_code,
    lastError: row.last_error,
    lastAttemptAt: row.last_attempt_at,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    payload: row.payload,
  }
}

export async function insertEndpoint(
  db: Kysely<DB>,
  accountId: string,
  e: { id: string; url: string; events: string[]; description: string | null; secretEnc: string },
  at: Date,
): Promise<StoredWebhookEndpoint> {
  const row = await db
    .insertInto('webhook_endpoints')
    .values({
      id: e.id,
      account_id: accountId,
      url: e.url,
      events: JSON.stringify(e.events),
      description: e.description,
      secret_enc: e.secretEnc,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return rowToEndpoint(row)
}

export async function findEndpoint(
  db: Kysely<DB>,
  accountId: string,
  id: string,
): Promise<StoredWebhookEndpoint | null> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? rowToEndpoint(row) : null
}

export async function listEndpoints(
  db: Kysely<DB>,
  accountId: string,
  page: PageRequest,
): Promise<Page<StoredWebhookEndpoint>> {
  const result = await paginate(
    db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId),
    'webhook_endpoints',
    page,
  )
  return { data: result.data.map(rowToEndpoint), nextCursor: result.nextCursor }
}

/** Enabled endpoints of the account subscribed to an event type (the dispatcher, inside its transaction). */
export async function listSubscribedEndpoints(
  db: Kysely<DB>,
  accountId: string,
  eventType: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select('id')
    .where('account_id', '=', accountId)
    .where('enabled', '=', true)
    .where(sql<boolean>`events @> ${JSON.stringify([eventType])}::jsonb`)
    .orderBy('id')
    .execute()
  return rows.map((r) => r.id)
}

export async function updateEndpoint(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  change: {
    url?: string | undefined
    events?: string[] | undefined
    description?: string | null | undefined
    enabled?: boolean | undefined
    secretEnc?: string | undefined
  },
  at: Date,
): Promise<StoredWebhookEndpoint | null> {
  const row = await db
    .updateTable('webhook_endpoints')
    .set({
      ...(change.url !== undefined ? { url: change.url } : {}),
      ...(change.events !== undefined ? { events: JSON.stringify(change.events) } : {}),
      ...(change.description !== undefined ? { description: change.description } : {}),
      ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
      ...(change.secretEnc !== undefined ? { secret_enc: change.secretEnc } : {}),
      updated_at: at,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row ? rowToEndpoint(row) : null
}

export async function deleteEndpoint(db: Kysely<DB>, accountId: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('webhook_endpoints')
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function setEndpointStatus(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  status: WebhookEndpointStatus,
  at: Date,
): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ status, failing_since: status === 'failing' ? at : null, updated_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('status', '!=', status)
    .execute()
}

/** One delivery per endpoint and event: a second dispatch of the same event inserts nothing (returns false). */
export async function insertDelivery(
  trx: Transaction<DB>,
  accountId: string,
  d: { id: string; endpointId: string; eventId: string; eventType: string; payload: unknown },
  at: Date,
): Promise<boolean> {
  const row = await trx
    .insertInto('webhook_deliveries')
    .values({
      id: d.id,
      account_id: accountId,
      endpoint_id: d.endpointId,
      event_id: d.eventId,
      event_type: d.eventType,
      payload: JSON.stringify(d.payload),
      queued_at: at,
      next_attempt_at: at,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

export async function findDelivery(
  db: Kysely<DB>,
  accountId: string,
  endpointId: string,
  id: string,
): Promise<StoredWebhookDelivery | null> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('endpoint_id', '=', endpointId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? rowToDelivery(row) : null
}

export async function listDeliveries(
  db: Kysely<DB>,
  accountId: string,
  endpointId: string,
  filter: { status?: WebhookDeliveryStatus | undefined },
  page: PageRequest,
): Promise<Page<StoredWebhookDelivery>> {
  let q = db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('endpoint_id', '=', endpointId)
  if (filter.status) q = q.where('status', '=', filter.status)
  const result = await paginate(q, 'webhook_deliveries', page)
  return { data: result.data.map(rowToDelivery), nextCursor: result.nextCursor }
}

/** Records one attempt's outcome. */
export async function recordAttempt(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  outcome: {
    status: WebhookDeliveryStatus
    attempts: number
    responseCode: number | null
    error: string | null
    nextAttemptAt: Date | null
  },
  at: Date,
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: outcome.status,
      attempts: outcome.attempts,
      last_response_code: outcome.responseCode,
      last_error: outcome.error,
      last_attempt_at: at,
      next_attempt_at: outcome.nextAttemptAt,
      ...(outcome.status === 'delivered' ? { delivered_at: at } : {}),
      updated_at: at,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .execute()
}

/** A redelivery by hand: a fresh round of attempts, picked up (queued) by the next worker dispatch. */
export async function resetDelivery(
  db: Kysely<DB>,
  accountId: string,
  endpointId: string,
  id: string,
  at: Date,
): Promise<StoredWebhookDelivery | null> {
  const row = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: at, queued_at: null, updated_at: at })
    .where('account_id', '=', accountId)
    .where('endpoint_id', '=', endpointId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row ? rowToDelivery(row) : null
}

/** Pending deliveries without a queue job, locked so that one dispatcher takes each (across all accounts). */
export async function claimUnqueuedDeliveries(trx: Transaction<DB>, limit: number) {
  return trx
    .selectFrom('webhook_deliveries')
    .select(['id', 'account_id'])
    .where('queued_at', 'is', null)
    .where('status', '=', 'pending')
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()
}

export async function markDeliveriesQueued(trx: Transaction<DB>, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return
  await trx.updateTable('webhook_deliveries').set({ queued_at: at }).where('id', 'in', ids).execute()
}

/**
 * Pending deliveries whose next attempt is long overdue (their job was lost: pg-boss gave up after repeated
 * worker crashes) are handed back to the dispatcher, across all accounts. Returns how many.
 */
export async function unqueueOverdueDeliveries(db: Kysely<DB>, overdueBefore: Date, limit: number) {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ queued_at: null })
    .where(
      'id',
      'in',
      db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('queued_at', 'is not', null)
        .where('next_attempt_at', '<', overdueBefore)
        .limit(limit),
    )
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

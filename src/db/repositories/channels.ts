// Push channels and polling per busy calendar (SPEC 2.3), and the booking conflicts already reported.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../schema.js'
import type { Provider } from './calendars.js'

export type SyncMode = 'push' | 'polling'

export interface CalendarChannel {
  id: string
  accountId: string
  connectionId: string
  calendarId: string
  provider: Provider
  mode: SyncMode
  resourceId: string | null
  secretHash: string | null
  expiresAt: Date | null
  createdAt: Date
}

type ChannelRow = import('kysely').Selectable<DB['calendar_channels']>

function rowToChannel(r: ChannelRow): CalendarChannel {
  return {
    id: r.id,
    accountId: r.account_id,
    connectionId: r.connection_id,
    calendarId: r.calendar_id,
    provider: r.provider,
    mode: r.mode,
    resourceId: r.resource_id,
    secretHash: r.secret_hash,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface NewChannel {
  id: string
  connectionId: string
  calendarId: string
  provider: Provider
  mode: SyncMode
  secretHash: string | null
  expiresAt: Date | null
}

/** Stored before the provider is asked, so a notification sent before its answer (Google's `sync`) is known. */
export async function insertChannel(
  db: Kysely<DB>,
  accountId: string,
  c: NewChannel,
  at: Date,
): Promise<void> {
  await db
    .insertInto('calendar_channels')
    .values({
      id: c.id,
      account_id: accountId,
      connection_id: c.connectionId,
      calendar_id: c.calendarId,
      provider: c.provider,
      mode: c.mode,
      secret_hash: c.secretHash,
      expires_at: c.expiresAt,
      created_at: at,
      updated_at: at,
    })
    .execute()
}

/** The provider's answer to a watch (or a renewal): its resource/subscription id and the real expiry. */
export async function setChannelResource(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  resourceId: string,
  expiresAt: Date,
  at: Date,
): Promise<void> {
  await db
    .updateTable('calendar_channels')
    .set({ resource_id: resourceId, expires_at: expiresAt, updated_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .execute()
}

/** Makes a channel due for renewal now (Graph `reauthorizationRequired`): the next upkeep run renews it. */
export async function markChannelDue(db: Kysely<DB>, accountId: string, id: string, at: Date): Promise<void> {
  await db
    .updateTable('calendar_channels')
    .set({ expires_at: at, updated_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .execute()
}

export async function deleteChannel(db: Kysely<DB>, accountId: string, id: string): Promise<void> {
  await db.deleteFrom('calendar_channels').where('account_id', '=', accountId).where('id', '=', id).execute()
}

export async function findChannel(
  db: Kysely<DB>,
  accountId: string,
  id: string,
): Promise<CalendarChannel | null> {
  const row = await db
    .selectFrom('calendar_channels')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? rowToChannel(row) : null
}

/**
 * The channel a provider notification names, with its account: the webhooks' one lookup not scoped by account
 * (the provider knows only our channel id or its subscription id; the secret is checked by the caller).
 */
export async function findChannelForNotification(
  db: Kysely<DB>,
  by: { channelId: string } | { provider: Provider; resourceId: string },
): Promise<CalendarChannel | null> {
  let query = db.selectFrom('calendar_channels').selectAll().where('mode', '=', 'push')
  if ('channelId' in by) {
    // A malformed id is unknown, not a database error (the column is a uuid).
    if (!UUID.test(by.channelId)) return null
    query = query.where('id', '=', by.channelId)
  } else {
    query = query.where('provider', '=', by.provider).where('resource_id', '=', by.resourceId)
  }
  const row = await query.executeTakeFirst()
  return row ? rowToChannel(row) : null
}

export async function listCalendarChannels(
  db: Kysely<DB>,
  accountId: string,
  connectionId: string,
  calendarId?: string,
): Promise<CalendarChannel[]> {
  let query = db
    .selectFrom('calendar_channels')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('connection_id', '=', connectionId)
  if (calendarId !== undefined) query = query.where('calendar_id', '=', calendarId)
  return (await query.orderBy('created_at').orderBy('id').execute()).map(rowToChannel)
}

/** How a connection hears about changes: polling if any busy calendar polls, push if all have channels. */
export async function connectionSyncHealth(
  db: Kysely<DB>,
  accountId: string,
  connectionId: string,
): Promise<{ mode: SyncMode | null; channelExpiresAt: Date | null }> {
  const channels = await listCalendarChannels(db, accountId, connectionId)
  // A channel counts once the provider answered (its resource id is stored).
  const push = channels.filter((c) => c.mode === 'push' && c.resourceId && c.expiresAt)
  const expiries = push.map((c) => c.expiresAt!.getTime())
  return {
    mode: channels.some((c) => c.mode === 'polling') ? 'polling' : push.length ? 'push' : null,
    channelExpiresAt: expiries.length ? new Date(Math.min(...expiries)) : null,
  }
}

export interface ChannelWork {
  accountId: string
  connectionId: string
  calendarId: string
}

/**
 * Calendars whose channels need work, across accounts (the worker's maintenance, like the outbox dispatcher):
 * busy calendars of live connections without a channel, channels of calendars no longer busy or of deleted
 * connections, push channels expiring before `renewBefore`, and polling rows whose retry of push is due.
 */
export async function listChannelWork(
  db: Kysely<DB>,
  now: Date,
  renewBefore: Date,
  limit: number,
): Promise<ChannelWork[]> {
  const result = await sql<{ account_id: string; connection_id: string; calendar_id: string }>`
    SELECT cc.account_id, cc.connection_id, cc.calendar_id
      FROM connection_calendars cc JOIN connections c ON c.id = cc.connection_id
     WHERE cc.is_busy AND c.deleted_at IS NULL AND c.status <> 'reauth_required'
       AND NOT EXISTS (SELECT 1 FROM calendar_channels ch
                        WHERE ch.connection_id = cc.connection_id AND ch.calendar_id = cc.calendar_id)
    UNION
    SELECT ch.account_id, ch.connection_id, ch.calendar_id
      FROM calendar_channels ch
      JOIN connections c ON c.id = ch.connection_id
      LEFT JOIN connection_calendars cc ON cc.connection_id = ch.connection_id AND cc.calendar_id = ch.calendar_id
     WHERE c.deleted_at IS NOT NULL OR cc.is_busy IS NOT TRUE
        OR (ch.mode = 'push' AND ch.expires_at < ${renewBefore})
        OR (ch.mode = 'polling' AND ch.expires_at < ${now})
     LIMIT ${limit}`.execute(db)
  return result.rows.map((r) => ({
    accountId: r.account_id,
    connectionId: r.connection_id,
    calendarId: r.calendar_id,
  }))
}

/** Busy calendars that poll, across accounts: the worker syncs each on an interval. */
export async function listPollingCalendars(db: Kysely<DB>, limit: number): Promise<ChannelWork[]> {
  const rows = await db
    .selectFrom('calendar_channels as ch')
    .innerJoin('connections as c', 'c.id', 'ch.connection_id')
    .select(['ch.account_id', 'ch.connection_id', 'ch.calendar_id'])
    .where('ch.mode', '=', 'polling')
    .where('c.deleted_at', 'is', null)
    .where('c.status', '<>', 'reauth_required')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    accountId: r.account_id,
    connectionId: r.connection_id,
    calendarId: r.calendar_id,
  }))
}

/** Records a conflict once per booking and event; false when it was reported already. */
export async function recordConflict(
  db: Kysely<DB>,
  accountId: string,
  c: { bookingId: string; connectionId: string; providerEventId: string },
  at: Date,
): Promise<boolean> {
  const res = await db
    .insertInto('booking_conflicts')
    .values({
      account_id: accountId,
      booking_id: c.bookingId,
      connection_id: c.connectionId,
      provider_event_id: c.providerEventId,
      created_at: at,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('booking_id')
    .executeTakeFirst()
  return res !== undefined
}

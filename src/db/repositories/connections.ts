// Calendar connections as the sync sees them: provider account, encrypted tokens, calendars with cursors, events.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../schema.js'
import { type CalendarEventInput, type Owner, type Provider, upsertCalendarEvents } from './calendars.js'

export type ConnectionStatus = 'pending' | 'active' | 'reauth_required' | 'error'

export interface Connection {
  id: string
  owner: Owner
  provider: Provider
  status: ConnectionStatus
  providerAccountId: string | null
  accountEmail: string | null
  tokenExpiresAt: Date | null
  lastSyncedAt: Date | null
  lastError: string | null
  lastErrorAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/** A connection with its token ciphertexts: stays between the repository and the connection service. */
export interface StoredConnection extends Connection {
  accessTokenEnc: string | null
  refreshTokenEnc: string | null
}

export interface ConnectionCalendar {
  calendarId: string
  name: string
  isPrimary: boolean
  isBusy: boolean
  isDestination: boolean
  timeZone: string | null
  canWrite: boolean
  syncedAt: Date | null
  syncCursorEnc: string | null
}

type ConnectionRow = import('kysely').Selectable<DB['connections']>
type CalendarRow = import('kysely').Selectable<DB['connection_calendars']>

function rowToConnection(r: ConnectionRow): StoredConnection {
  return {
    id: r.id,
    owner: { type: r.owner_type, id: r.owner_id },
    provider: r.provider,
    status: r.status,
    providerAccountId: r.provider_account_id,
    accountEmail: r.provider_account_email,
    tokenExpiresAt: r.token_expires_at,
    lastSyncedAt: r.last_synced_at,
    lastError: r.last_error,
    lastErrorAt: r.last_error_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    accessTokenEnc: r.access_token_enc,
    refreshTokenEnc: r.refresh_token_enc,
  }
}

function rowToCalendar(r: CalendarRow): ConnectionCalendar {
  return {
    calendarId: r.calendar_id,
    name: r.name,
    isPrimary: r.is_primary,
    isBusy: r.is_busy,
    isDestination: r.is_destination,
    timeZone: r.time_zone,
    canWrite: r.can_write,
    syncedAt: r.synced_at,
    syncCursorEnc: r.sync_cursor_enc,
  }
}

export async function findConnection(
  db: Kysely<DB>,
  accountId: string,
  id: string,
): Promise<StoredConnection | null> {
  const row = await db
    .selectFrom('connections')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return row ? rowToConnection(row) : null
}

/** The live connection of this owner to this provider account, if the owner connects the same account again. */
export async function findConnectionOfProviderAccount(
  db: Kysely<DB>,
  accountId: string,
  owner: Owner,
  provider: Provider,
  providerAccountId: string,
): Promise<StoredConnection | null> {
  const row = await db
    .selectFrom('connections')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('owner_type', '=', owner.type)
    .where('owner_id', '=', owner.id)
    .where('provider', '=', provider)
    .where('provider_account_id', '=', providerAccountId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .executeTakeFirst()
  return row ? rowToConnection(row) : null
}

export interface AuthorizedConnectionFields {
  owner: Owner
  provider: Provider
  providerAccountId: string
  accountEmail: string | null
  accessTokenEnc: string
  refreshTokenEnc: string | null
  tokenExpiresAt: Date
}

export async function insertAuthorizedConnection(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  f: AuthorizedConnectionFields,
  at: Date,
): Promise<void> {
  await db
    .insertInto('connections')
    .values({
      id,
      account_id: accountId,
      owner_type: f.owner.type,
      owner_id: f.owner.id,
      provider: f.provider,
      status: 'active',
      provider_account_id: f.providerAccountId,
      provider_account_email: f.accountEmail,
      access_token_enc: f.accessTokenEnc,
      refresh_token_enc: f.refreshTokenEnc,
      token_expires_at: f.tokenExpiresAt,
      created_at: at,
      updated_at: at,
    })
    .execute()
}

export interface TokenUpdate {
  accessTokenEnc: string
  /** Undefined keeps the stored refresh token (Google sends none on refresh). */
  refreshTokenEnc?: string | null | undefined
  tokenExpiresAt: Date
  accountEmail?: string | null | undefined
}

/** New tokens: the connection works again (a reconnect after reauth_required lands here too). */
export async function updateConnectionTokens(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  t: TokenUpdate,
  at: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({
      access_token_enc: t.accessTokenEnc,
      token_expires_at: t.tokenExpiresAt,
      ...(t.refreshTokenEnc !== undefined && t.refreshTokenEnc !== null
        ? { refresh_token_enc: t.refreshTokenEnc }
        : {}),
      ...(t.accountEmail !== undefined ? { provider_account_email: t.accountEmail } : {}),
      status: 'active',
      updated_at: at,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .execute()
}

export async function setConnectionStatus(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  status: ConnectionStatus,
  error: string | null,
  at: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({
      status,
      ...(error !== null ? { last_error: error, last_error_at: at } : {}),
      updated_at: at,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .execute()
}

export async function markConnectionSynced(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  at: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({ last_synced_at: at, status: 'active', updated_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .execute()
}

/** Soft delete: the tokens go, and so do the imported events and cursors (nothing left to keep in sync). */
export async function softDeleteConnection(
  trx: Transaction<DB>,
  accountId: string,
  id: string,
  at: Date,
): Promise<boolean> {
  const res = await trx
    .updateTable('connections')
    .set({ deleted_at: at, updated_at: at, access_token_enc: null, refresh_token_enc: null })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  if (Number(res.numUpdatedRows) === 0) return false
  await trx
    .deleteFrom('calendar_events')
    .where('account_id', '=', accountId)
    .where('connection_id', '=', id)
    .execute()
  await trx
    .updateTable('connection_calendars')
    .set({ sync_cursor_enc: null })
    .where('account_id', '=', accountId)
    .where('connection_id', '=', id)
    .execute()
  return true
}

export async function listConnectionCalendars(
  db: Kysely<DB>,
  accountId: string,
  connectionId: string,
): Promise<ConnectionCalendar[]> {
  const rows = await db
    .selectFrom('connection_calendars')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('connection_id', '=', connectionId)
    .orderBy('is_primary', 'desc')
    .orderBy('name')
    .orderBy('calendar_id')
    .execute()
  return rows.map(rowToCalendar)
}

export interface ListedCalendar {
  calendarId: string
  name: string
  isPrimary: boolean
  timeZone: string | null
  canWrite: boolean
}

/** Records the provider's calendar list; a calendar seen for the first time gets `isBusy`/`isDestination`. */
export async function upsertListedCalendars(
  db: Kysely<DB>,
  accountId: string,
  connectionId: string,
  calendars: readonly (ListedCalendar & { isBusy: boolean; isDestination: boolean })[],
): Promise<void> {
  for (const c of calendars) {
    await db
      .insertInto('connection_calendars')
      .values({
        connection_id: connectionId,
        calendar_id: c.calendarId,
        account_id: accountId,
        name: c.name,
        is_primary: c.isPrimary,
        is_busy: c.isBusy,
        is_destination: c.isDestination,
        time_zone: c.timeZone,
        can_write: c.canWrite,
      })
      .onConflict((oc) =>
        oc.columns(['connection_id', 'calendar_id']).doUpdateSet({
          name: c.name,
          is_primary: c.isPrimary,
          time_zone: c.timeZone,
          can_write: c.canWrite,
        }),
      )
      .execute()
  }
}

/** Sets which calendars count as busy and which one receives bookings; unbusied calendars drop their events. */
export async function setCalendarRoles(
  trx: Transaction<DB>,
  accountId: string,
  connectionId: string,
  busyCalendarIds: readonly string[],
  destinationCalendarId: string | null,
): Promise<void> {
  const calendars = () =>
    trx
      .updateTable('connection_calendars')
      .where('account_id', '=', accountId)
      .where('connection_id', '=', connectionId)
  await calendars().set({ is_busy: false, is_destination: false }).execute()
  if (busyCalendarIds.length)
    await calendars()
      .set({ is_busy: true })
      .where('calendar_id', 'in', [...busyCalendarIds])
      .execute()
  if (destinationCalendarId !== null)
    await calendars().set({ is_destination: true }).where('calendar_id', '=', destinationCalendarId).execute()
  let stale = trx
    .deleteFrom('calendar_events')
    .where('account_id', '=', accountId)
    .where('connection_id', '=', connectionId)
  if (busyCalendarIds.length) stale = stale.where('calendar_id', 'not in', [...busyCalendarIds])
  await stale.execute()
  let cursors = trx
    .updateTable('connection_calendars')
    .set({ sync_cursor_enc: null, synced_at: null })
    .where('account_id', '=', accountId)
    .where('connection_id', '=', connectionId)
  if (busyCalendarIds.length) cursors = cursors.where('calendar_id', 'not in', [...busyCalendarIds])
  await cursors.execute()
}

export async function saveCalendarCursor(
  db: Kysely<DB>,
  accountId: string,
  connectionId: string,
  calendarId: string,
  cursorEnc: string,
  syncedAt: Date,
): Promise<void> {
  await db
    .updateTable('connection_calendars')
    .set({ sync_cursor_enc: cursorEnc, synced_at: syncedAt })
    .where('account_id', '=', accountId)
    .where('connection_id', '=', connectionId)
    .where('calendar_id', '=', calendarId)
    .execute()
}

/** A full sync's result: the calendar's events become exactly `events`, in one transaction (never empty to readers). */
export async function replaceCalendarEvents(
  trx: Transaction<DB>,
  accountId: string,
  connectionId: string,
  calendarId: string,
  events: readonly CalendarEventInput[],
  at: Date,
): Promise<void> {
  let stale = trx
    .deleteFrom('calendar_events')
    .where('account_id', '=', accountId)
    .where('connection_id', '=', connectionId)
    .where('calendar_id', '=', calendarId)
  if (events.length)
    stale = stale.where(
      'provider_event_id',
      'not in',
      events.map((e) => e.providerEventId),
    )
  await stale.execute()
  await upsertCalendarEvents(trx, accountId, connectionId, calendarId, events, at)
}

/** Removes events by provider id; a removed series takes its instances along. */
export async function deleteCalendarEvents(
  db: Kysely<DB>,
  accountId: string,
  connectionId: string,
  calendarId: string,
  providerEventIds: readonly string[],
): Promise<void> {
  if (providerEventIds.length === 0) return
  for (let i = 0; i < providerEventIds.length; i += 2000) {
    const ids = providerEventIds.slice(i, i + 2000)
    await db
      .deleteFrom('calendar_events')
      .where('account_id', '=', accountId)
      .where('connection_id', '=', connectionId)
      .where('calendar_id', '=', calendarId)
      .where((eb) => eb.or([eb('provider_event_id', 'in', ids), eb('recurring_event_id', 'in', ids)]))
      .execute()
  }
}

export async function listConnectionsOfOwner(
  db: Kysely<DB>,
  accountId: string,
  owner: Owner,
): Promise<StoredConnection[]> {
  const rows = await db
    .selectFrom('connections')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('owner_type', '=', owner.type)
    .where('owner_id', '=', owner.id)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute()
  return rows.map(rowToConnection)
}

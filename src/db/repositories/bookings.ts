// Bookings, their per-connection calendar sync state, and the outbox events written with them.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { ExistingBooking, Interval } from '../../availability/types.js'
import { type Page, type PageRequest, paginate } from '../pagination.js'
import type { BookingSource, BookingStatus, BookingsTable, DB } from '../schema.js'

export interface BookingSyncState {
  connectionId: string
  calendarId: string
  state: 'pending' | 'synced' | 'failed'
  providerEventId: string | null
  lastError: string | null
  updatedAt: Date
}

export interface Booking {
  id: string
  meetingTypeId: string
  clientId: string
  assistantId: string
  contactId: string
  bookingLinkId: string | null
  start: Date
  end: Date
  status: BookingStatus
  source: BookingSource
  notes: string | null
  cancelReason: string | null
  cancelledAt: Date | null
  sequence: number
  needsAssistant: boolean
  bufferBeforeMinutes: number
  bufferAfterMinutes: number
  /** The manage token, encrypted; decrypt with the encryption key to show the manage link. */
  manageTokenEnc: string | null
  createdAt: Date
  updatedAt: Date
  sync: BookingSyncState[]
}

type BookingRow = import('kysely').Selectable<BookingsTable>

function rowToBooking(row: BookingRow, sync: BookingSyncState[]): Booking {
  return {
    id: row.id,
    meetingTypeId: row.meeting_type_id,
    clientId: row.client_id,
    assistantId: row.assistant_id,
    contactId: row.contact_id,
    bookingLinkId: row.booking_link_id,
    start: row.starts_at,
    end: row.ends_at,
    status: row.status,
    source: row.source,
    notes: row.notes,
    cancelReason: row.cancel_reason,
    cancelledAt: row.cancelled_at,
    sequence: row.sequence,
    needsAssistant: row.needs_assistant,
    bufferBeforeMinutes: row.buffer_before_minutes,
    bufferAfterMinutes: row.buffer_after_minutes,
    manageTokenEnc: row.manage_token_enc,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sync,
  }
}

async function syncStatesOf(
  db: Kysely<DB>,
  accountId: string,
  bookingIds: string[],
): Promise<Map<string, BookingSyncState[]>> {
  const out = new Map<string, BookingSyncState[]>()
  if (bookingIds.length === 0) return out
  const rows = await db
    .selectFrom('booking_sync_states')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('booking_id', 'in', bookingIds)
    .orderBy('connection_id')
    .execute()
  for (const r of rows) {
    const list = out.get(r.booking_id) ?? []
    list.push({
      connectionId: r.connection_id,
      calendarId: r.calendar_id,
      state: r.state,
      providerEventId: r.provider_event_id,
      lastError: r.last_error,
      updatedAt: r.updated_at,
    })
    out.set(r.booking_id, list)
  }
  return out
}

export interface NewBooking {
  id: string
  meetingTypeId: string
  clientId: string
  assistantId: string
  contactId: string
  bookingLinkId: string | null
  start: Date
  end: Date
  bufferBeforeMinutes: number
  bufferAfterMinutes: number
  needsAssistant: boolean
  source: BookingSource
  notes: string | null
  manageTokenHash: string | null
  manageTokenEnc: string | null
}

export async function insertBooking(
  trx: Transaction<DB>,
  accountId: string,
  b: NewBooking,
  at: Date,
): Promise<Booking> {
  const row = await trx
    .insertInto('bookings')
    .values({
      id: b.id,
      account_id: accountId,
      client_id: b.clientId,
      assistant_id: b.assistantId,
      meeting_type_id: b.meetingTypeId,
      contact_id: b.contactId,
      booking_link_id: b.bookingLinkId,
      starts_at: b.start,
      ends_at: b.end,
      buffer_before_minutes: b.bufferBeforeMinutes,
      buffer_after_minutes: b.bufferAfterMinutes,
      needs_assistant: b.needsAssistant,
      status: 'confirmed',
      source: b.source,
      notes: b.notes,
      manage_token_hash: b.manageTokenHash,
      manage_token_enc: b.manageTokenEnc,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return rowToBooking(row, [])
}

export async function findBooking(db: Kysely<DB>, accountId: string, id: string): Promise<Booking | null> {
  const row = await db
    .selectFrom('bookings')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) return null
  return rowToBooking(row, (await syncStatesOf(db, accountId, [row.id])).get(row.id) ?? [])
}

/** The booking with its row locked until the transaction ends (reschedules and cancels serialise on it). */
export async function lockBooking(
  trx: Transaction<DB>,
  accountId: string,
  id: string,
): Promise<Booking | null> {
  const row = await trx
    .selectFrom('bookings')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  return row ? rowToBooking(row, []) : null
}

/** Finds a booking by its manage token; the one lookup scoped by the token rather than the account. */
export async function findBookingByManageToken(
  db: Kysely<DB>,
  tokenHash: string,
): Promise<{ accountId: string; id: string } | null> {
  const row = await db
    .selectFrom('bookings')
    .select(['account_id', 'id'])
    .where('manage_token_hash', '=', tokenHash)
    .executeTakeFirst()
  return row ? { accountId: row.account_id, id: row.id } : null
}

export async function moveBooking(
  trx: Transaction<DB>,
  accountId: string,
  id: string,
  range: { start: Date; end: Date },
  source: BookingSource,
  at: Date,
): Promise<void> {
  await trx
    .updateTable('bookings')
    .set((eb) => ({
      starts_at: range.start,
      ends_at: range.end,
      source,
      updated_at: at,
      sequence: eb('sequence', '+', 1),
    }))
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .execute()
}

export async function markBookingCancelled(
  trx: Transaction<DB>,
  accountId: string,
  id: string,
  reason: string | null,
  source: BookingSource,
  at: Date,
): Promise<void> {
  await trx
    .updateTable('bookings')
    .set((eb) => ({
      status: 'cancelled',
      cancel_reason: reason,
      cancelled_at: at,
      source,
      updated_at: at,
      sequence: eb('sequence', '+', 1),
    }))
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .execute()
}

export interface BookingFilter {
  clientId?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  status?: BookingStatus | undefined
}

export async function listBookings(
  db: Kysely<DB>,
  accountId: string,
  filter: BookingFilter,
  page: PageRequest,
): Promise<Page<Booking>> {
  let query = db.selectFrom('bookings').selectAll().where('account_id', '=', accountId)
  if (filter.clientId) query = query.where('client_id', '=', filter.clientId)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.from) query = query.where('ends_at', '>', filter.from)
  if (filter.to) query = query.where('starts_at', '<', filter.to)
  const result = await paginate(query, 'bookings', page)
  const sync = await syncStatesOf(
    db,
    accountId,
    result.data.map((r) => r.id),
  )
  return {
    data: result.data.map((r) => rowToBooking(r, sync.get(r.id) ?? [])),
    nextCursor: result.nextCursor,
  }
}

/**
 * Confirmed bookings that keep the hosts busy around `range`: every booking of the client (a client is never
 * double-booked), plus the assistant's bookings that need the assistant when the assistant must be free.
 */
export async function listHostBookings(
  db: Kysely<DB>,
  accountId: string,
  hosts: { clientId: string; assistantId: string | null },
  range: Interval,
  excludeBookingId: string | null,
): Promise<ExistingBooking[]> {
  let query = db
    .selectFrom('bookings')
    .select([
      'id',
      'buffer_before_minutes',
      'buffer_after_minutes',
      sql<number>`(extract(epoch from starts_at) * 1000)::float8`.as('start_ms'),
      sql<number>`(extract(epoch from ends_at) * 1000)::float8`.as('end_ms'),
    ])
    .where('account_id', '=', accountId)
    .where('status', '=', 'confirmed')
    .where('starts_at', '<', new Date(range.end))
    .where('ends_at', '>', new Date(range.start))
    .where((eb) =>
      hosts.assistantId
        ? eb.or([
            eb('client_id', '=', hosts.clientId),
            eb.and([eb('assistant_id', '=', hosts.assistantId), eb('needs_assistant', '=', true)]),
          ])
        : eb('client_id', '=', hosts.clientId),
    )
  if (excludeBookingId) query = query.where('id', '!=', excludeBookingId)
  const rows = await query.execute()
  return rows.map((r) => ({
    start: r.start_ms,
    end: r.end_ms,
    bufferBeforeMinutes: r.buffer_before_minutes,
    bufferAfterMinutes: r.buffer_after_minutes,
    bookingId: r.id,
  }))
}

/** Starts of confirmed bookings of one meeting type around `range` (for the per-day limit). */
export async function listMeetingTypeBookingStarts(
  db: Kysely<DB>,
  accountId: string,
  meetingTypeId: string,
  range: Interval,
  excludeBookingId: string | null,
): Promise<number[]> {
  let query = db
    .selectFrom('bookings')
    .select(sql<number>`(extract(epoch from starts_at) * 1000)::float8`.as('start_ms'))
    .where('account_id', '=', accountId)
    .where('meeting_type_id', '=', meetingTypeId)
    .where('status', '=', 'confirmed')
    .where('starts_at', '>=', new Date(range.start))
    .where('starts_at', '<', new Date(range.end))
  if (excludeBookingId) query = query.where('id', '!=', excludeBookingId)
  return (await query.execute()).map((r) => r.start_ms)
}

/** Marks the booking's event as to be written (again) to each destination calendar of the hosts' connections. */
export async function queueBookingSync(
  trx: Transaction<DB>,
  accountId: string,
  bookingId: string,
  owners: { type: 'client' | 'assistant'; id: string }[],
  at: Date,
): Promise<void> {
  const destinations = await trx
    .selectFrom('connection_calendars as cc')
    .innerJoin('connections as c', 'c.id', 'cc.connection_id')
    .select(['cc.connection_id', 'cc.calendar_id'])
    .where('c.account_id', '=', accountId)
    .where('c.deleted_at', 'is', null)
    .where('cc.is_destination', '=', true)
    .where((eb) =>
      eb.or(owners.map((o) => eb.and([eb('c.owner_type', '=', o.type), eb('c.owner_id', '=', o.id)]))),
    )
    .execute()
  for (const d of destinations) {
    await trx
      .insertInto('booking_sync_states')
      .values({
        booking_id: bookingId,
        connection_id: d.connection_id,
        account_id: accountId,
        calendar_id: d.calendar_id,
        state: 'pending',
        updated_at: at,
      })
      .onConflict((oc) =>
        oc
          .columns(['booking_id', 'connection_id'])
          .doUpdateSet({ state: 'pending', attempts: 0, last_error: null, updated_at: at }),
      )
      .execute()
  }
}

export type OutboxEventType =
  | 'booking.created'
  | 'booking.rescheduled'
  | 'booking.cancelled'
  | 'booking.sync_failed'

export async function insertOutboxEvent(
  trx: Transaction<DB>,
  accountId: string,
  event: { id: string; type: OutboxEventType; bookingId: string; source: BookingSource; payload: unknown },
  at: Date,
): Promise<void> {
  await trx
    .insertInto('outbox_events')
    .values({
      id: event.id,
      account_id: accountId,
      type: event.type,
      booking_id: event.bookingId,
      source: event.source,
      payload: JSON.stringify(event.payload),
      created_at: at,
    })
    .execute()
}

/** Outbox rows not yet handed to the queue, locked so that one dispatcher takes each (others skip them). */
export async function claimUndispatchedOutbox(trx: Transaction<DB>, limit: number) {
  return trx
    .selectFrom('outbox_events')
    .select(['id', 'account_id', 'type', 'booking_id'])
    .where('dispatched_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()
}

export async function markOutboxDispatched(trx: Transaction<DB>, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return
  await trx.updateTable('outbox_events').set({ dispatched_at: at }).where('id', 'in', ids).execute()
}

/** Pending calendar writes of a booking (one per destination connection). */
export async function listPendingSyncStates(
  db: Kysely<DB>,
  accountId: string,
  bookingId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('booking_sync_states')
    .select('connection_id')
    .where('account_id', '=', accountId)
    .where('booking_id', '=', bookingId)
    .where('state', '=', 'pending')
    .execute()
  return rows.map((r) => r.connection_id)
}

/** Counts one more write attempt of a booking's event on a connection; returns the attempts before it. */
export async function startSyncAttempt(
  db: Kysely<DB>,
  accountId: string,
  bookingId: string,
  connectionId: string,
): Promise<number | null> {
  const row = await db
    .updateTable('booking_sync_states')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('account_id', '=', accountId)
    .where('booking_id', '=', bookingId)
    .where('connection_id', '=', connectionId)
    .where('state', '=', 'pending')
    .returning('attempts')
    .executeTakeFirst()
  return row ? row.attempts - 1 : null
}

/**
 * Records the outcome of a write, unless the booking changed meanwhile (its sequence moved on): then the state
 * stays `pending` for the job that the change queued, which writes the newer version.
 */
export async function finishSyncAttempt(
  db: Kysely<DB>,
  accountId: string,
  bookingId: string,
  connectionId: string,
  writtenSequence: number,
  change: {
    state: 'pending' | 'synced' | 'failed'
    providerEventId?: string | null
    etag?: string | null
    lastError: string | null
    resetAttempts?: boolean
  },
  at: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('booking_sync_states')
    .set({
      state: change.state,
      ...(change.providerEventId !== undefined ? { provider_event_id: change.providerEventId } : {}),
      ...(change.etag !== undefined ? { etag: change.etag } : {}),
      ...(change.resetAttempts ? { attempts: 0 } : {}),
      last_error: change.lastError,
      updated_at: at,
    })
    .where('account_id', '=', accountId)
    .where('booking_id', '=', bookingId)
    .where('connection_id', '=', connectionId)
    .where((eb) =>
      eb(
        eb
          .selectFrom('bookings')
          .select('sequence')
          .where('id', '=', bookingId)
          .where('account_id', '=', accountId),
        '=',
        writtenSequence,
      ),
    )
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function findSyncState(
  db: Kysely<DB>,
  accountId: string,
  bookingId: string,
  connectionId: string,
): Promise<(BookingSyncState & { attempts: number }) | null> {
  const r = await db
    .selectFrom('booking_sync_states')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('booking_id', '=', bookingId)
    .where('connection_id', '=', connectionId)
    .executeTakeFirst()
  if (!r) return null
  return {
    connectionId: r.connection_id,
    calendarId: r.calendar_id,
    state: r.state,
    providerEventId: r.provider_event_id,
    lastError: r.last_error,
    updatedAt: r.updated_at,
    attempts: r.attempts,
  }
}

/** Pending calendar writes untouched for longer than `olderThan`: their job was lost (e.g. a worker crashed often). */
export async function listStalePendingSyncStates(db: Kysely<DB>, olderThan: Date, limit: number) {
  return db
    .selectFrom('booking_sync_states')
    .select(['account_id', 'booking_id', 'connection_id'])
    .where('state', '=', 'pending')
    .where('updated_at', '<', olderThan)
    .orderBy('updated_at')
    .limit(limit)
    .execute()
}

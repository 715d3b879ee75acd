// Bookings, their per-connection calendar sync state, and the outbox events written with them.
import { type Kysely, type QueryCreator, sql, type Transaction } from 'kysely'
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

function bookingValues(accountId: string, b: NewBooking, at: Date) {
  return {
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
    status: 'confirmed' as const,
    source: b.source,
    notes: b.notes,
    manage_token_hash: b.manageTokenHash,
    manage_token_enc: b.manageTokenEnc,
    created_at: at,
    updated_at: at,
  }
}

type Owners = { type: 'client' | 'assistant'; id: string }[]

const SYNC_COLUMNS = [
  'booking_id',
  'connection_id',
  'account_id',
  'calendar_id',
  'state',
  'updated_at',
] as const

/** The destination calendars of the people's live connections, as pending sync-state rows of `bookingId`. */
function pendingDestinations(
  db: QueryCreator<DB>,
  accountId: string,
  bookingId: string,
  owners: Owners,
  at: Date,
) {
  return db
    .selectFrom('connection_calendars as cc')
    .innerJoin('connections as c', 'c.id', 'cc.connection_id')
    .select([
      sql<string>`${bookingId}::uuid`.as('booking_id'),
      'cc.connection_id',
      sql<string>`${accountId}::uuid`.as('account_id'),
      'cc.calendar_id',
      sql<'pending'>`'pending'`.as('state'),
      sql<Date>`${at}::timestamptz`.as('updated_at'),
    ])
    .where('c.account_id', '=', accountId)
    .where('c.deleted_at', 'is', null)
    .where('cc.is_destination', '=', true)
    .where((w) =>
      w.or(owners.map((o) => w.and([w('c.owner_type', '=', o.type), w('c.owner_id', '=', o.id)]))),
    )
}

function rowToSyncState(r: {
  connection_id: string
  calendar_id: string
  state: 'pending' | 'synced' | 'failed'
  provider_event_id: string | null
  last_error: string | null
  updated_at: Date | string
}): BookingSyncState {
  return {
    connectionId: r.connection_id,
    calendarId: r.calendar_id,
    state: r.state,
    providerEventId: r.provider_event_id,
    lastError: r.last_error,
    updatedAt: new Date(r.updated_at),
  }
}

/**
 * A new booking, its event marked pending for every destination calendar of `owners`, and its outbox event, in
 * one statement: the hottest write path makes one round trip where it would make three.
 */
export async function insertBookingWithEffects(
  trx: Transaction<DB>,
  accountId: string,
  b: NewBooking,
  owners: Owners,
  outbox: { id: string; type: OutboxEventType; payload: unknown },
  at: Date,
): Promise<Booking> {
  const row = await trx
    .with('b', (db) =>
      db
        .insertInto('bookings')
        .values(bookingValues(accountId, b, at))
        .returningAll(),
    )
    .with('s', (db) =>
      db
        .insertInto('booking_sync_states')
        .columns(SYNC_COLUMNS)
        .expression(pendingDestinations(db, accountId, b.id, owners, at))
        .returningAll(),
    )
    .with('o', (db) =>
      db
        .insertInto('outbox_events')
        .values({
          id: outbox.id,
          account_id: accountId,
          type: outbox.type,
          booking_id: b.id,
          source: b.source,
          payload: JSON.stringify(outbox.payload),
          created_at: at,
        })
        .returning('id'),
    )
    .selectFrom('b')
    .selectAll('b')
    .select(
      sql<SyncStateJson[]>`(SELECT coalesce(json_agg(s ORDER BY s.connection_id), '[]'::json) FROM s)`.as(
        'sync_rows',
      ),
    )
    .select(sql<number>`(SELECT count(*) FROM o)`.as('outbox_rows'))
    .executeTakeFirstOrThrow()
  const { sync_rows, outbox_rows: _, ...booking } = row
  return rowToBooking(booking, sync_rows.map(rowToSyncState))
}

type SyncStateJson = Parameters<typeof rowToSyncState>[0]

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
  owners: Owners,
  at: Date,
): Promise<BookingSyncState[]> {
  // One statement: the destinations of the people's live connections, each (re)marked pending.
  const rows = await trx
    .insertInto('booking_sync_states')
    .columns(SYNC_COLUMNS)
    .expression(pendingDestinations(trx, accountId, bookingId, owners, at))
    .onConflict((oc) =>
      oc.columns(['booking_id', 'connection_id']).doUpdateSet({
        state: 'pending',
        // A fresh retry budget, but a write whose event id never came back stays known as attempted (1), so
        // that a cancel still looks for the event a crashed write may have made.
        attempts: sql<number>`CASE WHEN booking_sync_states.provider_event_id IS NULL AND booking_sync_states.attempts > 0 THEN 1 ELSE 0 END`,
        last_error: null,
        updated_at: at,
      }),
    )
    .returningAll()
    .execute()
  return rows.map(rowToSyncState).sort((x, y) => (x.connectionId < y.connectionId ? -1 : 1))
}

export type OutboxEventType =
  | 'booking.created'
  | 'booking.rescheduled'
  | 'booking.cancelled'
  | 'booking.conflict'
  | 'booking.sync_failed'
  | 'connection.reauth_required'

export async function insertOutboxEvent(
  trx: Transaction<DB>,
  accountId: string,
  event: {
    id: string
    type: OutboxEventType
    /** Null for account-level events (`connection.reauth_required`). */
    bookingId: string | null
    source: BookingSource | null
    payload: unknown
  },
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
    .select(['id', 'account_id', 'type', 'booking_id', 'source', 'payload', 'created_at'])
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
 * Records the outcome of a write. The provider's event id is recorded whatever happened meanwhile (it is a fact
 * about the calendar); the state only if the booking did not change since (its sequence): otherwise it stays
 * `pending` for the job the change queued, which writes the newer version. True when the state was recorded.
 *
 * The booking's row is locked (shared) before the comparison: a change in flight holds it for update and re-marks
 * this state pending in the same transaction, so the comparison waits for it to commit and sees its sequence, and
 * no change can start until the state is written. Compared inside the UPDATE, the sequence came from the
 * statement's snapshot, taken before such a change committed: the UPDATE waited for the change's lock on this
 * row, then marked the newer version synced (a cancelled booking's event stayed in the calendar; found by the
 * load run of the reliability suite).
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
  const record = async (trx: Kysely<DB>) => {
    const booking = await trx
      .selectFrom('bookings')
      .select('sequence')
      .where('account_id', '=', accountId)
      .where('id', '=', bookingId)
      .forShare()
      .executeTakeFirst()
    const current = booking?.sequence === writtenSequence
    const row = await trx
      .updateTable('booking_sync_states')
      .set({
        ...(change.providerEventId !== undefined ? { provider_event_id: change.providerEventId } : {}),
        ...(change.etag !== undefined ? { etag: change.etag } : {}),
        ...(current
          ? {
              state: change.state,
              last_error: change.lastError,
              ...(change.resetAttempts ? { attempts: 0 } : {}),
            }
          : {}),
        updated_at: at,
      })
      .where('account_id', '=', accountId)
      .where('booking_id', '=', bookingId)
      .where('connection_id', '=', connectionId)
      .returning('booking_id')
      .executeTakeFirst()
    return current && row !== undefined
  }
  return db.isTransaction ? record(db) : db.transaction().execute(record)
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

/** A booking's event in one calendar of a connection, as the outbound writer last left it. */
export interface CalendarBookingEvent {
  bookingId: string
  providerEventId: string
  /** The etag / changeKey of our own last write: the same one coming back is our own change. */
  etag: string | null
  state: 'pending' | 'synced' | 'failed'
  status: BookingStatus
  start: Date
  end: Date
}

/** The bookings whose events live in this calendar of this connection (for the effects of calendar changes). */
export async function listCalendarBookingEvents(
  db: Kysely<DB>,
  accountId: string,
  connectionId: string,
  calendarId: string,
): Promise<CalendarBookingEvent[]> {
  const rows = await db
    .selectFrom('booking_sync_states as s')
    .innerJoin('bookings as b', 'b.id', 's.booking_id')
    .select(['b.id', 's.provider_event_id', 's.etag', 's.state', 'b.status', 'b.starts_at', 'b.ends_at'])
    .where('s.account_id', '=', accountId)
    .where('s.connection_id', '=', connectionId)
    .where('s.calendar_id', '=', calendarId)
    .where('s.provider_event_id', 'is not', null)
    .execute()
  return rows.map((r) => ({
    bookingId: r.id,
    providerEventId: r.provider_event_id!,
    etag: r.etag,
    state: r.state,
    status: r.status,
    start: r.starts_at,
    end: r.ends_at,
  }))
}

/** Bookings due on this calendar whose event id is not recorded yet (never written, or the write's answer lost). */
export async function listBookingsWithoutEventId(
  db: Kysely<DB>,
  accountId: string,
  connectionId: string,
  calendarId: string,
): Promise<Set<string>> {
  const rows = await db
    .selectFrom('booking_sync_states')
    .select('booking_id')
    .where('account_id', '=', accountId)
    .where('connection_id', '=', connectionId)
    .where('calendar_id', '=', calendarId)
    .where('provider_event_id', 'is', null)
    .execute()
  return new Set(rows.map((r) => r.booking_id))
}

/** Confirmed bookings a host attends that overlap [start, end) (buffers not counted: a conflict is the meeting). */
export async function listHostBookingsOverlapping(
  db: Kysely<DB>,
  accountId: string,
  host: { type: 'client' | 'assistant'; id: string },
  range: { start: Date; end: Date },
): Promise<{ id: string; start: Date; end: Date }[]> {
  let query = db
    .selectFrom('bookings')
    .select(['id', 'starts_at', 'ends_at'])
    .where('account_id', '=', accountId)
    .where('status', '=', 'confirmed')
    .where('starts_at', '<', range.end)
    .where('ends_at', '>', range.start)
  query =
    host.type === 'client'
      ? query.where('client_id', '=', host.id)
      : query.where('assistant_id', '=', host.id).where('needs_assistant', '=', true)
  return (await query.execute()).map((r) => ({ id: r.id, start: r.starts_at, end: r.ends_at }))
}

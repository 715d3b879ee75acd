// Calendar connections, their calendars and the provider events that make people busy.
import { type Kysely, sql } from 'kysely'
import type { BusyInterval, Interval } from '../../availability/types.js'
import { type HotReader, readHot } from '../prepared.js'
import type { DB, EventStatus, ResponseStatus, ShowAs } from '../schema.js'

export type OwnerType = 'client' | 'assistant'
export type Provider = 'google' | 'microsoft'

export interface Owner {
  type: OwnerType
  id: string
}

export interface NewConnection {
  id: string
  owner: Owner
  provider: Provider
  status?: 'pending' | 'active' | 'reauth_required' | 'error'
}

export async function insertConnection(
  db: Kysely<DB>,
  accountId: string,
  connection: NewConnection,
): Promise<void> {
  await db
    .insertInto('connections')
    .values({
      id: connection.id,
      account_id: accountId,
      owner_type: connection.owner.type,
      owner_id: connection.owner.id,
      provider: connection.provider,
      status: connection.status ?? 'active',
    })
    .execute()
}

export interface CalendarFields {
  calendarId: string
  name: string
  isPrimary?: boolean
  isBusy?: boolean
  isDestination?: boolean
  syncedAt?: Date | null
}

export async function upsertConnectionCalendar(
  db: Kysely<DB>,
  accountId: string,
  connectionId: string,
  calendar: CalendarFields,
): Promise<void> {
  const values = {
    connection_id: connectionId,
    calendar_id: calendar.calendarId,
    account_id: accountId,
    name: calendar.name,
    is_primary: calendar.isPrimary ?? false,
    is_busy: calendar.isBusy ?? false,
    is_destination: calendar.isDestination ?? false,
    synced_at: calendar.syncedAt ?? null,
  }
  await db
    .insertInto('connection_calendars')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['connection_id', 'calendar_id']).doUpdateSet({
        name: values.name,
        is_primary: values.is_primary,
        is_busy: values.is_busy,
        is_destination: values.is_destination,
        synced_at: values.synced_at,
      }),
    )
    .execute()
}

/** A provider event, normalised: Google `transparency: transparent` and Microsoft `showAs: free` are both `free`. */
export interface CalendarEventInput {
  id: string
  providerEventId: string
  recurringEventId?: string | null
  icalUid?: string | null
  etag?: string | null
  start: Date
  end: Date
  allDay?: boolean
  status: EventStatus
  showAs: ShowAs
  responseStatus: ResponseStatus
}

export async function upsertCalendarEvents(
  db: Kysely<DB>,
  accountId: string,
  connectionId: string,
  calendarId: string,
  events: readonly CalendarEventInput[],
  at: Date,
): Promise<void> {
  if (events.length === 0) return
  const rows = events.map((e) => ({
    id: e.id,
    account_id: accountId,
    connection_id: connectionId,
    calendar_id: calendarId,
    provider_event_id: e.providerEventId,
    recurring_event_id: e.recurringEventId ?? null,
    ical_uid: e.icalUid ?? null,
    etag: e.etag ?? null,
    starts_at: e.start,
    ends_at: e.end,
    all_day: e.allDay ?? false,
    status: e.status,
    show_as: e.showAs,
    response_status: e.responseStatus,
    updated_at: at,
  }))
  // Chunked: one statement binds at most 65,535 parameters.
  for (let i = 0; i < rows.length; i += 2000) {
    await db
      .insertInto('calendar_events')
      .values(rows.slice(i, i + 2000))
      .onConflict((oc) =>
        oc.columns(['connection_id', 'calendar_id', 'provider_event_id']).doUpdateSet((eb) => ({
          recurring_event_id: eb.ref('excluded.recurring_event_id'),
          ical_uid: eb.ref('excluded.ical_uid'),
          etag: eb.ref('excluded.etag'),
          starts_at: eb.ref('excluded.starts_at'),
          ends_at: eb.ref('excluded.ends_at'),
          all_day: eb.ref('excluded.all_day'),
          status: eb.ref('excluded.status'),
          show_as: eb.ref('excluded.show_as'),
          response_status: eb.ref('excluded.response_status'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute()
  }
}

export interface BusyCalendar {
  connectionId: string
  calendarId: string
  syncedAt: Date | null
}

/** The calendars that count as busy for these people: busy-flagged calendars of their live connections. */
export async function listBusyCalendars(
  db: Kysely<DB>,
  accountId: string,
  owners: readonly Owner[],
): Promise<BusyCalendar[]> {
  if (owners.length === 0) return []
  const rows = await db
    .selectFrom('connection_calendars as cc')
    .innerJoin('connections as c', 'c.id', 'cc.connection_id')
    .select(['cc.connection_id', 'cc.calendar_id', 'cc.synced_at'])
    .where('cc.account_id', '=', accountId)
    .where('c.account_id', '=', accountId)
    .where('c.deleted_at', 'is', null)
    .where('cc.is_busy', '=', true)
    .where((eb) =>
      eb.or(owners.map((o) => eb.and([eb('c.owner_type', '=', o.type), eb('c.owner_id', '=', o.id)]))),
    )
    .orderBy('cc.connection_id')
    .orderBy('cc.calendar_id')
    .execute()
  return rows.map((r) => ({
    connectionId: r.connection_id,
    calendarId: r.calendar_id,
    syncedAt: r.synced_at,
  }))
}

/**
 * Busy events of the given calendars overlapping `range`, as epoch-ms intervals. SPEC 1.2: an event is busy
 * unless it is cancelled, free/transparent or working elsewhere, or declined by the calendar's owner; all-day
 * events follow the same rule.
 *
 * Read on every availability request, so shaped for speed: one row per calendar, its instants packed into one
 * bytea in PostgreSQL's binary timestamp format (`timestamptz_send`: 8-byte microseconds since 2000-01-01).
 * PostgreSQL then formats nothing per event, and Node reads integers instead of building a row per event.
 * Converting to epoch milliseconds gives exactly the double that `(extract(epoch from t) * 1000)::float8`
 * gives (see `instantMs`).
 */
export async function listBusyIntervals(
  db: Kysely<DB>,
  accountId: string,
  calendars: readonly BusyCalendar[],
  range: Interval,
): Promise<BusyInterval[]> {
  if (calendars.length === 0) return []
  const rows = await db
    .selectFrom('calendar_events')
    .select([
      'connection_id',
      'calendar_id',
      sql<Buffer>`string_agg(timestamptz_send(starts_at) || timestamptz_send(ends_at), ''::bytea)`.as(
        'instants',
      ),
    ])
    .where('account_id', '=', accountId)
    .where('connection_id', 'in', [...new Set(calendars.map((c) => c.connectionId))])
    .where((eb) =>
      eb.or(
        calendars.map((c) =>
          eb.and([eb('connection_id', '=', c.connectionId), eb('calendar_id', '=', c.calendarId)]),
        ),
      ),
    )
    .where(
      sql<boolean>`tstzrange(starts_at, ends_at) && tstzrange(${new Date(range.start)}::timestamptz, ${new Date(range.end)}::timestamptz)`,
    )
    .where('status', '!=', 'cancelled')
    .where('show_as', 'not in', ['free', 'working_elsewhere'])
    .where('response_status', '!=', 'declined')
    .groupBy(['connection_id', 'calendar_id'])
    .execute()
  const busy: BusyInterval[] = []
  for (const row of rows) unpackInstants(row.instants, row.connection_id, row.calendar_id, busy)
  return busy
}

// One or two owners: an absent second owner is passed as nulls, which match nothing.
const BUSY_CALENDARS_WITH_INTERVALS = {
  name: 'oh_busy_calendars_with_intervals',
  text: `SELECT cc.connection_id, cc.calendar_id, cc.synced_at,
  (SELECT string_agg(timestamptz_send(e.starts_at) || timestamptz_send(e.ends_at), ''::bytea)
     FROM calendar_events e
    WHERE e.account_id = $1 AND e.connection_id = cc.connection_id AND e.calendar_id = cc.calendar_id
      AND tstzrange(e.starts_at, e.ends_at) && tstzrange($6::timestamptz, $7::timestamptz)
      AND e.status <> 'cancelled' AND e.show_as NOT IN ('free', 'working_elsewhere')
      AND e.response_status <> 'declined') AS instants
FROM connection_calendars cc
JOIN connections c ON c.id = cc.connection_id
WHERE cc.account_id = $1 AND c.account_id = $1 AND c.deleted_at IS NULL AND cc.is_busy = true
  AND ((c.owner_type = $2 AND c.owner_id = $3) OR (c.owner_type = $4 AND c.owner_id = $5))
ORDER BY cc.connection_id, cc.calendar_id`,
}

/**
 * `listBusyCalendars` and `listBusyIntervals` in one round trip, for the availability path: the busy calendars
 * of these people (ordered as `listBusyCalendars` orders them) and their busy events overlapping `range`.
 */
export async function listBusyCalendarsWithIntervals(
  reader: HotReader,
  accountId: string,
  owners: readonly Owner[],
  range: Interval,
): Promise<{ calendars: BusyCalendar[]; busy: BusyInterval[] }> {
  if (owners.length === 0) return { calendars: [], busy: [] }
  if (owners.length > 2) throw new Error('at most two owners (a client and an assistant)')
  const rows = await readHot<{
    connection_id: string
    calendar_id: string
    synced_at: Date | null
    instants: Buffer | null
  }>(reader, BUSY_CALENDARS_WITH_INTERVALS, [
    accountId,
    owners[0]!.type,
    owners[0]!.id,
    owners[1]?.type ?? null,
    owners[1]?.id ?? null,
    new Date(range.start),
    new Date(range.end),
  ])
  const calendars: BusyCalendar[] = []
  const busy: BusyInterval[] = []
  for (const row of rows) {
    calendars.push({ connectionId: row.connection_id, calendarId: row.calendar_id, syncedAt: row.synced_at })
    if (row.instants) unpackInstants(row.instants, row.connection_id, row.calendar_id, busy)
  }
  return { calendars, busy }
}

/**
 * A busy interval built by a constructor, not an object literal: V8 tracks literals' allocation sites and, seeing
 * a thousand of them alive across a young-generation GC (as happens under load), starts allocating them straight
 * in the old generation for good; the process then ran repeated full GCs and ~80 MB more RSS.
 */
class PackedBusyInterval implements BusyInterval {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly connectionId: string,
    readonly calendarId: string,
  ) {}
}

/** Appends the busy intervals of one calendar's packed `timestamptz_send` pairs (start, end) to `into`. */
export function unpackInstants(
  packed: Buffer,
  connectionId: string,
  calendarId: string,
  into: BusyInterval[],
): void {
  for (let offset = 0; offset + 16 <= packed.length; offset += 16) {
    into.push(
      new PackedBusyInterval(
        instantMs(packed, offset),
        instantMs(packed, offset + 8),
        connectionId,
        calendarId,
      ),
    )
  }
}

const EPOCH_2000_MICROS = 946_684_800_000_000
const TWO_POW_32 = 4_294_967_296

/**
 * Epoch milliseconds of a binary PostgreSQL timestamptz (int64 microseconds since 2000-01-01; the extremes
 * are ±infinity). Inside ±2^53 µs the integer arithmetic is exact and the one division rounds to the double
 * nearest the exact value, as PostgreSQL's numeric-to-float8 cast does; outside (before 1715, after 2255)
 * the exact decimal is parsed instead, with the same result.
 */
export function instantMs(packed: Buffer, offset: number): number {
  const high = packed.readInt32BE(offset)
  const low = packed.readUInt32BE(offset + 4)
  if (high === 0x7fffffff && low === 0xffffffff) return Number.POSITIVE_INFINITY
  if (high === -0x80000000 && low === 0) return Number.NEGATIVE_INFINITY
  const micros = high * TWO_POW_32 + low + EPOCH_2000_MICROS
  if (Number.isSafeInteger(micros)) return micros / 1000
  const exact = packed.readBigInt64BE(offset) + BigInt(EPOCH_2000_MICROS)
  const magnitude = exact < 0n ? -exact : exact
  return Number(`${exact < 0n ? '-' : ''}${magnitude / 1000n}.${String(magnitude % 1000n).padStart(3, '0')}`)
}

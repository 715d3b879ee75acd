// Availability queries: load the meeting type with its people and their busy data, run the pure engine.
import { computeSlots, explainSlot, isValidTimeZone, mergeIntervals } from '../availability/index.js'
import type { AvailabilityInput, BusyInterval, Interval, Reason } from '../availability/types.js'
import { type HotReader, preparedKysely, readHot } from '../db/prepared.js'
import { listHostBookings, listMeetingTypeBookingStarts } from '../db/repositories/bookings.js'
import {
  type BusyCalendar,
  listBusyCalendars,
  listBusyCalendarsWithIntervals,
  listBusyIntervals,
  type Owner,
  unpackInstants,
} from '../db/repositories/calendars.js'
import { type MeetingType, rowToMeetingType } from '../db/repositories/meeting-types.js'
import {
  type Assistant,
  type Client,
  findClient,
  findContact,
  rowToAssistant,
  rowToClient,
} from '../db/repositories/people.js'
import type { AssistantRow, ClientRow, MeetingTypeRow } from '../db/schema.js'
import type { Deps } from '../deps.js'
import { NotFoundError, ValidationError } from '../errors.js'

const MINUTE = 60_000
const DAY = 86_400_000
export const MAX_WINDOW_DAYS = 62

/** A meeting type with the client it belongs to and the client's assistant. */
export interface SchedulingContext {
  meetingType: MeetingType
  client: Client
  assistant: Assistant
}

// Every column of the three rows by name, not `*`: a prepared statement fails once its result type changes, as
// it would when a migration adds a column while an instance runs. Record<keyof Row, true> keeps each complete.
const MEETING_TYPE_COLUMNS: Record<keyof MeetingTypeRow, true> = {
  id: true,
  account_id: true,
  client_id: true,
  name: true,
  duration_minutes: true,
  slot_interval_minutes: true,
  buffer_before_minutes: true,
  buffer_after_minutes: true,
  minimum_notice_minutes: true,
  horizon_days: true,
  max_per_day: true,
  hosts: true,
  require_assistant_hours: true,
  contact_hours: true,
  created_at: true,
  updated_at: true,
  deleted_at: true,
}
const CLIENT_COLUMNS: Record<keyof ClientRow, true> = {
  id: true,
  account_id: true,
  assistant_id: true,
  name: true,
  email: true,
  time_zone: true,
  business_hours: true,
  created_at: true,
  updated_at: true,
  deleted_at: true,
}
const ASSISTANT_COLUMNS: Record<keyof AssistantRow, true> = {
  id: true,
  account_id: true,
  name: true,
  email: true,
  time_zone: true,
  office_hours: true,
  created_at: true,
  updated_at: true,
  deleted_at: true,
}
const CONTEXT_COLUMNS = [
  ...Object.keys(MEETING_TYPE_COLUMNS).map((k) => `mt.${k}`),
  ...Object.keys(CLIENT_COLUMNS).map((k) => `c.${k} AS c_${k}`),
  ...Object.keys(ASSISTANT_COLUMNS).map((k) => `a.${k} AS a_${k}`),
].join(', ')

// The live meeting type of an account with its live client and that client's assistant, in one round trip.
const SCHEDULING_CONTEXT = {
  name: 'oh_scheduling_context',
  text: `SELECT ${CONTEXT_COLUMNS}
FROM meeting_types mt
JOIN clients c ON c.id = mt.client_id
JOIN assistants a ON a.id = c.assistant_id
WHERE mt.account_id = $1 AND mt.id = $2 AND mt.deleted_at IS NULL
  AND c.account_id = $1 AND c.deleted_at IS NULL
  AND a.account_id = $1 AND a.deleted_at IS NULL`,
}

// The same, with the hosts' busy calendars and their packed busy events around a range (one row per calendar,
// or one row with null calendar columns): the availability path's one read before bookings. Which calendars
// follows `hostsOf`, and the events' range is `busyData`'s (the window widened by this type's buffers); the
// events' conditions are those of `listBusyCalendarsWithIntervals` (SPEC 1.2).
const SCHEDULING_CONTEXT_WITH_BUSY = {
  name: 'oh_scheduling_context_with_busy',
  text: `SELECT ${CONTEXT_COLUMNS},
  bc.connection_id AS busy_connection_id, bc.calendar_id AS busy_calendar_id,
  bc.synced_at AS busy_synced_at, bc.instants AS busy_instants
FROM meeting_types mt
JOIN clients c ON c.id = mt.client_id
JOIN assistants a ON a.id = c.assistant_id
LEFT JOIN LATERAL (
  SELECT cc.connection_id, cc.calendar_id, cc.synced_at,
    (SELECT string_agg(timestamptz_send(e.starts_at) || timestamptz_send(e.ends_at), ''::bytea)
       FROM calendar_events e
      WHERE e.account_id = $1 AND e.connection_id = cc.connection_id AND e.calendar_id = cc.calendar_id
        AND tstzrange(e.starts_at, e.ends_at) && tstzrange(
          $3::timestamptz - make_interval(mins => mt.buffer_before_minutes),
          $4::timestamptz + make_interval(mins => mt.buffer_after_minutes))
        AND e.status <> 'cancelled' AND e.show_as NOT IN ('free', 'working_elsewhere')
        AND e.response_status <> 'declined') AS instants
  FROM connection_calendars cc
  JOIN connections cn ON cn.id = cc.connection_id
  WHERE cc.account_id = $1 AND cn.account_id = $1 AND cn.deleted_at IS NULL AND cc.is_busy = true
    AND ((cn.owner_type = 'client' AND cn.owner_id = c.id AND mt.hosts IN ('client', 'both'))
      OR (cn.owner_type = 'assistant' AND cn.owner_id = a.id AND mt.hosts IN ('assistant', 'both')))
) bc ON true
WHERE mt.account_id = $1 AND mt.id = $2 AND mt.deleted_at IS NULL
  AND c.account_id = $1 AND c.deleted_at IS NULL
  AND a.account_id = $1 AND a.deleted_at IS NULL
ORDER BY bc.connection_id, bc.calendar_id`,
}

type SchedulingContextRow = MeetingTypeRow & {
  [K in keyof ClientRow as `c_${K}`]: ClientRow[K]
} & {
  [K in keyof AssistantRow as `a_${K}`]: AssistantRow[K]
}

/**
 * The live meeting type of this account with its live client and assistant, in one round trip (it runs on
 * every availability request): a 404 when any of the three is missing or deleted. `db` may be a transaction;
 * the availability path passes `{ prepared: pool }` (see `HotReader`).
 */
export async function loadSchedulingContext(
  db: HotReader,
  accountId: string,
  meetingTypeId: string,
): Promise<SchedulingContext> {
  const [row] = await readHot<SchedulingContextRow>(db, SCHEDULING_CONTEXT, [accountId, meetingTypeId])
  if (!row) throw new NotFoundError('Meeting type')
  return contextOf(row)
}

/**
 * `loadSchedulingContext`, plus what `busyData` reads from calendars for `range`, in one round trip: the
 * availability path then only reads bookings.
 */
async function loadSchedulingContextWithBusy(
  db: HotReader,
  accountId: string,
  meetingTypeId: string,
  range: Interval,
): Promise<{ ctx: SchedulingContext; calendars: BusyCalendar[]; busy: BusyInterval[] }> {
  const rows = await readHot<
    SchedulingContextRow & {
      busy_connection_id: string | null
      busy_calendar_id: string | null
      busy_synced_at: Date | null
      busy_instants: Buffer | null
    }
  >(db, SCHEDULING_CONTEXT_WITH_BUSY, [accountId, meetingTypeId, new Date(range.start), new Date(range.end)])
  if (!rows[0]) throw new NotFoundError('Meeting type')
  const calendars: BusyCalendar[] = []
  const busy: BusyInterval[] = []
  for (const row of rows) {
    if (row.busy_connection_id === null || row.busy_calendar_id === null) continue
    const calendar = {
      connectionId: row.busy_connection_id,
      calendarId: row.busy_calendar_id,
      syncedAt: row.busy_synced_at,
    }
    calendars.push(calendar)
    if (row.busy_instants) unpackInstants(row.busy_instants, calendar.connectionId, calendar.calendarId, busy)
  }
  return { ctx: contextOf(rows[0]), calendars, busy }
}

function contextOf(row: SchedulingContextRow): SchedulingContext {
  return {
    meetingType: rowToMeetingType(row),
    client: rowToClient({
      id: row.c_id,
      account_id: row.c_account_id,
      assistant_id: row.c_assistant_id,
      name: row.c_name,
      email: row.c_email,
      time_zone: row.c_time_zone,
      business_hours: row.c_business_hours,
      created_at: row.c_created_at,
      updated_at: row.c_updated_at,
      deleted_at: row.c_deleted_at,
    }),
    assistant: rowToAssistant({
      id: row.a_id,
      account_id: row.a_account_id,
      name: row.a_name,
      email: row.a_email,
      time_zone: row.a_time_zone,
      office_hours: row.a_office_hours,
      created_at: row.a_created_at,
      updated_at: row.a_updated_at,
      deleted_at: row.a_deleted_at,
    }),
  }
}

/** The people who must be free for a meeting of this type (SPEC 1.2 rule 4). */
export function hostsOf(ctx: SchedulingContext): Owner[] {
  const client: Owner = { type: 'client', id: ctx.client.id }
  const assistant: Owner = { type: 'assistant', id: ctx.assistant.id }
  switch (ctx.meetingType.hosts) {
    case 'client':
      return [client]
    case 'assistant':
      return [assistant]
    case 'both':
      return [client, assistant]
  }
}

export interface ContactChoice {
  contactId?: string | undefined
  contactTimeZone?: string | undefined
}

/** The contact's zone, from the contact (by id, of this client) or given directly; null when unknown. */
export async function resolveContactTimeZone(
  deps: Deps,
  accountId: string,
  ctx: SchedulingContext,
  choice: ContactChoice,
  where: 'query' | 'body' = 'query',
): Promise<string | null> {
  if (choice.contactId && choice.contactTimeZone) {
    throw new ValidationError([
      { pointer: `/${where}/contactTimeZone`, message: 'give either contactId or contactTimeZone, not both' },
    ])
  }
  if (choice.contactTimeZone) {
    if (!isValidTimeZone(choice.contactTimeZone)) {
      throw new ValidationError([
        { pointer: `/${where}/contactTimeZone`, message: 'is not an IANA time zone' },
      ])
    }
    return choice.contactTimeZone
  }
  if (choice.contactId) {
    const contact = await findContact(deps.db, accountId, ctx.client.id, choice.contactId)
    if (!contact)
      throw new ValidationError([
        { pointer: `/${where}/contactId`, message: 'is not a contact of this client' },
      ])
    return contact.timeZone
  }
  return null
}

/**
 * Busy data of the hosts around `range`: provider events, confirmed bookings, same-type bookings per day.
 * `hot` is where the busy calendars are read (the pool's prepared statement on the availability path).
 */
export async function busyData(
  db: Deps['db'],
  accountId: string,
  ctx: SchedulingContext,
  range: Interval,
  excludeBookingId: string | null = null,
  hot: HotReader = db,
) {
  const mt = ctx.meetingType
  // Independent reads, sent together (one connection queues them in order, a pool overlaps them).
  const [{ calendars, busy }, { bookings, sameTypeBookingStarts }] = await Promise.all([
    listBusyCalendarsWithIntervals(hot, accountId, hostsOf(ctx), {
      start: range.start - mt.bufferBeforeMinutes * MINUTE,
      end: range.end + mt.bufferAfterMinutes * MINUTE,
    }),
    bookingData(db, accountId, ctx, range, excludeBookingId),
  ])
  return { calendars, busy, bookings, sameTypeBookingStarts }
}

/** The bookings part of `busyData`. */
async function bookingData(
  db: Deps['db'],
  accountId: string,
  ctx: SchedulingContext,
  range: Interval,
  excludeBookingId: string | null,
) {
  const mt = ctx.meetingType
  const needsAssistant = mt.hosts !== 'client'
  const [bookings, sameTypeBookingStarts] = await Promise.all([
    // Existing bookings carry their own buffers, which may be longer than this type's: look a day around.
    listHostBookings(
      db,
      accountId,
      { clientId: ctx.client.id, assistantId: needsAssistant ? ctx.assistant.id : null },
      { start: range.start - DAY, end: range.end + DAY },
      excludeBookingId,
    ),
    // A local day is at most 26 hours long: two days around the window hold every booking of its dates.
    mt.maxPerDay === null
      ? []
      : listMeetingTypeBookingStarts(
          db,
          accountId,
          mt.id,
          { start: range.start - 2 * DAY, end: range.end + 2 * DAY },
          excludeBookingId,
        ),
  ])
  return { bookings, sameTypeBookingStarts }
}

/** `loadSchedulingContext` and `busyData` for a read outside a transaction, in two round trips. */
async function availabilityData(deps: Deps, accountId: string, meetingTypeId: string, range: Interval) {
  const { ctx, calendars, busy } = await loadSchedulingContextWithBusy(
    { prepared: deps.database.pool },
    accountId,
    meetingTypeId,
    range,
  )
  const { bookings, sameTypeBookingStarts } = await bookingData(
    preparedKysely(deps.database.pool),
    accountId,
    ctx,
    range,
    null,
  )
  return { ctx, data: { calendars, busy, bookings, sameTypeBookingStarts } }
}

export function engineInput(
  ctx: SchedulingContext,
  window: Interval,
  now: number,
  contactTimeZone: string | null,
  data: Awaited<ReturnType<typeof busyData>>,
): AvailabilityInput {
  const mt = ctx.meetingType
  return {
    window,
    now,
    rules: {
      durationMinutes: mt.durationMinutes,
      slotIntervalMinutes: mt.slotIntervalMinutes,
      bufferBeforeMinutes: mt.bufferBeforeMinutes,
      bufferAfterMinutes: mt.bufferAfterMinutes,
      minimumNoticeMinutes: mt.minimumNoticeMinutes,
      horizonDays: mt.horizonDays,
      maxPerDay: mt.maxPerDay,
      requireAssistantHours: mt.requireAssistantHours,
      contactHours: mt.contactHours,
    },
    clientSchedule: ctx.client.businessHours,
    assistantSchedule: mt.requireAssistantHours ? ctx.assistant.officeHours : null,
    contactTimeZone,
    busy: data.busy,
    bookings: data.bookings,
    sameTypeBookingStarts: data.sameTypeBookingStarts,
  }
}

export interface WindowQuery {
  from: string
  to: string
}

export function parseWindow(query: WindowQuery): Interval {
  const start = Date.parse(query.from)
  const end = Date.parse(query.to)
  if (!(end > start)) throw new ValidationError([{ pointer: '/query/to', message: 'must be after from' }])
  if (end - start > MAX_WINDOW_DAYS * DAY) {
    throw new ValidationError([
      { pointer: '/query/to', message: `must be at most ${MAX_WINDOW_DAYS} days after from` },
    ])
  }
  return { start, end }
}

/** Reads outside a transaction run as prepared statements on the pool (see `HotReader`). */
function hotReader(deps: Deps): HotReader {
  return { prepared: deps.database.pool }
}

/**
 * `new Date(ms).toISOString()` for a sorted run of instants, several times faster: a slot list repeats the
 * same few dates, so each date is formatted once and only the time of day is built per instant.
 */
export function isoFormatter(): (ms: number) => string {
  let day = Number.NaN
  let prefix = ''
  return (ms) => {
    // Whole milliseconds in years 1970–9999 only; anything else takes the slow path.
    if (!Number.isInteger(ms) || ms < 0 || ms >= 253_402_300_800_000) return new Date(ms).toISOString()
    const d = Math.floor(ms / DAY)
    if (d !== day) {
      day = d
      prefix = new Date(d * DAY).toISOString().slice(0, 11)
    }
    let rest = ms - d * DAY
    const hours = Math.floor(rest / 3_600_000)
    rest -= hours * 3_600_000
    const minutes = Math.floor(rest / MINUTE)
    rest -= minutes * MINUTE
    const seconds = Math.floor(rest / 1000)
    const millis = rest - seconds * 1000
    return `${prefix}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`
  }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`
}

export interface AvailabilityResult {
  slots: { start: string; end: string }[]
  calendars: BusyCalendar[]
}

export async function getAvailability(
  deps: Deps,
  accountId: string,
  query: WindowQuery & ContactChoice & { meetingTypeId: string },
): Promise<AvailabilityResult> {
  const window = parseWindow(query)
  const { ctx, data } = await availabilityData(deps, accountId, query.meetingTypeId, window)
  const contactTimeZone = await resolveContactTimeZone(deps, accountId, ctx, query)
  const slots = computeSlots(engineInput(ctx, window, deps.clock.now().getTime(), contactTimeZone, data))
  const iso = isoFormatter()
  return {
    slots: slots.map((s) => ({ start: iso(s.start), end: iso(s.end) })),
    calendars: data.calendars,
  }
}

export interface ExplainResult {
  available: boolean
  reasons: Reason[]
}

export async function explainAvailability(
  deps: Deps,
  accountId: string,
  query: ContactChoice & { meetingTypeId: string; start: string },
): Promise<ExplainResult> {
  const start = Date.parse(query.start)
  const hot = hotReader(deps)
  const ctx = await loadSchedulingContext(hot, accountId, query.meetingTypeId)
  const contactTimeZone = await resolveContactTimeZone(deps, accountId, ctx, query)
  const slot = { start, end: start + ctx.meetingType.durationMinutes * MINUTE }
  const data = await busyData(deps.db, accountId, ctx, slot, null, hot)
  const reasons = explainSlot(
    engineInput(ctx, slot, deps.clock.now().getTime(), contactTimeZone, data),
    start,
  )
  return { available: reasons.length === 0, reasons }
}

/** The client's merged busy time in the window: busy events of the client's busy calendars, no titles. */
export async function getClientBusy(
  deps: Deps,
  accountId: string,
  clientId: string,
  query: WindowQuery,
): Promise<{ busy: Interval[]; calendars: BusyCalendar[] }> {
  const window = parseWindow(query)
  const client = await findClient(deps.db, accountId, clientId)
  if (!client) throw new NotFoundError('Client')
  const calendars = await listBusyCalendars(deps.db, accountId, [{ type: 'client', id: client.id }])
  const events = await listBusyIntervals(deps.db, accountId, calendars, window)
  const clipped = events.map((e) => ({
    start: Math.max(e.start, window.start),
    end: Math.min(e.end, window.end),
  }))
  return { busy: mergeIntervals(clipped), calendars }
}

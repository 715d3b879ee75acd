// Availability queries: load the meeting type with its people and their busy data, run the pure engine.
import { computeSlots, explainSlot, isValidTimeZone, mergeIntervals } from '../availability/index.js'
import type { AvailabilityInput, Interval, Reason } from '../availability/types.js'
import { listHostBookings, listMeetingTypeBookingStarts } from '../db/repositories/bookings.js'
import {
  type BusyCalendar,
  listBusyCalendars,
  listBusyCalendarsWithIntervals,
  listBusyIntervals,
  type Owner,
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

/**
 * The live meeting type of this account with its live client and assistant, in one round trip (it runs on
 * every availability request): a 404 when any of the three is missing or deleted.
 */
export async function loadSchedulingContext(
  db: Deps['db'],
  accountId: string,
  meetingTypeId: string,
): Promise<SchedulingContext> {
  const row = await db
    .selectFrom('meeting_types as mt')
    .innerJoin('clients as c', 'c.id', 'mt.client_id')
    .innerJoin('assistants as a', 'a.id', 'c.assistant_id')
    .selectAll('mt')
    .select([
      'c.id as c_id',
      'c.account_id as c_account_id',
      'c.assistant_id as c_assistant_id',
      'c.name as c_name',
      'c.email as c_email',
      'c.time_zone as c_time_zone',
      'c.business_hours as c_business_hours',
      'c.created_at as c_created_at',
      'c.updated_at as c_updated_at',
      'c.deleted_at as c_deleted_at',
      'a.id as a_id',
      'a.account_id as a_account_id',
      'a.name as a_name',
      'a.email as a_email',
      'a.time_zone as a_time_zone',
      'a.office_hours as a_office_hours',
      'a.created_at as a_created_at',
      'a.updated_at as a_updated_at',
      'a.deleted_at as a_deleted_at',
    ])
    .where('mt.account_id', '=', accountId)
    .where('mt.id', '=', meetingTypeId)
    .where('mt.deleted_at', 'is', null)
    .where('c.account_id', '=', accountId)
    .where('c.deleted_at', 'is', null)
    .where('a.account_id', '=', accountId)
    .where('a.deleted_at', 'is', null)
    .executeTakeFirst()
  if (!row) throw new NotFoundError('Meeting type')
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

/** Busy data of the hosts around `range`: provider events, confirmed bookings, same-type bookings per day. */
export async function busyData(
  db: Deps['db'],
  accountId: string,
  ctx: SchedulingContext,
  range: Interval,
  excludeBookingId: string | null = null,
) {
  const mt = ctx.meetingType
  const needsAssistant = mt.hosts !== 'client'
  // Independent reads, sent together (one connection queues them in order, a pool overlaps them).
  const [{ calendars, busy }, bookings, sameTypeBookingStarts] = await Promise.all([
    listBusyCalendarsWithIntervals(db, accountId, hostsOf(ctx), {
      start: range.start - mt.bufferBeforeMinutes * MINUTE,
      end: range.end + mt.bufferAfterMinutes * MINUTE,
    }),
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
  return { calendars, busy, bookings, sameTypeBookingStarts }
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
  const ctx = await loadSchedulingContext(deps.db, accountId, query.meetingTypeId)
  const contactTimeZone = await resolveContactTimeZone(deps, accountId, ctx, query)
  const data = await busyData(deps.db, accountId, ctx, window)
  const slots = computeSlots(engineInput(ctx, window, deps.clock.now().getTime(), contactTimeZone, data))
  return {
    slots: slots.map((s) => ({ start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString() })),
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
  const ctx = await loadSchedulingContext(deps.db, accountId, query.meetingTypeId)
  const contactTimeZone = await resolveContactTimeZone(deps, accountId, ctx, query)
  const slot = { start, end: start + ctx.meetingType.durationMinutes * MINUTE }
  const data = await busyData(deps.db, accountId, ctx, slot)
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

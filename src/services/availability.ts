// Availability queries: load the meeting type with its people and their busy data, run the pure engine.
import { computeSlots, explainSlot, isValidTimeZone, mergeIntervals } from '../availability/index.js'
import type { AvailabilityInput, Interval, Reason } from '../availability/types.js'
import { listHostBookings, listMeetingTypeBookingStarts } from '../db/repositories/bookings.js'
import {
  type BusyCalendar,
  listBusyCalendars,
  listBusyIntervals,
  type Owner,
} from '../db/repositories/calendars.js'
import { findMeetingType, type MeetingType } from '../db/repositories/meeting-types.js'
import {
  type Assistant,
  type Client,
  findAssistant,
  findClient,
  findContact,
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

export async function loadSchedulingContext(
  db: Deps['db'],
  accountId: string,
  meetingTypeId: string,
): Promise<SchedulingContext> {
  const meetingType = await findMeetingType(db, accountId, meetingTypeId)
  const client = meetingType && (await findClient(db, accountId, meetingType.clientId))
  const assistant = client && (await findAssistant(db, accountId, client.assistantId))
  if (!meetingType || !client || !assistant) {
    throw new NotFoundError('Meeting type')
  }
  return { meetingType, client, assistant }
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
  const calendars = await listBusyCalendars(db, accountId, hostsOf(ctx))
  const busy = await listBusyIntervals(db, accountId, calendars, {
    start: range.start - mt.bufferBeforeMinutes * MINUTE,
    end: range.end + mt.bufferAfterMinutes * MINUTE,
  })
  const needsAssistant = mt.hosts !== 'client'
  // Existing bookings carry their own buffers, which may be longer than this type's: look a day around.
  const bookings = await listHostBookings(
    db,
    accountId,
    { clientId: ctx.client.id, assistantId: needsAssistant ? ctx.assistant.id : null },
    { start: range.start - DAY, end: range.end + DAY },
    excludeBookingId,
  )
  // A local day is at most 26 hours long: two days around the window hold every booking of its dates.
  const sameTypeBookingStarts =
    mt.maxPerDay === null
      ? []
      : await listMeetingTypeBookingStarts(
          db,
          accountId,
          mt.id,
          { start: range.start - 2 * DAY, end: range.end + 2 * DAY },
          excludeBookingId,
        )
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

// Factories for engine tests: schedules, meeting rules and inputs with readable defaults.
import { DateTime } from 'luxon'
import type { AvailabilityInput, MeetingRules, Schedule, Weekday } from '../../../src/availability/index.js'

export const WEEKDAYS_ALL: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']
export const WORKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri']

/** An instant from an ISO string with an offset or Z. */
export function utc(iso: string): number {
  const dt = DateTime.fromISO(iso, { setZone: true })
  if (!dt.isValid) throw new Error(`bad ISO ${iso}`)
  return dt.toMillis()
}

/** The instant of an unambiguous local wall time ('2026-03-30T09:00') in a zone. */
export function local(wall: string, zone: string): number {
  return DateTime.fromISO(wall, { zone }).toMillis()
}

export function iso(at: number): string {
  return DateTime.fromMillis(at, { zone: 'utc' }).toISO({ suppressMilliseconds: true })!
}

export function schedule(timeZone: string, over: Partial<Schedule> = {}): Schedule {
  return {
    timeZone,
    weekly: [{ days: WORKDAYS, start: '09:00', end: '17:00' }],
    overrides: [],
    blocks: [],
    ...over,
  }
}

export function rules(over: Partial<MeetingRules> = {}): MeetingRules {
  return {
    durationMinutes: 30,
    slotIntervalMinutes: 30,
    bufferBeforeMinutes: 0,
    bufferAfterMinutes: 0,
    minimumNoticeMinutes: 0,
    horizonDays: 365,
    maxPerDay: null,
    requireAssistantHours: false,
    contactHours: null,
    ...over,
  }
}

export function input(
  over: Partial<Omit<AvailabilityInput, 'rules'>> & { rules?: Partial<MeetingRules> },
): AvailabilityInput {
  const { rules: r, ...rest } = over
  return {
    window: { start: utc('2026-03-02T00:00Z'), end: utc('2026-03-03T00:00Z') },
    now: utc('2026-01-01T00:00Z'),
    clientSchedule: schedule('UTC'),
    assistantSchedule: null,
    contactTimeZone: null,
    busy: [],
    bookings: [],
    sameTypeBookingStarts: [],
    ...rest,
    rules: rules(r),
  }
}

/** Local 'HH:mm' of each instant in a zone, for compact expectations. */
export function hhmm(instants: number[], zone: string): string[] {
  return instants.map((t) => DateTime.fromMillis(t, { zone }).toFormat('HH:mm'))
}

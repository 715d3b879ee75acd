// The engine's contract: schedules, meeting rules and the one input object in; epoch-ms intervals and reasons out.

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'

/** Wall-clock interval on a local date, 'HH:mm'; `end` may be '24:00' (the next date's midnight). */
export interface LocalInterval {
  start: string
  end: string
}

export interface WeeklyRule {
  days: Weekday[]
  start: string
  end: string
}

/** Replaces the weekly hours of one local date ('YYYY-MM-DD'); `intervals: []` is a day off. */
export interface DateOverride {
  date: string
  intervals: LocalInterval[]
}

/** Removes [start, end) of wall-clock time on every local date the RRULE yields. */
export interface ScheduleBlock {
  rrule: string
  start: string
  end: string
  label?: string
}

export interface Schedule {
  timeZone: string
  weekly: WeeklyRule[]
  overrides: DateOverride[]
  blocks: ScheduleBlock[]
}

/** Half-open [start, end) in epoch milliseconds. */
export interface Interval {
  start: number
  end: number
}

export interface BusyInterval extends Interval {
  connectionId?: string
  calendarId?: string
}

export interface ExistingBooking extends Interval {
  bufferBeforeMinutes: number
  bufferAfterMinutes: number
  bookingId?: string
}

export interface MeetingRules {
  durationMinutes: number
  slotIntervalMinutes: number
  bufferBeforeMinutes: number
  bufferAfterMinutes: number
  minimumNoticeMinutes: number
  horizonDays: number
  maxPerDay: number | null
  requireAssistantHours: boolean
  contactHours: LocalInterval | null
}

export interface AvailabilityInput {
  /** Every offered slot [s, s + duration) lies inside this window. explainSlot ignores it. */
  window: Interval
  /** The engine never reads a clock. */
  now: number
  rules: MeetingRules
  /** The grid and the per-day limit use this schedule's zone. */
  clientSchedule: Schedule
  /** Applied only when rules.requireAssistantHours; null means no office hours constrain the slot. */
  assistantSchedule: Schedule | null
  /** Contact hours apply only when this and rules.contactHours are set. */
  contactTimeZone: string | null
  /** Provider busy events of the hosts who must be free; unsorted, may overlap; empty ones are ignored. */
  busy: BusyInterval[]
  /** Confirmed bookings of the hosts; each padded by its own buffers. */
  bookings: ExistingBooking[]
  /** Starts of confirmed bookings of this meeting type of this client (for maxPerDay). */
  sameTypeBookingStarts: number[]
}

export type ReasonCode =
  | 'outside_business_hours'
  | 'outside_office_hours'
  | 'outside_contact_hours'
  | 'time_off'
  | 'blocked'
  | 'calendar_busy'
  | 'booking_conflict'
  | 'minimum_notice'
  | 'beyond_horizon'
  | 'daily_limit'
  | 'misaligned'

export interface Reason {
  code: ReasonCode
  detail: string
  connectionId?: string
  calendarId?: string
  start?: number
  end?: number
  bookingId?: string
}

export interface ValidationIssue {
  pointer: string
  message: string
}

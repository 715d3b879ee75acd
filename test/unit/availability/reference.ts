// A slow, obviously-correct availability reference: minute bitmaps built date by date with Luxon, every
// rule of SPEC 1.2 checked minute by minute. Only for tests over windows of a few days.
import { DateTime, IANAZone } from 'luxon'
import * as rruleModule from 'rrule'
import type {
  AvailabilityInput,
  Interval,
  LocalInterval,
  Schedule,
  Weekday,
} from '../../../src/availability/index.js'

const { rrulestr } = (rruleModule as unknown as { default?: typeof rruleModule }).default ?? rruleModule
const MIN = 60_000
const HOUR = 3_600_000
const DAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number]
  return h * 60 + m
}

const instantCache = new Map<string, number>()
const offsetCache = new Map<string, Set<number>>()

/** Every offset (minutes) the zone uses within 36 hours of a local date's midnight. */
function offsetsAround(zone: string, date: string, wall: number): Set<number> {
  const key = `${zone}|${date}`
  const hit = offsetCache.get(key)
  if (hit) return hit
  const z = IANAZone.create(zone)
  const midnight = wall - (wall % 86_400_000)
  const offsets = new Set<number>()
  for (let t = midnight - 36 * HOUR; t <= midnight + 60 * HOUR; t += 15 * MIN) offsets.add(z.offset(t))
  offsetCache.set(key, offsets)
  return offsets
}

/**
 * The instant of wall time `minutes` after midnight of local date `date` in `zone`, by definition: the
 * earliest instant whose offset reproduces that wall time; if none does (a spring-forward gap), the wall
 * time read with the offset from before the gap, i.e. moved forward by the gap.
 */
export function wallToInstant(zone: string, date: string, minutes: number): number {
  const key = `${zone}|${date}|${minutes}`
  const hit = instantCache.get(key)
  if (hit !== undefined) return hit
  const z = IANAZone.create(zone)
  const wall = DateTime.fromISO(date, { zone: 'utc' }).plus({ minutes }).toMillis()
  const offsets = offsetsAround(zone, date, wall)
  const valid = [...offsets].map((o) => wall - o * MIN).filter((t) => z.offset(t) * MIN === wall - t)
  const result = valid.length > 0 ? Math.min(...valid) : wall - Math.min(...offsets) * MIN
  instantCache.set(key, result)
  return result
}

const occurrenceCache = new Map<string, Set<string>>()

/** The local dates an RRULE yields, straight from rrule with DTSTART 2000-01-01 when absent. */
function occurrenceDates(rule: string): Set<string> {
  const hit = occurrenceCache.get(rule)
  if (hit) return hit
  const parsed = /DTSTART/i.test(rule)
    ? rrulestr(rule)
    : rrulestr(rule, { dtstart: new Date(Date.UTC(2000, 0, 1)) })
  const dates = parsed.between(new Date(Date.UTC(2025, 0, 1)), new Date(Date.UTC(2028, 0, 1)), true)
  const set = new Set(dates.map((d) => d.toISOString().slice(0, 10)))
  occurrenceCache.set(rule, set)
  return set
}

/** A bitmap, one entry per minute from `origin`, of the minutes a schedule is open. */
function scheduleBitmap(schedule: Schedule, origin: number, minutes: number): Uint8Array {
  const open = new Uint8Array(minutes)
  const mark = (date: string, interval: LocalInterval, value: 0 | 1) => {
    const a = wallToInstant(schedule.timeZone, date, minutesOf(interval.start))
    const b = wallToInstant(schedule.timeZone, date, minutesOf(interval.end))
    for (let t = Math.max(a, origin); t < b && t < origin + minutes * MIN; t += MIN)
      open[(t - origin) / MIN] = value
  }
  const first = DateTime.fromMillis(origin, { zone: schedule.timeZone }).startOf('day').minus({ days: 2 })
  const days = Math.ceil(minutes / 1440) + 4
  for (let i = 0; i < days; i++) {
    const day = first.plus({ days: i })
    const date = day.toISODate()!
    const override = schedule.overrides.find((o) => o.date === date)
    const weekday = DAYS[day.weekday - 1]!
    const intervals = override ? override.intervals : schedule.weekly.filter((w) => w.days.includes(weekday))
    for (const interval of intervals) mark(date, interval, 1)
  }
  for (let i = 0; i < days; i++) {
    const date = first.plus({ days: i }).toISODate()!
    for (const block of schedule.blocks) if (occurrenceDates(block.rrule).has(date)) mark(date, block, 0)
  }
  return open
}

const overlaps = (a: Interval, b: Interval) => a.start < b.end && b.start < a.end

/** The slots by brute force. Every instant involved must be a whole minute. */
export function referenceSlots(input: AvailabilityInput): Interval[] {
  const { window, rules, now } = input
  const dur = rules.durationMinutes * MIN
  const origin = window.start
  const minutes = Math.ceil((window.end - window.start) / MIN) + 1
  const bitmaps = [scheduleBitmap(input.clientSchedule, origin, minutes)]
  if (rules.requireAssistantHours && input.assistantSchedule) {
    bitmaps.push(scheduleBitmap(input.assistantSchedule, origin, minutes))
  }
  if (rules.contactHours && input.contactTimeZone) {
    const contact = {
      timeZone: input.contactTimeZone,
      weekly: [{ days: DAYS, ...rules.contactHours }],
      overrides: [],
      blocks: [],
    }
    bitmaps.push(scheduleBitmap(contact, origin, minutes))
  }
  const zone = input.clientSchedule.timeZone
  const dateOf = (t: number) => DateTime.fromMillis(t, { zone }).toISODate()
  const bookedDates = input.sameTypeBookingStarts.map(dateOf)
  const slots: Interval[] = []
  for (let s = origin; s + dur <= window.end; s += MIN) {
    const slot = { start: s, end: s + dur }
    let inside = true
    for (let t = s; t < s + dur && inside; t += MIN) {
      for (const bitmap of bitmaps) if (!bitmap[(t - origin) / MIN]) inside = false
    }
    if (!inside) continue
    const padded = {
      start: s - rules.bufferBeforeMinutes * MIN,
      end: s + dur + rules.bufferAfterMinutes * MIN,
    }
    if (input.busy.some((b) => b.start < b.end && overlaps(padded, b))) continue
    const conflict = input.bookings.some((b) => {
      if (!(b.start < b.end)) return false
      const bookingPadded = {
        start: b.start - b.bufferBeforeMinutes * MIN,
        end: b.end + b.bufferAfterMinutes * MIN,
      }
      return overlaps(padded, b) || overlaps(slot, bookingPadded)
    })
    if (conflict) continue
    if (s < now + rules.minimumNoticeMinutes * MIN || s >= now + rules.horizonDays * 86_400_000) continue
    const wall = DateTime.fromMillis(s, { zone })
    if ((wall.hour * 60 + wall.minute) % rules.slotIntervalMinutes !== 0 || wall.second !== 0) continue
    if (rules.maxPerDay !== null) {
      const date = dateOf(s)
      if (bookedDates.filter((d) => d === date).length >= rules.maxPerDay) continue
    }
    slots.push(slot)
  }
  return slots
}

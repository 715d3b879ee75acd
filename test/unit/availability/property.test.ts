// Property tests: the engine against the minute-by-minute reference, and explainSlot against computeSlots.
import fc from 'fast-check'
import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import {
  type AvailabilityInput,
  computeSlots,
  explainSlot,
  type LocalInterval,
  type Schedule,
  type Weekday,
} from '../../../src/availability/index.js'
import { referenceSlots } from './reference.js'

const MIN = 60_000

// Zones with DST in either hemisphere, half-hour and 45-minute offsets, a 30-minute DST shift, DST changes
// at midnight (Santiago, Havana) and the date line.
const ZONES = [
  'UTC',
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'Asia/Kolkata',
  'America/St_Johns',
  'Pacific/Chatham',
  'Pacific/Auckland',
  'Pacific/Honolulu',
  'America/Santiago',
  'America/Havana',
]

// Windows start around the 2026 DST changes of those zones (UTC days), and one ordinary day.
const BASE_DAYS = [
  '2026-03-08',
  '2026-03-29',
  '2026-04-05',
  '2026-04-04',
  '2026-09-06',
  '2026-09-27',
  '2026-10-04',
  '2026-10-25',
  '2026-11-01',
  '2026-03-15',
  '2026-06-10',
]

const BLOCK_RULES = [
  'FREQ=DAILY',
  'FREQ=WEEKLY;BYDAY=MO,WE,SU',
  'FREQ=DAILY;INTERVAL=2',
  'FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU',
  'FREQ=MONTHLY;BYMONTHDAY=1,5,8,25,27',
  'FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU',
  'DTSTART:20260301T000000\nRRULE:FREQ=DAILY;COUNT=30',
  'DTSTART:20260920T090000\nRRULE:FREQ=DAILY;INTERVAL=3;UNTIL=20261030T000000',
]

const DAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']

// Times near DST changes (01:00–03:45) are drawn often, and arbitrary minutes too.
const minuteOfDay = fc.oneof(
  fc.constantFrom(0, 60, 90, 120, 150, 165, 180, 225, 240, 360, 540, 720, 1020, 1380),
  fc.integer({ min: 0, max: 1439 }),
)
const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
const randomInterval: fc.Arbitrary<LocalInterval> = fc
  .tuple(minuteOfDay, fc.integer({ min: 1, max: 1440 }))
  .map(([start, length]) => ({ start: hhmm(start), end: hhmm(Math.min(1440, start + length)) }))
// Wide hours keep most cases non-empty after three schedules are intersected; the rest straddle DST changes.
const localInterval: fc.Arbitrary<LocalInterval> = fc.oneof(
  fc.constantFrom(
    { start: '00:00', end: '24:00' },
    { start: '00:00', end: '06:00' },
    { start: '01:30', end: '03:30' },
    { start: '02:30', end: '23:00' },
    { start: '06:00', end: '22:00' },
    { start: '20:00', end: '24:00' },
  ),
  randomInterval,
)
const allDays = fc.oneof(fc.constant(DAYS), fc.subarray(DAYS, { minLength: 1 }))

function scheduleArb(baseDay: string): fc.Arbitrary<Schedule> {
  const date = fc
    .integer({ min: -2, max: 3 })
    .map((d) => DateTime.fromISO(baseDay).plus({ days: d }).toISODate()!)
  const parts = fc.record({
    timeZone: fc.constantFrom(...ZONES),
    weekly: fc.array(
      fc.record({ days: allDays, interval: localInterval }).map((w) => ({
        days: w.days,
        ...w.interval,
      })),
      { minLength: 1, maxLength: 3 },
    ),
    wide: fc.boolean(),
    overrides: fc
      .array(fc.record({ date, intervals: fc.array(randomInterval, { maxLength: 2 }) }), { maxLength: 2 })
      .map((list) => list.filter((o, i) => list.findIndex((p) => p.date === o.date) === i)),
    blocks: fc.array(
      fc.record({ rrule: fc.constantFrom(...BLOCK_RULES), interval: randomInterval }).map((b) => ({
        rrule: b.rrule,
        ...b.interval,
      })),
      { maxLength: 2 },
    ),
  })
  // Half the schedules also open 06:00–22:00 every day, so that intersections of three schedules stay non-empty.
  return parts.map(({ wide, weekly, ...rest }) => ({
    ...rest,
    weekly: wide ? [...weekly, { days: DAYS, start: '06:00', end: '22:00' }] : weekly,
  }))
}

const inputArb: fc.Arbitrary<AvailabilityInput> = fc.constantFrom(...BASE_DAYS).chain((baseDay) => {
  const base = DateTime.fromISO(`${baseDay}T00:00Z`).toMillis()
  const instant = fc.integer({ min: -12 * 60, max: 60 * 60 }).map((m) => base + m * MIN)
  const interval = fc
    .tuple(instant, fc.integer({ min: 1, max: 300 }))
    .map(([start, length]) => ({ start, end: start + length * MIN }))
  return fc
    .record({
      windowStart: fc.integer({ min: -12 * 60, max: 24 * 60 }).map((m) => base + m * MIN),
      windowMinutes: fc.oneof(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 6 * 60, max: 48 * 60 }),
        fc.integer({ min: 6 * 60, max: 48 * 60 }),
      ),
      nowShift: fc.integer({ min: -48 * 60, max: 6 * 60 }),
      durationMinutes: fc.constantFrom(15, 30, 45, 60, 90, 25, 7),
      slotIntervalMinutes: fc.constantFrom(5, 10, 15, 20, 30, 60, 25, 45),
      bufferBeforeMinutes: fc.constantFrom(0, 0, 5, 10, 30),
      bufferAfterMinutes: fc.constantFrom(0, 0, 5, 15, 45),
      minimumNoticeMinutes: fc.constantFrom(0, 0, 60, 240),
      horizonDays: fc.constantFrom(365, 365, 365, 365, 1, 2),
      maxPerDay: fc.constantFrom(null, null, null, null, 0, 1, 2),
      requireAssistantHours: fc.boolean(),
      contactHours: fc.option(localInterval, { nil: null }),
      client: scheduleArb(baseDay),
      assistant: fc.option(scheduleArb(baseDay), { nil: null }),
      contactTimeZone: fc.option(fc.constantFrom(...ZONES), { nil: null }),
      busy: fc.array(interval, { maxLength: 6 }),
      bookings: fc.array(
        fc.record({ interval, before: fc.constantFrom(0, 10, 30), after: fc.constantFrom(0, 5, 20) }),
        { maxLength: 3 },
      ),
      sameType: fc.array(instant, { maxLength: 4 }),
    })
    .map(
      (r): AvailabilityInput => ({
        window: { start: r.windowStart, end: r.windowStart + r.windowMinutes * MIN },
        now: r.windowStart + r.nowShift * MIN,
        rules: {
          durationMinutes: r.durationMinutes,
          slotIntervalMinutes: r.slotIntervalMinutes,
          bufferBeforeMinutes: r.bufferBeforeMinutes,
          bufferAfterMinutes: r.bufferAfterMinutes,
          minimumNoticeMinutes: r.minimumNoticeMinutes,
          horizonDays: r.horizonDays,
          maxPerDay: r.maxPerDay,
          requireAssistantHours: r.requireAssistantHours,
          contactHours: r.contactHours,
        },
        clientSchedule: r.client,
        assistantSchedule: r.assistant,
        contactTimeZone: r.contactTimeZone,
        busy: r.busy.map((b, i) => ({ ...b, connectionId: `conn-${i % 2}`, calendarId: `cal-${i}` })),
        bookings: r.bookings.map((b, i) => ({
          ...b.interval,
          bufferBeforeMinutes: b.before,
          bufferAfterMinutes: b.after,
          bookingId: `booking-${i}`,
        })),
        sameTypeBookingStarts: r.sameType,
      }),
    )
})

describe('computeSlots against the minute-by-minute reference', () => {
  it('offers exactly the reference slots for random schedules, zones, buffers, busy time and limits', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(computeSlots(input)).toEqual(referenceSlots(input))
      }),
      { numRuns: 2000 },
    )
    // 2,000 runs take about 12 s alone and 43 s on a crowded machine: the limit is not a speed check.
  }, 120_000)
})

describe('explainSlot against computeSlots', () => {
  it('finds no reason exactly for the offered starts', () => {
    fc.assert(
      fc.property(
        inputArb,
        fc.array(fc.integer({ min: 0, max: 48 * 60 }), { maxLength: 25 }),
        (input, picks) => {
          const slots = computeSlots(input)
          const offered = new Set(slots.map((s) => s.start))
          const duration = input.rules.durationMinutes * MIN
          const starts = new Set(slots.slice(0, 10).map((s) => s.start))
          for (const p of picks) {
            const start = input.window.start + p * MIN
            if (start + duration <= input.window.end) starts.add(start)
          }
          for (const start of starts) {
            const reasons = explainSlot(input, start)
            expect({ start, available: reasons.length === 0, reasons }).toMatchObject({
              start,
              available: offered.has(start),
            })
          }
        },
      ),
      { numRuns: 400 },
    )
  })
})

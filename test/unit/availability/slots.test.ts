// computeSlots, rule by rule (SPEC 1.2): hours, assistant and contact hours, buffers, notice, horizon, limit, grid.
import { describe, expect, it } from 'vitest'
import { computeSlots } from '../../../src/availability/index.js'
import { hhmm, input, schedule, utc, WEEKDAYS_ALL } from './helpers.js'

const starts = (i: Parameters<typeof computeSlots>[0]) => computeSlots(i).map((s) => s.start)
const allDay = (zone: string) =>
  schedule(zone, { weekly: [{ days: WEEKDAYS_ALL, start: '00:00', end: '24:00' }] })
const day = (date: string) => ({ start: utc(`${date}T00:00Z`), end: utc(`${date}T00:00Z`) + 86_400_000 })

describe('rule 1: business hours', () => {
  it('offers slots inside the client’s hours only, in the client’s zone', () => {
    const slots = computeSlots(
      input({ clientSchedule: schedule('Europe/Berlin'), window: day('2026-03-02') }),
    )
    expect(slots).toHaveLength(16)
    expect(hhmm([slots[0]!.start, slots.at(-1)!.start], 'Europe/Berlin')).toEqual(['09:00', '16:30'])
    expect(slots.at(-1)!.end).toBe(utc('2026-03-02T16:00Z'))
  })

  it('offers nothing on a day off', () => {
    const clientSchedule = schedule('Europe/Berlin', { overrides: [{ date: '2026-03-02', intervals: [] }] })
    expect(computeSlots(input({ clientSchedule, window: day('2026-03-02') }))).toEqual([])
  })

  it('gives W-dst-oct’s Monday after the fall-back its 31 slots from 08:00Z to 16:00Z', () => {
    const slots = computeSlots(
      input({
        clientSchedule: schedule('Europe/Berlin', {
          weekly: [{ days: WEEKDAYS_ALL, start: '09:00', end: '17:00' }],
        }),
        window: { start: utc('2026-10-22T22:00Z'), end: utc('2026-10-26T22:59:59Z') },
        now: utc('2026-10-01T10:00Z'),
        rules: { slotIntervalMinutes: 15 },
      }),
    )
    const monday = slots.filter((s) => s.start >= utc('2026-10-26T00:00Z'))
    expect(monday).toHaveLength(31)
    expect(monday[0]!.start).toBe(utc('2026-10-26T08:00Z'))
    expect(monday.at(-1)!.end).toBe(utc('2026-10-26T16:00Z'))
    expect(slots).toHaveLength(124)
  })

  it('only offers slots that lie wholly inside the window', () => {
    const window = { start: utc('2026-03-02T09:10Z'), end: utc('2026-03-02T10:30Z') }
    expect(starts(input({ window }))).toEqual([utc('2026-03-02T09:30Z'), utc('2026-03-02T10:00Z')])
  })
})

describe('rule 2: assistant office hours', () => {
  // New York changes on 8 March, London on 29 March: the overlap of 09:00–17:00 in both moves twice.
  const both = (date: string, requireAssistantHours = true) =>
    hhmm(
      starts(
        input({
          clientSchedule: schedule('Europe/London'),
          assistantSchedule: schedule('America/New_York'),
          window: day(date),
          rules: { durationMinutes: 60, slotIntervalMinutes: 60, requireAssistantHours },
        }),
      ),
      'UTC',
    )

  it.each([
    ['2026-03-06', ['14:00', '15:00', '16:00']],
    ['2026-03-10', ['13:00', '14:00', '15:00', '16:00']],
    ['2026-03-31', ['13:00', '14:00', '15:00']],
  ])('intersects London business hours with New York office hours on %s', (date, expected) => {
    expect(both(date)).toEqual(expected)
  })

  it('ignores the assistant’s hours when the meeting type does not require them', () => {
    expect(both('2026-03-31', false)).toHaveLength(8)
  })
})

describe('rule 3: contact hours', () => {
  it('keeps slots inside the contact’s hours in the contact’s zone', () => {
    const slots = starts(
      input({
        clientSchedule: allDay('UTC'),
        contactTimeZone: 'Asia/Tokyo',
        window: day('2026-03-02'),
        rules: {
          durationMinutes: 60,
          slotIntervalMinutes: 60,
          contactHours: { start: '09:00', end: '17:00' },
        },
      }),
    )
    expect(hhmm(slots, 'UTC')).toEqual([
      '00:00',
      '01:00',
      '02:00',
      '03:00',
      '04:00',
      '05:00',
      '06:00',
      '07:00',
    ])
  })

  it('ignores contact hours while the contact’s zone is unknown', () => {
    const slots = starts(
      input({
        clientSchedule: allDay('UTC'),
        window: day('2026-03-02'),
        rules: {
          durationMinutes: 60,
          slotIntervalMinutes: 60,
          contactHours: { start: '09:00', end: '17:00' },
        },
      }),
    )
    expect(slots).toHaveLength(24)
  })
})

describe('rule 4: busy time and bookings, with buffers', () => {
  const base = {
    clientSchedule: allDay('UTC'),
    window: { start: utc('2026-03-02T08:00Z'), end: utc('2026-03-02T13:00Z') },
  }

  it('does not offer a slot whose padded interval touches a busy event', () => {
    const slots = starts(
      input({
        ...base,
        busy: [
          {
            start: utc('2026-03-02T10:00Z'),
            end: utc('2026-03-02T11:00Z'),
            connectionId: 'c1',
            calendarId: 'k1',
          },
        ],
        rules: { slotIntervalMinutes: 15, bufferBeforeMinutes: 15, bufferAfterMinutes: 10 },
      }),
    )
    expect(hhmm(slots, 'UTC')).toEqual([
      '08:00',
      '08:15',
      '08:30',
      '08:45',
      '09:00',
      '09:15',
      '11:15',
      '11:30',
      '11:45',
      '12:00',
      '12:15',
      '12:30',
    ])
  })

  it('merges overlapping, unsorted busy events', () => {
    const busy = [
      { start: utc('2026-03-02T10:30Z'), end: utc('2026-03-02T12:00Z') },
      { start: utc('2026-03-02T09:00Z'), end: utc('2026-03-02T11:00Z') },
      { start: utc('2026-03-02T09:30Z'), end: utc('2026-03-02T09:45Z') },
      { start: utc('2026-03-02T12:00Z'), end: utc('2026-03-02T12:00Z') },
    ]
    expect(hhmm(starts(input({ ...base, busy })), 'UTC')).toEqual(['08:00', '08:30', '12:00', '12:30'])
  })

  it('keeps the larger buffer on each side of an existing booking (its own or the new meeting’s)', () => {
    const slots = starts(
      input({
        ...base,
        bookings: [
          {
            start: utc('2026-03-02T10:00Z'),
            end: utc('2026-03-02T11:00Z'),
            bufferBeforeMinutes: 20,
            bufferAfterMinutes: 30,
          },
        ],
        rules: { slotIntervalMinutes: 10, bufferBeforeMinutes: 10, bufferAfterMinutes: 5 },
      }),
    )
    // Forbidden for the new meeting itself: 10:00 − max(5, 20) = 09:40 to 11:00 + max(10, 30) = 11:30.
    expect(slots).toContain(utc('2026-03-02T09:10Z'))
    expect(slots).not.toContain(utc('2026-03-02T09:20Z'))
    expect(slots).not.toContain(utc('2026-03-02T11:20Z'))
    expect(slots).toContain(utc('2026-03-02T11:30Z'))
  })

  it('lets the new meeting’s after-buffer push it away from a booking without buffers', () => {
    const slots = starts(
      input({
        ...base,
        bookings: [
          {
            start: utc('2026-03-02T10:00Z'),
            end: utc('2026-03-02T11:00Z'),
            bufferBeforeMinutes: 0,
            bufferAfterMinutes: 0,
          },
        ],
        rules: { slotIntervalMinutes: 10, bufferBeforeMinutes: 0, bufferAfterMinutes: 15 },
      }),
    )
    expect(slots).toContain(utc('2026-03-02T09:10Z'))
    expect(slots).not.toContain(utc('2026-03-02T09:20Z'))
    expect(slots).toContain(utc('2026-03-02T11:00Z'))
  })
})

describe('rule 5: minimum notice and horizon', () => {
  it('does not offer a slot that starts before now + the notice', () => {
    const slots = starts(input({ now: utc('2026-03-02T08:50Z'), rules: { minimumNoticeMinutes: 60 } }))
    expect(slots[0]).toBe(utc('2026-03-02T10:00Z'))
  })

  it('offers a slot that starts exactly at now + the notice', () => {
    const slots = starts(input({ now: utc('2026-03-02T09:00Z'), rules: { minimumNoticeMinutes: 60 } }))
    expect(slots[0]).toBe(utc('2026-03-02T10:00Z'))
  })

  it('does not offer a slot that starts at or after now + the horizon', () => {
    const slots = starts(
      input({
        clientSchedule: allDay('UTC'),
        now: utc('2026-03-01T12:00Z'),
        window: { start: utc('2026-03-02T10:00Z'), end: utc('2026-03-02T14:00Z') },
        rules: { horizonDays: 1, durationMinutes: 60, slotIntervalMinutes: 60 },
      }),
    )
    expect(hhmm(slots, 'UTC')).toEqual(['10:00', '11:00'])
  })
})

describe('rule 6: per-day limit', () => {
  it('offers nothing on a local date that already has maxPerDay bookings of the type', () => {
    const slots = starts(
      input({
        window: { start: utc('2026-03-02T00:00Z'), end: utc('2026-03-04T00:00Z') },
        sameTypeBookingStarts: [utc('2026-03-02T09:00Z'), utc('2026-03-02T15:00Z')],
        rules: { maxPerDay: 2, durationMinutes: 60, slotIntervalMinutes: 60 },
      }),
    )
    expect(hhmm(slots, 'UTC')).toHaveLength(8)
    expect(slots.every((s) => s >= utc('2026-03-03T00:00Z'))).toBe(true)
  })

  it('counts bookings on the client’s local date, not the UTC date (Pacific/Auckland)', () => {
    const slots = starts(
      input({
        clientSchedule: schedule('Pacific/Auckland'),
        window: { start: utc('2026-03-01T00:00Z'), end: utc('2026-03-04T00:00Z') },
        // 20:00Z on Monday 2 March is 09:00 on Tuesday 3 March in Auckland.
        sameTypeBookingStarts: [utc('2026-03-02T20:00Z')],
        rules: { maxPerDay: 1, durationMinutes: 60, slotIntervalMinutes: 60 },
      }),
    )
    expect(slots.filter((s) => s >= utc('2026-03-01T20:00Z') && s < utc('2026-03-02T04:00Z'))).toHaveLength(8)
    expect(slots.filter((s) => s >= utc('2026-03-02T20:00Z') && s < utc('2026-03-03T04:00Z'))).toHaveLength(0)
  })

  it('offers nothing when the limit is 0', () => {
    expect(computeSlots(input({ rules: { maxPerDay: 0 } }))).toEqual([])
  })
})

describe('rule 7: the grid on the client’s clock', () => {
  it('puts a 15-minute grid on :00/:15/:30/:45 of Kathmandu time, which is :15/:30/:45/:00 in UTC', () => {
    const slots = starts(
      input({
        clientSchedule: schedule('Asia/Kathmandu', {
          weekly: [{ days: ['mon'], start: '09:00', end: '10:00' }],
        }),
        rules: { slotIntervalMinutes: 15 },
      }),
    )
    expect(hhmm(slots, 'Asia/Kathmandu')).toEqual(['09:00', '09:15', '09:30'])
    expect(hhmm(slots, 'UTC')).toEqual(['03:15', '03:30', '03:45'])
  })

  it('counts an interval that does not divide the hour from local midnight', () => {
    const slots = starts(
      input({
        clientSchedule: schedule('Europe/Berlin', {
          weekly: [{ days: ['mon'], start: '08:30', end: '10:30' }],
        }),
        rules: { slotIntervalMinutes: 25, durationMinutes: 25 },
      }),
    )
    // 08:45 is minute 525 = 21 × 25 of the local day.
    expect(hhmm(slots, 'Europe/Berlin')).toEqual(['08:45', '09:10', '09:35', '10:00'])
  })

  it('offers the repeated hour twice on a fall-back day and skips the missing hour on a spring-forward day', () => {
    const hourly = { durationMinutes: 60, slotIntervalMinutes: 60 }
    const fall = starts(
      input({ clientSchedule: allDay('Europe/Berlin'), window: day('2026-10-25'), rules: hourly }),
    )
    const spring = starts(
      input({ clientSchedule: allDay('Europe/Berlin'), window: day('2026-03-29'), rules: hourly }),
    )
    const fallLocal = hhmm(fall, 'Europe/Berlin')
    expect(fallLocal.filter((t) => t === '02:00')).toHaveLength(2)
    expect(hhmm(spring, 'Europe/Berlin')).not.toContain('02:00')
  })

  it('keeps a half-hour grid on the clock through Lord Howe’s 30-minute fall-back', () => {
    const slots = starts(
      input({
        clientSchedule: allDay('Australia/Lord_Howe'),
        window: { start: utc('2026-04-04T14:00Z'), end: utc('2026-04-04T16:00Z') },
      }),
    )
    // 01:00 and 01:30 (+11); at 02:00 the clock goes back to 01:30 (+10:30), then 02:00.
    expect(hhmm(slots, 'Australia/Lord_Howe')).toEqual(['01:00', '01:30', '01:30', '02:00'])
    expect(slots).toEqual([
      utc('2026-04-04T14:00Z'),
      utc('2026-04-04T14:30Z'),
      utc('2026-04-04T15:00Z'),
      utc('2026-04-04T15:30Z'),
    ])
  })
})

describe('degenerate inputs', () => {
  it('offers nothing for a non-positive duration or interval, or an empty window', () => {
    expect(computeSlots(input({ rules: { durationMinutes: 0 } }))).toEqual([])
    expect(computeSlots(input({ rules: { slotIntervalMinutes: 0 } }))).toEqual([])
    expect(
      computeSlots(input({ window: { start: utc('2026-03-02T12:00Z'), end: utc('2026-03-02T12:00Z') } })),
    ).toEqual([])
  })
})

// expandSchedule: weekly hours per local date, overrides, DST days in both directions and odd offsets.
import { describe, expect, it } from 'vitest'
import { expandSchedule, mergeIntervals } from '../../../src/availability/index.js'
import { schedule, utc, WEEKDAYS_ALL } from './helpers.js'

const HOUR = 3_600_000
const wide = (date: string) => ({
  start: utc(`${date}T00:00Z`) - 3 * 86_400_000,
  end: utc(`${date}T00:00Z`) + 3 * 86_400_000,
})

/** The one interval an override of `date` opens, expanded. */
function overrideOnly(zone: string, date: string, start: string, end: string) {
  return expandSchedule(
    schedule(zone, { weekly: [], overrides: [{ date, intervals: [{ start, end }] }] }),
    wide(date),
  )
}

describe('expandSchedule on DST days', () => {
  // [zone, spring-forward date, fall-back date, size of the shift in minutes]
  const zones: [string, string, string, number][] = [
    ['America/New_York', '2026-03-08', '2026-11-01', 60],
    ['Europe/London', '2026-03-29', '2026-10-25', 60],
    ['Europe/Berlin', '2026-03-29', '2026-10-25', 60],
    ['Australia/Sydney', '2026-10-04', '2026-04-05', 60],
    ['Australia/Lord_Howe', '2026-10-04', '2026-04-05', 30],
    ['America/St_Johns', '2026-03-08', '2026-11-01', 60],
    ['Pacific/Chatham', '2026-09-27', '2026-04-05', 60],
    ['Pacific/Auckland', '2026-09-27', '2026-04-05', 60],
    ['Asia/Kathmandu', '2026-03-29', '2026-10-25', 0],
    ['Asia/Kolkata', '2026-03-08', '2026-11-01', 0],
  ]
  it.each(zones)(
    'makes 00:00–06:00 shorter on the spring-forward day and longer on the fall-back day in %s',
    (zone, spring, fall, shift) => {
      const [short] = overrideOnly(zone, spring, '00:00', '06:00')
      const [long] = overrideOnly(zone, fall, '00:00', '06:00')
      expect((short!.end - short!.start) / 60_000).toBe(360 - shift)
      expect((long!.end - long!.start) / 60_000).toBe(360 + shift)
    },
  )

  it('gives 5 real hours to 00:00–06:00 on the spring-forward day and 7 on the fall-back day in Berlin', () => {
    expect(overrideOnly('Europe/Berlin', '2026-03-29', '00:00', '06:00')).toEqual([
      { start: utc('2026-03-28T23:00Z'), end: utc('2026-03-29T04:00Z') },
    ])
    expect(overrideOnly('Europe/Berlin', '2026-10-25', '00:00', '06:00')).toEqual([
      { start: utc('2026-10-24T22:00Z'), end: utc('2026-10-25T05:00Z') },
    ])
  })

  it.each([
    ['Europe/Berlin', '2026-03-29', '02:30', '2026-03-29T01:30Z'],
    ['America/New_York', '2026-03-08', '02:30', '2026-03-08T07:30Z'],
    ['Europe/London', '2026-03-29', '01:30', '2026-03-29T01:30Z'],
    ['Australia/Sydney', '2026-10-04', '02:30', '2026-10-03T16:30Z'],
    ['Australia/Lord_Howe', '2026-10-04', '02:15', '2026-10-03T15:45Z'],
    ['America/St_Johns', '2026-03-08', '02:30', '2026-03-08T06:00Z'],
    ['Pacific/Chatham', '2026-09-27', '03:00', '2026-09-26T14:15Z'],
  ])(
    'moves a wall time in the spring-forward gap forward by the gap (%s %s %s)',
    (zone, date, time, expected) => {
      expect(overrideOnly(zone, date, time, '12:00')[0]!.start).toBe(utc(expected))
    },
  )

  it.each([
    ['Europe/Berlin', '2026-10-25', '02:30', '2026-10-25T00:30Z'],
    ['America/New_York', '2026-11-01', '01:30', '2026-11-01T05:30Z'],
    ['Europe/London', '2026-10-25', '01:30', '2026-10-25T00:30Z'],
    ['Australia/Sydney', '2026-04-05', '02:30', '2026-04-04T15:30Z'],
    ['Australia/Lord_Howe', '2026-04-05', '01:45', '2026-04-04T14:45Z'],
    ['Pacific/Chatham', '2026-04-05', '03:00', '2026-04-04T13:15Z'],
  ])(
    'reads an ambiguous fall-back wall time with the earlier offset (%s %s %s)',
    (zone, date, time, expected) => {
      expect(overrideOnly(zone, date, time, '12:00')[0]!.start).toBe(utc(expected))
    },
  )

  it('moves an interval that lies wholly in the spring-forward gap forward by the gap, both ends', () => {
    // 02:15–02:45 does not exist on 2026-03-29 in Berlin: it becomes 03:15–03:45 CEST.
    expect(overrideOnly('Europe/Berlin', '2026-03-29', '02:15', '02:45')).toEqual([
      { start: utc('2026-03-29T01:15Z'), end: utc('2026-03-29T01:45Z') },
    ])
  })

  it('applies an override on a DST day with that day’s offsets on both sides of the change', () => {
    const open = overrideOnly('America/New_York', '2026-11-01', '00:30', '03:00')
    expect(open).toEqual([{ start: utc('2026-11-01T04:30Z'), end: utc('2026-11-01T08:00Z') }])
  })

  it('keeps 24:00 as the next local midnight, also across a DST change', () => {
    const open = overrideOnly('Europe/Berlin', '2026-03-28', '20:00', '24:00')
    expect(open).toEqual([{ start: utc('2026-03-28T19:00Z'), end: utc('2026-03-28T23:00Z') }])
  })
})

describe('expandSchedule on ordinary days', () => {
  it('uses the weekdays of the schedule’s own zone, not of UTC (Pacific/Auckland, a day ahead)', () => {
    const open = expandSchedule(
      schedule('Pacific/Auckland', { weekly: [{ days: ['mon'], start: '09:00', end: '10:00' }] }),
      { start: utc('2026-03-01T00:00Z'), end: utc('2026-03-08T00:00Z') },
    )
    // Monday 2 March 09:00 NZDT (+13) is Sunday 1 March 20:00 UTC.
    expect(open).toEqual([{ start: utc('2026-03-01T20:00Z'), end: utc('2026-03-01T21:00Z') }])
  })

  it('uses the weekdays of the schedule’s own zone, not of UTC (Pacific/Honolulu, a day behind)', () => {
    const open = expandSchedule(
      schedule('Pacific/Honolulu', { weekly: [{ days: ['fri'], start: '20:00', end: '24:00' }] }),
      { start: utc('2026-03-01T00:00Z'), end: utc('2026-03-08T00:00Z') },
    )
    // Friday 6 March 20:00–24:00 HST (−10) is Saturday 06:00–10:00 UTC.
    expect(open).toEqual([{ start: utc('2026-03-07T06:00Z'), end: utc('2026-03-07T10:00Z') }])
  })

  it('replaces the weekly hours of an overridden date and leaves the other dates alone', () => {
    const open = expandSchedule(
      schedule('Europe/Berlin', {
        overrides: [
          { date: '2026-12-23', intervals: [{ start: '09:00', end: '12:00' }] },
          { date: '2026-12-24', intervals: [] },
          { date: '2026-12-26', intervals: [{ start: '10:00', end: '11:00' }] },
        ],
      }),
      { start: utc('2026-12-22T00:00Z'), end: utc('2026-12-27T00:00Z') },
    )
    expect(open).toEqual([
      { start: utc('2026-12-22T08:00Z'), end: utc('2026-12-22T16:00Z') },
      { start: utc('2026-12-23T08:00Z'), end: utc('2026-12-23T11:00Z') },
      { start: utc('2026-12-25T08:00Z'), end: utc('2026-12-25T16:00Z') },
      { start: utc('2026-12-26T09:00Z'), end: utc('2026-12-26T10:00Z') },
    ])
  })

  it('merges touching and overlapping weekly rules, including across midnight', () => {
    const open = expandSchedule(
      schedule('UTC', {
        weekly: [
          { days: ['mon'], start: '20:00', end: '24:00' },
          { days: ['tue'], start: '00:00', end: '02:00' },
          { days: ['tue'], start: '01:00', end: '03:00' },
        ],
      }),
      { start: utc('2026-03-02T00:00Z'), end: utc('2026-03-04T00:00Z') },
    )
    expect(open).toEqual([{ start: utc('2026-03-02T20:00Z'), end: utc('2026-03-03T03:00Z') }])
  })

  it('clips to the window', () => {
    const open = expandSchedule(
      schedule('UTC', { weekly: [{ days: WEEKDAYS_ALL, start: '09:00', end: '17:00' }] }),
      {
        start: utc('2026-03-02T10:00Z'),
        end: utc('2026-03-02T12:00Z'),
      },
    )
    expect(open).toEqual([{ start: utc('2026-03-02T10:00Z'), end: utc('2026-03-02T12:00Z') }])
  })

  it('uses the +05:45 offset of Asia/Kathmandu all year', () => {
    const open = overrideOnly('Asia/Kathmandu', '2026-06-01', '09:00', '17:00')
    expect(open).toEqual([{ start: utc('2026-06-01T03:15Z'), end: utc('2026-06-01T11:15Z') }])
    expect(open[0]!.end - open[0]!.start).toBe(8 * HOUR)
  })
})

describe('mergeIntervals', () => {
  it('sorts, joins touching and overlapping intervals, drops empty ones and leaves its input alone', () => {
    const list = [
      { start: 50, end: 60 },
      { start: 10, end: 20 },
      { start: 20, end: 30 },
      { start: 25, end: 27 },
      { start: 40, end: 40 },
    ]
    const copy = structuredClone(list)
    expect(mergeIntervals(list)).toEqual([
      { start: 10, end: 30 },
      { start: 50, end: 60 },
    ])
    expect(list).toEqual(copy)
  })
})

// validateSchedule and isValidTimeZone: every problem of a schedule with a JSON pointer to it.
import { describe, expect, it } from 'vitest'
import { isValidTimeZone, type Schedule, validateSchedule } from '../../../src/availability/index.js'

const SPEC_EXAMPLE: Schedule = {
  timeZone: 'Europe/Berlin',
  weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }],
  overrides: [
    { date: '2026-12-24', intervals: [] },
    { date: '2026-12-23', intervals: [{ start: '09:00', end: '12:00' }] },
  ],
  blocks: [
    { rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', start: '15:00', end: '15:30', label: 'school pickup' },
  ],
}

const pointers = (s: unknown) => validateSchedule(s as Schedule).map((i) => i.pointer)

describe('validateSchedule', () => {
  it('accepts the SPEC 1.1 example, 24:00 as an end, and DTSTART/UNTIL/COUNT/INTERVAL rules', () => {
    expect(validateSchedule(SPEC_EXAMPLE)).toEqual([])
    expect(
      validateSchedule({
        ...SPEC_EXAMPLE,
        weekly: [{ days: ['sat'], start: '20:00', end: '24:00' }],
        blocks: [
          { rrule: 'DTSTART:20260301T000000\nRRULE:FREQ=DAILY;COUNT=3', start: '00:00', end: '01:00' },
          { rrule: 'RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20261231T000000Z', start: '00:00', end: '01:00' },
        ],
      }),
    ).toEqual([])
  })

  const invalid: [string, unknown, string[]][] = [
    ['an unknown zone', { ...SPEC_EXAMPLE, timeZone: 'Mars/Olympus_Mons' }, ['/timeZone']],
    ['an empty zone', { ...SPEC_EXAMPLE, timeZone: '' }, ['/timeZone']],
    [
      '25:00',
      { ...SPEC_EXAMPLE, weekly: [{ days: ['mon'], start: '09:00', end: '25:00' }] },
      ['/weekly/0/end'],
    ],
    [
      '24:00 as a start',
      { ...SPEC_EXAMPLE, weekly: [{ days: ['mon'], start: '24:00', end: '24:00' }] },
      ['/weekly/0/start'],
    ],
    [
      'a time without leading zero',
      { ...SPEC_EXAMPLE, weekly: [{ days: ['mon'], start: '9:00', end: '17:00' }] },
      ['/weekly/0/start'],
    ],
    [
      '24:30',
      { ...SPEC_EXAMPLE, weekly: [{ days: ['mon'], start: '09:00', end: '24:30' }] },
      ['/weekly/0/end'],
    ],
    [
      'start after end',
      { ...SPEC_EXAMPLE, weekly: [{ days: ['mon'], start: '17:00', end: '09:00' }] },
      ['/weekly/0/end'],
    ],
    [
      'start equal to end',
      { ...SPEC_EXAMPLE, weekly: [{ days: ['mon'], start: '09:00', end: '09:00' }] },
      ['/weekly/0/end'],
    ],
    [
      'an unknown weekday',
      { ...SPEC_EXAMPLE, weekly: [{ days: ['mon', 'monday'], start: '09:00', end: '17:00' }] },
      ['/weekly/0/days/1'],
    ],
    [
      'an impossible date',
      { ...SPEC_EXAMPLE, overrides: [{ date: '2026-02-30', intervals: [] }] },
      ['/overrides/0/date'],
    ],
    [
      'a date in another format',
      { ...SPEC_EXAMPLE, overrides: [{ date: '24.12.2026', intervals: [] }] },
      ['/overrides/0/date'],
    ],
    [
      'a duplicate override date',
      {
        ...SPEC_EXAMPLE,
        overrides: [
          { date: '2026-12-24', intervals: [] },
          { date: '2026-12-24', intervals: [] },
        ],
      },
      ['/overrides/1/date'],
    ],
    [
      'a reversed override interval',
      { ...SPEC_EXAMPLE, overrides: [{ date: '2026-12-23', intervals: [{ start: '12:00', end: '11:00' }] }] },
      ['/overrides/0/intervals/0/end'],
    ],
    [
      'garbage as an RRULE',
      { ...SPEC_EXAMPLE, blocks: [{ rrule: 'garbage', start: '15:00', end: '15:30' }] },
      ['/blocks/0/rrule'],
    ],
    [
      'an RRULE without FREQ',
      { ...SPEC_EXAMPLE, blocks: [{ rrule: 'BYDAY=MO', start: '15:00', end: '15:30' }] },
      ['/blocks/0/rrule'],
    ],
    [
      'an unknown BYDAY',
      { ...SPEC_EXAMPLE, blocks: [{ rrule: 'FREQ=WEEKLY;BYDAY=XX', start: '15:00', end: '15:30' }] },
      ['/blocks/0/rrule'],
    ],
    [
      'a COUNT that is no number',
      { ...SPEC_EXAMPLE, blocks: [{ rrule: 'FREQ=DAILY;COUNT=abc', start: '15:00', end: '15:30' }] },
      ['/blocks/0/rrule'],
    ],
    [
      'an RRULE finer than daily',
      { ...SPEC_EXAMPLE, blocks: [{ rrule: 'FREQ=HOURLY', start: '15:00', end: '15:30' }] },
      ['/blocks/0/rrule'],
    ],
    [
      'a minutely RRULE',
      { ...SPEC_EXAMPLE, blocks: [{ rrule: 'FREQ=MINUTELY;INTERVAL=5', start: '15:00', end: '15:30' }] },
      ['/blocks/0/rrule'],
    ],
    [
      'a block with a reversed interval',
      { ...SPEC_EXAMPLE, blocks: [{ rrule: 'FREQ=DAILY', start: '15:30', end: '15:00' }] },
      ['/blocks/0/end'],
    ],
    [
      'several problems at once',
      {
        timeZone: 'Nowhere/Land',
        weekly: [
          { days: ['sun'], start: '09:00', end: '17:00' },
          { days: ['xyz'], start: '25:00', end: '10:00' },
        ],
        overrides: [{ date: '2026-13-01', intervals: [] }],
        blocks: [
          { rrule: 'FREQ=DAILY', start: '10:00', end: '11:00' },
          { rrule: 'FREQ=SECONDLY', start: '10:00', end: '11:00' },
        ],
      },
      ['/timeZone', '/weekly/1/start', '/weekly/1/days/0', '/overrides/0/date', '/blocks/1/rrule'],
    ],
    ['missing arrays', { timeZone: 'UTC' }, ['/weekly', '/overrides', '/blocks']],
  ]
  it.each(invalid)('rejects %s with a pointer to the field', (_name, schedule, expected) => {
    expect(pointers(schedule)).toEqual(expected)
  })

  it('explains why a sub-daily frequency is refused', () => {
    const [issue] = validateSchedule({
      ...SPEC_EXAMPLE,
      blocks: [{ rrule: 'FREQ=HOURLY', start: '15:00', end: '15:30' }],
    })
    expect(issue!.message).toMatch(/DAILY, WEEKLY, MONTHLY or YEARLY/)
  })
})

describe('isValidTimeZone', () => {
  it.each([
    ['Europe/Berlin', true],
    ['Asia/Kathmandu', true],
    ['America/St_Johns', true],
    ['UTC', true],
    ['Mars/Olympus_Mons', false],
    ['', false],
    ['+02:00', false],
  ])('%s → %s', (zone, expected) => {
    expect(isValidTimeZone(zone)).toBe(expected)
  })
})

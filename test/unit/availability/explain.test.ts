// explainSlot: one reason per failing rule, with the codes of SPEC 1.2; nothing for a bookable start.
import { describe, expect, it } from 'vitest'
import { explainSlot, type ReasonCode } from '../../../src/availability/index.js'
import { input, schedule, utc } from './helpers.js'

const codes = (i: Parameters<typeof explainSlot>[0], start: string) =>
  explainSlot(i, utc(start)).map((r) => r.code)

describe('explainSlot', () => {
  const cases: [string, Parameters<typeof input>[0], string, ReasonCode[]][] = [
    ['a bookable start', {}, '2026-03-02T09:00Z', []],
    ['before the business hours', {}, '2026-03-02T08:30Z', ['outside_business_hours']],
    [
      'across the end of the business hours',
      {},
      '2026-03-02T16:45Z',
      ['outside_business_hours', 'misaligned'],
    ],
    [
      'a day off given by an override',
      { clientSchedule: schedule('UTC', { overrides: [{ date: '2026-03-02', intervals: [] }] }) },
      '2026-03-02T10:00Z',
      ['time_off'],
    ],
    [
      'shortened hours on an override date, past the weekly end too',
      {
        clientSchedule: schedule('UTC', {
          overrides: [{ date: '2026-03-02', intervals: [{ start: '09:00', end: '12:00' }] }],
        }),
      },
      '2026-03-02T16:45Z',
      ['outside_business_hours', 'time_off', 'misaligned'],
    ],
    [
      'extra Saturday hours given by an override',
      {
        clientSchedule: schedule('UTC', {
          overrides: [{ date: '2026-03-07', intervals: [{ start: '10:00', end: '12:00' }] }],
        }),
      },
      '2026-03-07T10:00Z',
      [],
    ],
    [
      'a recurring block',
      {
        clientSchedule: schedule('UTC', { blocks: [{ rrule: 'FREQ=DAILY', start: '12:15', end: '12:45' }] }),
      },
      '2026-03-02T12:00Z',
      ['blocked'],
    ],
    [
      'outside the assistant’s office hours',
      { assistantSchedule: schedule('America/New_York'), rules: { requireAssistantHours: true } },
      '2026-03-02T10:00Z',
      ['outside_office_hours'],
    ],
    [
      'outside the contact’s hours',
      { contactTimeZone: 'Asia/Tokyo', rules: { contactHours: { start: '08:00', end: '20:00' } } },
      '2026-03-02T12:00Z',
      ['outside_contact_hours'],
    ],
    [
      'before the notice',
      { now: utc('2026-03-02T08:00Z'), rules: { minimumNoticeMinutes: 120 } },
      '2026-03-02T09:30Z',
      ['minimum_notice'],
    ],
    [
      'beyond the horizon',
      { now: utc('2026-02-20T00:00Z'), rules: { horizonDays: 10 } },
      '2026-03-02T09:30Z',
      ['beyond_horizon'],
    ],
    [
      'the per-day limit reached',
      { sameTypeBookingStarts: [utc('2026-03-02T15:00Z')], rules: { maxPerDay: 1 } },
      '2026-03-02T09:30Z',
      ['daily_limit'],
    ],
    ['off the grid', {}, '2026-03-02T09:10Z', ['misaligned']],
  ]
  it.each(cases)('explains %s', (_name, over, start, expected) => {
    expect(codes(input(over), start)).toEqual(expected)
  })

  it('names the connection, calendar and range of each busy event in the way, once padded', () => {
    const busy = [
      {
        start: utc('2026-03-02T09:35Z'),
        end: utc('2026-03-02T10:00Z'),
        connectionId: 'conn-1',
        calendarId: 'primary',
      },
      {
        start: utc('2026-03-02T08:00Z'),
        end: utc('2026-03-02T08:55Z'),
        connectionId: 'conn-2',
        calendarId: 'work',
      },
      {
        start: utc('2026-03-02T11:00Z'),
        end: utc('2026-03-02T12:00Z'),
        connectionId: 'conn-3',
        calendarId: 'far',
      },
    ]
    const reasons = explainSlot(
      input({ busy, rules: { bufferBeforeMinutes: 10, bufferAfterMinutes: 10 } }),
      utc('2026-03-02T09:00Z'),
    )
    expect(reasons).toEqual([
      expect.objectContaining({
        code: 'calendar_busy',
        connectionId: 'conn-1',
        calendarId: 'primary',
        start: busy[0]!.start,
        end: busy[0]!.end,
      }),
      expect.objectContaining({
        code: 'calendar_busy',
        connectionId: 'conn-2',
        calendarId: 'work',
        start: busy[1]!.start,
        end: busy[1]!.end,
      }),
    ])
  })

  it('names the booking in the way, counting its own buffers', () => {
    const bookings = [
      {
        start: utc('2026-03-02T10:00Z'),
        end: utc('2026-03-02T11:00Z'),
        bufferBeforeMinutes: 30,
        bufferAfterMinutes: 0,
        bookingId: 'bk-1',
      },
    ]
    const reasons = explainSlot(input({ bookings }), utc('2026-03-02T09:30Z'))
    expect(reasons).toEqual([expect.objectContaining({ code: 'booking_conflict', bookingId: 'bk-1' })])
    expect(explainSlot(input({ bookings }), utc('2026-03-02T09:00Z'))).toEqual([])
  })

  it('lists every failing rule at once', () => {
    const i = input({
      now: utc('2026-03-02T12:00Z'),
      busy: [{ start: utc('2026-03-02T07:00Z'), end: utc('2026-03-02T08:00Z') }],
      rules: { minimumNoticeMinutes: 60 },
    })
    expect(explainSlot(i, utc('2026-03-02T07:10Z')).map((r) => r.code)).toEqual([
      'outside_business_hours',
      'calendar_busy',
      'minimum_notice',
      'misaligned',
    ])
  })
})

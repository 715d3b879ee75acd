// RRULE blocks: UNTIL, COUNT, INTERVAL, the implied DTSTART, UTC and TZID forms, and blocks on DST days.
import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { expandSchedule, type ScheduleBlock } from '../../../src/availability/index.js'
import { schedule, utc, WEEKDAYS_ALL } from './helpers.js'

const MARCH = { start: utc('2026-03-01T00:00Z'), end: utc('2026-04-01T00:00Z') }

/** The UTC dates on which a block removes 12:00–13:00 from UTC all-day hours. */
function blockedDates(block: Omit<ScheduleBlock, 'start' | 'end'>, zone = 'UTC', window = MARCH): string[] {
  const s = schedule(zone, {
    weekly: [{ days: WEEKDAYS_ALL, start: '00:00', end: '24:00' }],
    blocks: [{ ...block, start: '12:00', end: '13:00' }],
  })
  return expandSchedule(s, window)
    .slice(0, -1)
    .map((i) => DateTime.fromMillis(i.end, { zone }).toISODate()!)
}

describe('RRULE blocks', () => {
  it('removes the block on every weekday (SPEC 1.1 school pickup)', () => {
    const s = schedule('Europe/Berlin', {
      blocks: [
        { rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', start: '15:00', end: '15:30', label: 'school pickup' },
      ],
    })
    expect(expandSchedule(s, { start: utc('2026-03-02T00:00Z'), end: utc('2026-03-03T00:00Z') })).toEqual([
      { start: utc('2026-03-02T08:00Z'), end: utc('2026-03-02T14:00Z') },
      { start: utc('2026-03-02T14:30Z'), end: utc('2026-03-02T16:00Z') },
    ])
  })

  it('stops at UNTIL', () => {
    expect(
      blockedDates({ rrule: 'DTSTART:20260302T000000\nRRULE:FREQ=DAILY;UNTIL=20260304T235959' }),
    ).toEqual(['2026-03-02', '2026-03-03', '2026-03-04'])
  })

  it('reads a UTC UNTIL as an instant, compared on the schedule’s wall clock', () => {
    const rrule = 'DTSTART:20260302T000000\nRRULE:FREQ=DAILY;UNTIL=20260304T030000Z'
    const window = { start: utc('2026-03-01T00:00Z'), end: utc('2026-03-10T00:00Z') }
    // 03:00Z on 4 March is 16:00 that day in Auckland but 22:00 on 3 March in New York.
    expect(blockedDates({ rrule }, 'Pacific/Auckland', window)).toEqual([
      '2026-03-02',
      '2026-03-03',
      '2026-03-04',
    ])
    expect(blockedDates({ rrule }, 'America/New_York', window)).toEqual(['2026-03-02', '2026-03-03'])
  })

  it('stops after COUNT occurrences counted from DTSTART', () => {
    expect(blockedDates({ rrule: 'DTSTART:20260302T090000\nRRULE:FREQ=DAILY;COUNT=3' })).toEqual([
      '2026-03-02',
      '2026-03-03',
      '2026-03-04',
    ])
  })

  it('skips periods with INTERVAL=2', () => {
    expect(blockedDates({ rrule: 'DTSTART:20260302T000000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO' })).toEqual(
      ['2026-03-02', '2026-03-16', '2026-03-30'],
    )
  })

  it('counts INTERVAL from 2000-01-01 when the rule has no DTSTART', () => {
    const days = DateTime.fromISO('2026-03-01').diff(DateTime.fromISO('2000-01-01'), 'days').days
    const first = days % 2 === 0 ? '2026-03-01' : '2026-03-02'
    const dates = blockedDates({ rrule: 'FREQ=DAILY;INTERVAL=2' })
    expect(dates[0]).toBe(first)
    expect(dates).toHaveLength(first === '2026-03-01' ? 16 : 15)
  })

  it('puts a bare WEEKLY rule without DTSTART on Saturdays, the weekday of 2000-01-01', () => {
    expect(blockedDates({ rrule: 'FREQ=WEEKLY' })).toEqual([
      '2026-03-07',
      '2026-03-14',
      '2026-03-21',
      '2026-03-28',
    ])
  })

  it('keeps a MONTHLY rule on the 31st from a DTSTART long ago, skipping short months', () => {
    const window = { start: utc('2026-03-01T00:00Z'), end: utc('2026-06-01T00:00Z') }
    expect(blockedDates({ rrule: 'DTSTART:20000131T000000\nRRULE:FREQ=MONTHLY' }, 'UTC', window)).toEqual([
      '2026-03-31',
      '2026-05-31',
    ])
  })

  it('ignores the TZID of DTSTART: the block lives on its schedule’s wall clock', () => {
    const rrule = 'DTSTART;TZID=Asia/Tokyo:20260302T000000\nRRULE:FREQ=DAILY;COUNT=2'
    expect(blockedDates({ rrule }, 'America/New_York')).toEqual(['2026-03-02', '2026-03-03'])
  })

  it('removes real time of a DST day: a 01:00–04:00 block on the Berlin spring-forward day is 2 hours', () => {
    const s = schedule('Europe/Berlin', {
      weekly: [{ days: WEEKDAYS_ALL, start: '00:00', end: '06:00' }],
      blocks: [{ rrule: 'FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', start: '01:00', end: '04:00' }],
    })
    expect(expandSchedule(s, { start: utc('2026-03-28T23:00Z'), end: utc('2026-03-29T12:00Z') })).toEqual([
      { start: utc('2026-03-28T23:00Z'), end: utc('2026-03-29T00:00Z') },
      { start: utc('2026-03-29T02:00Z'), end: utc('2026-03-29T04:00Z') },
    ])
  })
})

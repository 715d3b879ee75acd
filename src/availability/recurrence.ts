// RRULE blocks → local dates. The only module that touches `rrule`: its Dates are wall-clock times dressed as
// UTC, and they are turned into day numbers here, once.
import { DateTime } from 'luxon'
import type { Options as RRuleOptions } from 'rrule'
import * as rruleModule from 'rrule'
import { civilFromDays, DAY_MS, daysFromCivil } from './civil.js'

// rrule ships a CommonJS bundle to Node (a default export) and an ES build to bundlers (named exports).
const rrulePackage: typeof rruleModule =
  (rruleModule as unknown as { default?: typeof rruleModule }).default ?? rruleModule
const { RRule, rrulestr } = rrulePackage
type RRuleInstance = InstanceType<typeof RRule>

/**
 * A block without DTSTART counts from 2000-01-01 00:00 on the schedule's wall clock. That date only matters
 * for COUNT and INTERVAL (and for the weekday, month day or month a bare WEEKLY/MONTHLY/YEARLY rule falls on):
 * such rules should carry their own DTSTART.
 */
export const DEFAULT_DTSTART_DAY = daysFromCivil(2000, 1, 1)

export interface ParsedBlockRule {
  options: Partial<RRuleOptions>
  /** Wall clock of DTSTART (ms, read as UTC), or null when implied. */
  dtstart: number | null
  until: number | null
}

const DTSTART_UTC_RE = /DTSTART(?:;[^:\n]*)?:(\d{8}T\d{6}Z)/i
const UNTIL_UTC_RE = /UNTIL=(\d{8}T\d{6}Z)/i

function jsDate(wall: number) {
  return DateTime.fromMillis(wall, { zone: 'utc' }).toJSDate()
}

// A DTSTART or UNTIL written in UTC ('…Z') is a real instant; everything else rrule hands back is a wall time.
function utcToWall(instant: number, zone: string): number {
  return instant + DateTime.fromMillis(instant, { zone }).offset * 60_000
}

const parseCache = new Map<string, ParsedBlockRule | string>()

/** Parses a block's RRULE text for a schedule zone; a string is the reason it is refused. */
export function parseBlockRule(text: string, zone: string): ParsedBlockRule | string {
  const key = `${zone}\n${text}`
  const hit = parseCache.get(key)
  if (hit !== undefined) return hit
  const result = parseUncached(text, zone)
  if (parseCache.size > 1000) parseCache.clear()
  parseCache.set(key, result)
  return result
}

function parseUncached(text: string, zone: string): ParsedBlockRule | string {
  if (typeof text !== 'string' || text.trim() === '') return 'RRULE is empty'
  if (text.length > 2000) return 'RRULE is too long'
  let parsed: ReturnType<typeof rrulestr>
  try {
    parsed = rrulestr(text)
  } catch (error) {
    return `RRULE does not parse: ${error instanceof Error ? error.message : String(error)}`
  }
  if (!(parsed instanceof RRule)) return 'only one RRULE is allowed (no RDATE, EXRULE or EXDATE)'
  const options = { ...parsed.origOptions }
  // A block is a wall-clock interval on a local date, so the rule only has to name dates: a frequency finer
  // than daily would name times of day, which the block's own start and end already give.
  if (options.freq === undefined || options.freq === null) return 'RRULE needs FREQ'
  if (![RRule.YEARLY, RRule.MONTHLY, RRule.WEEKLY, RRule.DAILY].includes(options.freq)) {
    return 'FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY: a block names dates, its start and end give the times'
  }
  for (const field of ['count', 'interval'] as const) {
    const value = options[field]
    if (value !== undefined && value !== null && !(Number.isInteger(value) && (value as number) >= 1)) {
      return `${field.toUpperCase()} must be a positive integer`
    }
  }
  let dtstart: number | null = null
  let until: number | null = null
  if (options.dtstart) {
    const utc = DTSTART_UTC_RE.exec(text)
    dtstart = utc ? utcToWall(options.dtstart.getTime(), zone) : options.dtstart.getTime()
    if (!Number.isFinite(dtstart)) return 'DTSTART is not a valid date'
  }
  if (options.until) {
    const utc = UNTIL_UTC_RE.exec(text)
    until = utc ? utcToWall(options.until.getTime(), zone) : options.until.getTime()
    if (!Number.isFinite(until)) return 'UNTIL is not a valid date'
  }
  // The TZID of a DTSTART is dropped: the block lives on its schedule's wall clock, whatever zone it names.
  options.tzid = null
  const result: ParsedBlockRule = { options, dtstart, until }
  try {
    // Expanding once catches rules rrule accepts but cannot evaluate (bad BYxxx values).
    occurrenceDays(result, DEFAULT_DTSTART_DAY + 9000, DEFAULT_DTSTART_DAY + 9400)
  } catch (error) {
    return `RRULE cannot be evaluated: ${error instanceof Error ? error.message : String(error)}`
  }
  return result
}

function addMonths(day: number, months: number): number {
  const { year, month, day: dom } = civilFromDays(day)
  const index = year * 12 + (month - 1) + months
  return daysFromCivil(Math.floor(index / 12), (index % 12) + 1, dom)
}

/**
 * Moves DTSTART forward by whole periods (INTERVAL × the frequency) to just before the window. Without COUNT
 * the occurrences after the new start are the same, provided the fields a bare rule borrows from DTSTART
 * (time, weekday, month day, month) are kept: so months only move when the day is ≤ 28 and years not from
 * 29 February. rrule iterates from DTSTART, and a DAILY rule counted from 2000 would otherwise cost ~30 ms.
 */
function fastForward(rule: ParsedBlockRule, start: number, firstDay: number): number {
  const { options } = rule
  if (options.count) return start
  const interval = options.interval ?? 1
  const startDay = Math.floor(start / DAY_MS)
  const time = start - startDay * DAY_MS
  const target = firstDay - 400
  if (startDay >= target) return start
  const { year, month, day } = civilFromDays(startDay)
  switch (options.freq) {
    case RRule.DAILY:
    case RRule.WEEKLY: {
      const period = options.freq === RRule.DAILY ? interval : 7 * interval
      return (startDay + Math.floor((target - startDay) / period) * period) * DAY_MS + time
    }
    case RRule.MONTHLY: {
      if (day > 28) return start
      const t = civilFromDays(target)
      const months = (t.year - year) * 12 + (t.month - month)
      return addMonths(startDay, Math.floor(months / interval) * interval) * DAY_MS + time
    }
    case RRule.YEARLY: {
      if (month === 2 && day === 29) return start
      const years = civilFromDays(target).year - year
      const step = Math.floor(years / interval) * interval
      return daysFromCivil(year + step, month, day) * DAY_MS + time
    }
    default:
      return start
  }
}

/** Day numbers (local dates) in [firstDay, lastDay] on which the rule has an occurrence, ascending. */
export function occurrenceDays(rule: ParsedBlockRule, firstDay: number, lastDay: number): number[] {
  const start = fastForward(rule, rule.dtstart ?? DEFAULT_DTSTART_DAY * DAY_MS, firstDay)
  const options: Partial<RRuleOptions> = { ...rule.options, dtstart: jsDate(start), tzid: null }
  if (rule.until !== null) options.until = jsDate(rule.until)
  const instance: RRuleInstance = new RRule(options, true)
  const dates = instance.between(jsDate(firstDay * DAY_MS), jsDate((lastDay + 1) * DAY_MS - 1), true)
  const days: number[] = []
  for (const date of dates) {
    const day = Math.floor(date.getTime() / DAY_MS)
    if (days[days.length - 1] !== day) days.push(day)
  }
  return days
}

// Schedules → open instants: weekly hours per local date of the schedule's own zone, overrides replacing a
// date, RRULE blocks removed.
import { DAY_MS, MINUTE_MS, parseDate, parseLocalTime, WEEKDAYS, weekdayIndex } from './civil.js'
import { intersectIntervals, mergeIntervals, subtractIntervals } from './intervals.js'
import { occurrenceDays, parseBlockRule } from './recurrence.js'
import type { Interval, LocalInterval, Schedule } from './types.js'
import { ZoneClock } from './zone.js'

/** Thrown for a schedule the engine cannot evaluate; the API validates with validateSchedule first. */
export class InvalidScheduleError extends Error {
  override name = 'InvalidScheduleError'
}

type Minutes = [start: number, end: number]

function minutesOf(interval: LocalInterval, where: string): Minutes {
  const start = parseLocalTime(interval.start, false)
  const end = parseLocalTime(interval.end, true)
  if (start === null || end === null || start >= end) {
    throw new InvalidScheduleError(`${where}: invalid interval ${interval.start}–${interval.end}`)
  }
  return [start, end]
}

/** A schedule parsed once: minutes per weekday, overrides by day number, blocks with parsed rules. */
export interface CompiledSchedule {
  zone: string
  weekly: Minutes[][]
  overrides: Map<number, Minutes[]>
  blocks: { rule: Exclude<ReturnType<typeof parseBlockRule>, string>; minutes: Minutes }[]
}

export function compileSchedule(schedule: Schedule): CompiledSchedule {
  const weekly: Minutes[][] = [[], [], [], [], [], [], []]
  schedule.weekly.forEach((rule, i) => {
    const minutes = minutesOf(rule, `weekly[${i}]`)
    for (const day of rule.days) {
      const index = WEEKDAYS.indexOf(day)
      if (index < 0) throw new InvalidScheduleError(`weekly[${i}]: unknown weekday ${day}`)
      weekly[index]!.push(minutes)
    }
  })
  const overrides = new Map<number, Minutes[]>()
  schedule.overrides.forEach((override, i) => {
    const day = parseDate(override.date)
    if (day === null) throw new InvalidScheduleError(`overrides[${i}]: invalid date ${override.date}`)
    overrides.set(
      day,
      override.intervals.map((x, k) => minutesOf(x, `overrides[${i}].intervals[${k}]`)),
    )
  })
  const blocks = schedule.blocks.map((block, i) => {
    const rule = parseBlockRule(block.rrule, schedule.timeZone)
    if (typeof rule === 'string') throw new InvalidScheduleError(`blocks[${i}]: ${rule}`)
    return { rule, minutes: minutesOf(block, `blocks[${i}]`) }
  })
  return { zone: schedule.timeZone, weekly, overrides, blocks }
}

/** The local dates (day numbers) whose hours can touch the window, with a day of margin either side. */
export function dayRange(clock: ZoneClock, window: Interval): [number, number] {
  return [clock.dayOf(window.start) - 1, clock.dayOf(window.end) + 1]
}

function pushLocal(out: Interval[], clock: ZoneClock, day: number, [start, end]: Minutes): void {
  const base = day * DAY_MS
  // '24:00' is base + 1440 min: the next date's midnight, converted like any other wall time.
  const a = clock.toInstant(base + start * MINUTE_MS)
  const b = clock.toInstant(base + end * MINUTE_MS)
  if (a < b) out.push({ start: a, end: b })
}

export interface ScheduleLayers {
  /** What the weekly hours alone would give. */
  weekly: Interval[]
  /** Weekly hours with overrides replacing their dates. */
  dated: Interval[]
  /** Time removed by RRULE blocks. */
  blocked: Interval[]
  /** dated minus blocked: the open instants. */
  open: Interval[]
}

/** Expands a compiled schedule over local dates firstDay..lastDay; `weekly` is only filled when asked. */
export function expandCompiled(
  compiled: CompiledSchedule,
  clock: ZoneClock,
  firstDay: number,
  lastDay: number,
  withWeekly = false,
): ScheduleLayers {
  const dated: Interval[] = []
  const weeklyOnly: Interval[] = []
  for (let day = firstDay; day <= lastDay; day++) {
    const weekly = compiled.weekly[weekdayIndex(day)]!
    const intervals = compiled.overrides.get(day) ?? weekly
    for (const minutes of intervals) pushLocal(dated, clock, day, minutes)
    if (withWeekly) for (const minutes of weekly) pushLocal(weeklyOnly, clock, day, minutes)
  }
  const blocked: Interval[] = []
  for (const block of compiled.blocks) {
    for (const day of occurrenceDays(block.rule, firstDay, lastDay))
      pushLocal(blocked, clock, day, block.minutes)
  }
  const datedMerged = mergeIntervals(dated)
  const blockedMerged = mergeIntervals(blocked)
  return {
    weekly: withWeekly ? mergeIntervals(weeklyOnly) : [],
    dated: datedMerged,
    blocked: blockedMerged,
    open: blockedMerged.length > 0 ? subtractIntervals(datedMerged, blockedMerged) : datedMerged,
  }
}

/** A clock for a zone covering the window with a margin of two days either side. */
export function clockFor(zone: string, window: Interval): ZoneClock {
  return new ZoneClock(zone, window.start - 2 * DAY_MS, window.end + 2 * DAY_MS)
}

/** The open instants of a schedule inside the window: sorted, merged. */
export function expandSchedule(schedule: Schedule, window: Interval): Interval[] {
  if (!(window.start < window.end)) return []
  const clock = clockFor(schedule.timeZone, window)
  const [firstDay, lastDay] = dayRange(clock, window)
  const { open } = expandCompiled(compileSchedule(schedule), clock, firstDay, lastDay)
  return intersectIntervals(open, [window])
}

/** A schedule open `hours` on every date of `zone` (how contact hours are expanded). */
export function everyDaySchedule(zone: string, hours: LocalInterval): Schedule {
  return { timeZone: zone, weekly: [{ days: [...WEEKDAYS], ...hours }], overrides: [], blocks: [] }
}

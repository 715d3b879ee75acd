// Expansion of Graph patternedRecurrence (daily, weekly, absolute/relative monthly and yearly) into occurrence starts.
import { DateTime } from 'luxon'

export interface RecurrencePattern {
  type: 'daily' | 'weekly' | 'absoluteMonthly' | 'relativeMonthly' | 'absoluteYearly' | 'relativeYearly'
  interval: number
  month?: number
  dayOfMonth?: number
  daysOfWeek?: string[]
  firstDayOfWeek?: string
  index?: 'first' | 'second' | 'third' | 'fourth' | 'last'
}

export interface RecurrenceRange {
  type: 'endDate' | 'noEnd' | 'numbered'
  startDate: string
  endDate?: string
  numberOfOccurrences?: number
  recurrenceTimeZone?: string
}

export interface PatternedRecurrence {
  pattern: RecurrencePattern
  range: RecurrenceRange
}

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']
const PATTERNS = ['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly']
const INDEXES = ['first', 'second', 'third', 'fourth', 'last']
// A series never expands further than this, so a noEnd daily series cannot spin forever.
const MAX_DAYS = 366 * 20

/** A normalised copy of a client-supplied recurrence, or an error message Graph-style. */
export function normaliseRecurrence(input: unknown): PatternedRecurrence | string {
  if (typeof input !== 'object' || input === null) return 'recurrence must be an object.'
  const { pattern, range } = input as {
    pattern?: Partial<RecurrencePattern>
    range?: Partial<RecurrenceRange>
  }
  if (!pattern || !PATTERNS.includes(String(pattern.type))) return 'recurrence.pattern.type is invalid.'
  if (!range || !['endDate', 'noEnd', 'numbered'].includes(String(range.type))) {
    return 'recurrence.range.type is invalid.'
  }
  if (typeof range.startDate !== 'string' || !DateTime.fromISO(range.startDate).isValid) {
    return 'recurrence.range.startDate is required.'
  }
  const type = pattern.type as RecurrencePattern['type']
  const interval = pattern.interval ?? 1
  if (!Number.isInteger(interval) || interval < 1 || interval > 99)
    return 'recurrence.pattern.interval is invalid.'
  const daysOfWeek = (pattern.daysOfWeek ?? []).map((d) => String(d).toLowerCase())
  if (daysOfWeek.some((d) => !DAYS.includes(d))) return 'recurrence.pattern.daysOfWeek is invalid.'
  if ((type === 'weekly' || type.startsWith('relative')) && daysOfWeek.length === 0) {
    return `recurrence.pattern.daysOfWeek is required for ${type}.`
  }
  if (type.startsWith('absolute') && !(Number(pattern.dayOfMonth) >= 1 && Number(pattern.dayOfMonth) <= 31)) {
    return `recurrence.pattern.dayOfMonth is required for ${type}.`
  }
  if (type.endsWith('Yearly') && !(Number(pattern.month) >= 1 && Number(pattern.month) <= 12)) {
    return `recurrence.pattern.month is required for ${type}.`
  }
  if (
    range.type === 'endDate' &&
    (typeof range.endDate !== 'string' || !DateTime.fromISO(range.endDate).isValid)
  ) {
    return 'recurrence.range.endDate is required for an endDate range.'
  }
  if (range.type === 'numbered' && !(Number(range.numberOfOccurrences) >= 1)) {
    return 'recurrence.range.numberOfOccurrences is required for a numbered range.'
  }
  const index = pattern.index ?? 'first'
  if (!INDEXES.includes(index)) return 'recurrence.pattern.index is invalid.'
  return {
    pattern: {
      type,
      interval,
      month: type.endsWith('Yearly') ? Number(pattern.month) : 0,
      dayOfMonth: type.startsWith('absolute') ? Number(pattern.dayOfMonth) : 0,
      daysOfWeek,
      firstDayOfWeek: (pattern.firstDayOfWeek ?? 'sunday').toLowerCase(),
      index,
    },
    range: {
      type: range.type as RecurrenceRange['type'],
      startDate: range.startDate,
      endDate: range.type === 'endDate' ? range.endDate : '0001-01-01',
      numberOfOccurrences: range.type === 'numbered' ? Number(range.numberOfOccurrences) : 0,
      recurrenceTimeZone: range.recurrenceTimeZone ?? '',
    },
  }
}

function dayName(d: DateTime): string {
  return DAYS[d.weekday - 1] ?? 'monday'
}

function matchesRelative(d: DateTime, days: string[], index: string): boolean {
  if (!days.includes(dayName(d))) return false
  const matching: number[] = []
  for (let day = 1; day <= (d.daysInMonth ?? 31); day++) {
    if (days.includes(dayName(d.set({ day })))) matching.push(day)
  }
  const pick = index === 'last' ? matching[matching.length - 1] : matching[INDEXES.indexOf(index)]
  return pick === d.day
}

/**
 * Occurrence start instants of a series whose first instance starts at `seriesStart` (its time of day, in `zone`,
 * is every occurrence's), from range.startDate on, stopping at the range end or before `until`.
 */
export function expandRecurrence(
  rec: PatternedRecurrence,
  seriesStart: number,
  zone: string,
  until: number,
): number[] {
  const { pattern, range } = rec
  const timeOfDay = DateTime.fromMillis(seriesStart, { zone })
  const first = DateTime.fromISO(range.startDate, { zone }).startOf('day')
  const lastDate =
    range.type === 'endDate' ? DateTime.fromISO(range.endDate ?? '', { zone }).endOf('day') : null
  const firstDow = DAYS.indexOf(pattern.firstDayOfWeek ?? 'sunday') + 1
  const weekAnchor = first.minus({ days: (first.weekday - firstDow + 7) % 7 })
  const out: number[] = []
  let count = 0
  for (let i = 0; i < MAX_DAYS; i++) {
    const day = first.plus({ days: i })
    if (lastDate !== null && day > lastDate) break
    const start = day
      .set({ hour: timeOfDay.hour, minute: timeOfDay.minute, second: timeOfDay.second })
      .toMillis()
    if (start >= until) break
    const months = (day.year - first.year) * 12 + (day.month - first.month)
    let hit = false
    switch (pattern.type) {
      case 'daily':
        hit = i % pattern.interval === 0
        break
      case 'weekly':
        hit =
          Math.floor(Math.round(day.diff(weekAnchor, 'days').days) / 7) % pattern.interval === 0 &&
          (pattern.daysOfWeek ?? []).includes(dayName(day))
        break
      case 'absoluteMonthly':
        hit = months % pattern.interval === 0 && day.day === pattern.dayOfMonth
        break
      case 'relativeMonthly':
        hit =
          months % pattern.interval === 0 &&
          matchesRelative(day, pattern.daysOfWeek ?? [], pattern.index ?? 'first')
        break
      case 'absoluteYearly':
        hit =
          (day.year - first.year) % pattern.interval === 0 &&
          day.month === pattern.month &&
          day.day === pattern.dayOfMonth
        break
      case 'relativeYearly':
        hit =
          (day.year - first.year) % pattern.interval === 0 &&
          day.month === pattern.month &&
          matchesRelative(day, pattern.daysOfWeek ?? [], pattern.index ?? 'first')
        break
    }
    if (!hit) continue
    out.push(start)
    count += 1
    if (range.type === 'numbered' && count >= (range.numberOfOccurrences ?? 0)) break
  }
  return out
}

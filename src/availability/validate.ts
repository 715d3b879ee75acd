// Schedule validation for the API layer: every problem with a JSON pointer relative to the schedule.
import { parseDate, parseLocalTime, WEEKDAYS } from './civil.js'
import { parseBlockRule } from './recurrence.js'
import type { Schedule, ValidationIssue } from './types.js'
import { isValidTimeZone } from './zone.js'

export { isValidTimeZone }

function checkInterval(value: unknown, pointer: string, issues: ValidationIssue[]): void {
  if (typeof value !== 'object' || value === null) {
    issues.push({ pointer, message: 'must be an object with start and end' })
    return
  }
  const { start, end } = value as { start?: unknown; end?: unknown }
  const s = typeof start === 'string' ? parseLocalTime(start, false) : null
  const e = typeof end === 'string' ? parseLocalTime(end, true) : null
  if (s === null)
    issues.push({ pointer: `${pointer}/start`, message: 'must be a local time HH:mm from 00:00 to 23:59' })
  if (e === null)
    issues.push({ pointer: `${pointer}/end`, message: 'must be a local time HH:mm from 00:01 to 24:00' })
  if (s !== null && e !== null && s >= e) {
    issues.push({
      pointer: `${pointer}/end`,
      message: 'must be after start (an overnight span is two entries)',
    })
  }
}

function arrayAt(value: unknown, pointer: string, issues: ValidationIssue[]): unknown[] {
  if (Array.isArray(value)) return value
  issues.push({ pointer, message: 'must be an array' })
  return []
}

/** Every problem of a schedule, with JSON pointers relative to it (e.g. `/weekly/0/end`); [] when valid. */
export function validateSchedule(schedule: Schedule): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  if (typeof schedule !== 'object' || schedule === null)
    return [{ pointer: '', message: 'must be an object' }]
  const zone = schedule.timeZone
  const zoneValid = isValidTimeZone(zone)
  if (!zoneValid)
    issues.push({ pointer: '/timeZone', message: 'must be an IANA time zone such as Europe/Berlin' })

  arrayAt(schedule.weekly, '/weekly', issues).forEach((rule, i) => {
    const pointer = `/weekly/${i}`
    checkInterval(rule, pointer, issues)
    const days = (rule as { days?: unknown } | null)?.days
    arrayAt(days, `${pointer}/days`, issues).forEach((day, k) => {
      if (!WEEKDAYS.includes(day as never)) {
        issues.push({ pointer: `${pointer}/days/${k}`, message: `must be one of ${WEEKDAYS.join(', ')}` })
      }
    })
  })

  const seen = new Set<number>()
  arrayAt(schedule.overrides, '/overrides', issues).forEach((override, i) => {
    const pointer = `/overrides/${i}`
    const o = (override ?? {}) as { date?: unknown; intervals?: unknown }
    const day = typeof o.date === 'string' ? parseDate(o.date) : null
    if (day === null) issues.push({ pointer: `${pointer}/date`, message: 'must be a date YYYY-MM-DD' })
    else if (seen.has(day))
      issues.push({ pointer: `${pointer}/date`, message: 'this date already has an override' })
    else seen.add(day)
    arrayAt(o.intervals, `${pointer}/intervals`, issues).forEach((interval, k) => {
      checkInterval(interval, `${pointer}/intervals/${k}`, issues)
    })
  })

  arrayAt(schedule.blocks, '/blocks', issues).forEach((block, i) => {
    const pointer = `/blocks/${i}`
    checkInterval(block, pointer, issues)
    const rrule = (block as { rrule?: unknown } | null)?.rrule
    if (typeof rrule !== 'string') {
      issues.push({ pointer: `${pointer}/rrule`, message: 'must be an RRULE string' })
      return
    }
    const parsed = parseBlockRule(rrule, zoneValid ? zone : 'UTC')
    if (typeof parsed === 'string') issues.push({ pointer: `${pointer}/rrule`, message: parsed })
  })
  return issues
}

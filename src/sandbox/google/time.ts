// Event times: parsing Google's EventDateTime (`date` or `dateTime` + `timeZone`) and formatting instants as Google does.
import { DateTime } from 'luxon'
import { errors } from './errors.js'

export interface EventDateTime {
  date?: string
  dateTime?: string
  timeZone?: string
}

export interface ParsedTime {
  allDay: boolean
  /** The instant; for all-day values, midnight in the zone used to parse. */
  ms: number
  /** The zone the value is expressed in (its timeZone, else the calendar's). */
  zone: string
}

export function isValidZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid
}

/** Parses an EventDateTime; `field` names it in the 400 error ('start' or 'end'). */
export function parseEventDateTime(value: unknown, calendarZone: string, field: string): ParsedTime {
  if (typeof value !== 'object' || value === null) throw errors.required(`Missing ${field} time.`, field)
  const v = value as EventDateTime
  if (v.timeZone !== undefined && (typeof v.timeZone !== 'string' || !isValidZone(v.timeZone))) {
    throw errors.invalid(`Invalid time zone definition for ${field} time.`, `${field}.timeZone`)
  }
  const zone = v.timeZone ?? calendarZone
  if (typeof v.date === 'string' && v.dateTime === undefined) {
    const d = DateTime.fromISO(v.date, { zone })
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.date) || !d.isValid)
      throw errors.invalid(`Invalid ${field} time.`, `${field}.date`)
    return { allDay: true, ms: d.toMillis(), zone }
  }
  if (typeof v.dateTime === 'string' && v.date === undefined) {
    const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(v.dateTime)
    if (!hasOffset && v.timeZone === undefined) {
      throw errors.badRequest('timeRangeEmpty', `Missing time zone definition for ${field} time.`)
    }
    const d = DateTime.fromISO(v.dateTime, hasOffset ? { setZone: true } : { zone })
    if (!d.isValid) throw errors.invalid(`Invalid ${field} time.`, `${field}.dateTime`)
    return { allDay: false, ms: d.toMillis(), zone }
  }
  throw errors.required(`Missing ${field} time.`, field)
}

/** Formats an instant like Google: `2026-03-05T10:00:00+01:00`, or `...Z` in UTC. */
export function formatDateTime(ms: number, zone: string): string {
  const d = DateTime.fromMillis(ms, { zone })
  if (d.offset === 0 && (zone === 'UTC' || zone === 'Etc/UTC' || zone === 'GMT')) {
    return d.toFormat("yyyy-MM-dd'T'HH:mm:ss") + 'Z'
  }
  return d.toFormat("yyyy-MM-dd'T'HH:mm:ssZZ")
}

/** RFC 3339 UTC with milliseconds, as Google writes `created` and `updated`. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString()
}

/** RFC 3339 UTC without milliseconds, as freeBusy writes busy intervals. */
export function formatUtcSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * Parses a query-parameter timestamp (timeMin, timeMax, updatedMin); Google requires an offset
 * (providers.md A1 "RFC 3339 with a time-zone offset required").
 */
export function parseQueryTime(value: string, name: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) {
    throw errors.invalid('Bad Request', name)
  }
  const d = DateTime.fromISO(value, { setZone: true })
  if (!d.isValid) throw errors.invalid('Bad Request', name)
  return d.toMillis()
}

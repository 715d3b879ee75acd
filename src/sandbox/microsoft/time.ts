// Graph's dateTimeTimeZone values: Windows or IANA zone names, offset-less wall-clock strings, Prefer: outlook.timezone.
import { DateTime, IANAZone } from 'luxon'

// Outlook answers with whatever zone name the client used, Windows names included (providers.md B3);
// this is the subset of the CLDR windowsZones table that calendars here are likely to use.
const WINDOWS_ZONES: Record<string, string> = {
  UTC: 'UTC',
  'Coordinated Universal Time': 'UTC',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'GMT Standard Time': 'Europe/London',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Romance Standard Time': 'Europe/Paris',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Central European Standard Time': 'Europe/Warsaw',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'FLE Standard Time': 'Europe/Kiev',
  'GTB Standard Time': 'Europe/Bucharest',
  'Russian Standard Time': 'Europe/Moscow',
  'Eastern Standard Time': 'America/New_York',
  'Central Standard Time': 'America/Chicago',
  'Mountain Standard Time': 'America/Denver',
  'US Mountain Standard Time': 'America/Phoenix',
  'Pacific Standard Time': 'America/Los_Angeles',
  'Alaskan Standard Time': 'America/Anchorage',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Atlantic Standard Time': 'America/Halifax',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'India Standard Time': 'Asia/Kolkata',
  'China Standard Time': 'Asia/Shanghai',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'Singapore Standard Time': 'Asia/Singapore',
  'Arabian Standard Time': 'Asia/Dubai',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'New Zealand Standard Time': 'Pacific/Auckland',
  'South Africa Standard Time': 'Africa/Johannesburg',
}

/** The IANA zone for a Windows or IANA zone name; null when neither. */
export function resolveZone(name: string | undefined | null): string | null {
  if (name === undefined || name === null || name === '') return null
  const windows = WINDOWS_ZONES[name]
  if (windows !== undefined) return windows
  if (name === 'Etc/UTC' || name === 'Z') return 'UTC'
  return IANAZone.isValidZone(name) ? name : null
}

export interface DateTimeTimeZone {
  dateTime: string
  timeZone: string
}

/** Epoch ms of a dateTimeTimeZone; an offset inside dateTime wins over timeZone. Null when unparseable. */
export function parseDateTimeTimeZone(value: unknown): number | null {
  if (typeof value !== 'object' || value === null) return null
  const { dateTime, timeZone } = value as Partial<DateTimeTimeZone>
  if (typeof dateTime !== 'string') return null
  const zone = resolveZone(typeof timeZone === 'string' ? timeZone : 'UTC')
  if (zone === null) return null
  const dt = DateTime.fromISO(dateTime, { zone })
  return dt.isValid ? dt.toMillis() : null
}

/** Epoch ms of a query-string instant (calendarView startDateTime); no offset means UTC, as Graph reads it. */
export function parseInstant(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null
  const dt = DateTime.fromISO(value, { zone: 'UTC' })
  return dt.isValid ? dt.toMillis() : null
}

/** Graph's seven-digit fractional wall-clock string, e.g. 2026-03-25T06:00:00.0000000. */
export function formatWallClock(ms: number, zone: string): string {
  const dt = DateTime.fromMillis(ms, { zone })
  return `${dt.toFormat("yyyy-MM-dd'T'HH:mm:ss")}.${dt.toFormat('SSS')}0000`
}

/** A dateTimeTimeZone in the zone the client asked for (label kept as the client spelled it). */
export function toDateTimeTimeZone(ms: number, zoneLabel: string): DateTimeTimeZone {
  return { dateTime: formatWallClock(ms, resolveZone(zoneLabel) ?? 'UTC'), timeZone: zoneLabel }
}

/** The `outlook.timezone` and `odata.maxpagesize` preferences of a Prefer header (several may be comma-joined). */
export function parsePrefer(header: string | string[] | undefined): {
  timeZone?: string
  maxPageSize?: number
} {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '')
  const out: { timeZone?: string; maxPageSize?: number } = {}
  const tz =
    /outlook\.timezone\s*=\s*"([^"]*)"/i.exec(text) ?? /outlook\.timezone\s*=\s*([^,;\s]+)/i.exec(text)
  if (tz?.[1]) out.timeZone = tz[1]
  const size = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(text)
  if (size?.[1]) out.maxPageSize = Number(size[1])
  return out
}

/** ISO-8601 UTC with seven fractional digits, the way Graph writes createdDateTime and friends. */
export function graphTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z')
}

// Proleptic Gregorian arithmetic on day numbers (days since 1970-01-01) and wall-clock minutes: no zone, no clock.

export const MINUTE_MS = 60_000
export const DAY_MS = 86_400_000

/** Day number of a civil date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = (month + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

export interface CivilDate {
  year: number
  month: number
  day: number
}

export function civilFromDays(days: number): CivilDate {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

/** 0 = Monday … 6 = Sunday; day 0 (1970-01-01) was a Thursday. */
export function weekdayIndex(days: number): number {
  return (((days + 3) % 7) + 7) % 7
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Day number of a strict 'YYYY-MM-DD', or null when it is not a real date. */
export function parseDate(text: string): number | null {
  const m = DATE_RE.exec(text)
  if (!m) return null
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1 || day > 31) return null
  const days = daysFromCivil(year, month, day)
  const back = civilFromDays(days)
  return back.month === month && back.day === day ? days : null
}

export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days)
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

const TIME_RE = /^(\d{2}):(\d{2})$/

/** Minutes after local midnight of a strict 'HH:mm'; '24:00' only when `allowEndOfDay`. */
export function parseLocalTime(text: string, allowEndOfDay: boolean): number | null {
  const m = typeof text === 'string' ? TIME_RE.exec(text) : null
  if (!m) return null
  const hours = Number(m[1])
  const minutes = Number(m[2])
  if (hours === 24 && minutes === 0) return allowEndOfDay ? 1440 : null
  if (hours > 23 || minutes > 59) return null
  return hours * 60 + minutes
}

export function formatWall(wall: number): string {
  const days = Math.floor(wall / DAY_MS)
  const minutes = Math.floor((wall - days * DAY_MS) / MINUTE_MS)
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0')
  const mm = String(minutes % 60).padStart(2, '0')
  return `${formatDate(days)} ${hh}:${mm}`
}

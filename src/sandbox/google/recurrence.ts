// Recurrence expansion of Google series masters (RRULE/EXRULE/RDATE/EXDATE lines, no DTSTART) into instances.
import { DateTime } from 'luxon'
import rrulePkg from 'rrule'
import { errors, GoogleApiError } from './errors.js'

const { RRule, RRuleSet } = rrulePkg

export interface Occurrence {
  /** The instance id suffix: `YYYYMMDDTHHMMSSZ` (UTC) for timed series, `YYYYMMDD` for all-day ones. */
  suffix: string
  /** The original start instant. */
  startMs: number
  /** The original start as a wall-clock date for all-day series. */
  date?: string
}

export interface SeriesShape {
  recurrence: string[]
  allDay: boolean
  /** First start instant (midnight in `zone` for all-day series). */
  startMs: number
  zone: string
}

// rrule computes on wall-clock times dressed as UTC Dates (stack.md); convert at this boundary only.
function dress(d: DateTime): Date {
  return new Date(Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second))
}

function undress(date: Date, zone: string): DateTime {
  return DateTime.fromObject(
    {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
    },
    { zone },
  )
}

/** Parses one iCalendar date value of an EXDATE/RDATE line into a dressed wall-clock Date in `zone`. */
function parseIcalDate(value: string, tzid: string | undefined, zone: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(value.trim())
  if (!m) return null
  const [, y, mo, d, h, mi, s, z] = m
  const fields = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h ?? 0),
    minute: Number(mi ?? 0),
  }
  const dt =
    z === 'Z'
      ? DateTime.fromObject({ ...fields, second: Number(s ?? 0) }, { zone: 'UTC' }).setZone(zone)
      : DateTime.fromObject({ ...fields, second: Number(s ?? 0) }, { zone: tzid ?? zone }).setZone(zone)
  return dt.isValid ? dress(dt) : null
}

function buildSet(shape: SeriesShape) {
  try {
    return buildSetUnchecked(shape)
  } catch (err) {
    if (err instanceof GoogleApiError) throw err
    throw errors.invalid('Invalid recurrence rule.', 'recurrence')
  }
}

function buildSetUnchecked(shape: SeriesShape) {
  const dtstart = dress(DateTime.fromMillis(shape.startMs, { zone: shape.zone }))
  const set = new RRuleSet()
  let rules = 0
  for (const raw of shape.recurrence) {
    if (typeof raw !== 'string') throw errors.invalid('Invalid recurrence rule.', 'recurrence')
    const colon = raw.indexOf(':')
    if (colon < 0) throw errors.invalid('Invalid recurrence rule.', 'recurrence')
    const [name = '', ...params] = raw.slice(0, colon).toUpperCase().split(';')
    const value = raw.slice(colon + 1)
    const tzid = params.find((p) => p.startsWith('TZID='))?.slice(5)
    if (name === 'RRULE' || name === 'EXRULE') {
      let options: ReturnType<typeof RRule.parseString>
      try {
        options = RRule.parseString(value)
      } catch {
        throw errors.invalid('Invalid recurrence rule.', 'recurrence')
      }
      if (options.freq === undefined) throw errors.invalid('Invalid recurrence rule.', 'recurrence')
      // UNTIL written in UTC (…Z) is an instant; rrule compares it with dressed wall-clock times.
      if (options.until && /UNTIL=\d{8}T\d{6}Z/i.test(value)) {
        options.until = dress(DateTime.fromJSDate(options.until).setZone(shape.zone))
      }
      const rule = new RRule({ ...options, dtstart })
      if (name === 'RRULE') {
        set.rrule(rule)
        rules++
      } else set.exrule(rule)
    } else if (name === 'EXDATE' || name === 'RDATE') {
      for (const part of value.split(',')) {
        const date = parseIcalDate(part, tzid, shape.zone)
        if (!date) throw errors.invalid('Invalid recurrence rule.', 'recurrence')
        if (name === 'EXDATE') set.exdate(date)
        else {
          set.rdate(date)
          rules++
        }
      }
    } else {
      throw errors.invalid('Invalid recurrence rule.', 'recurrence')
    }
  }
  if (rules === 0) throw errors.invalid('Invalid recurrence rule.', 'recurrence')
  return { set, dtstart }
}

/** Throws Google's 400 when the recurrence lines cannot be parsed or expanded. */
export function validateRecurrence(shape: SeriesShape): void {
  for (const raw of shape.recurrence) {
    // INTERVAL=0 would make rrule loop forever.
    if (typeof raw === 'string' && /(^|[;:])INTERVAL=0*(;|$)/i.test(raw)) {
      throw errors.invalid('Invalid recurrence rule.', 'recurrence')
    }
  }
  const { set } = buildSet(shape)
  try {
    set.all((_date, i) => i < 2)
  } catch {
    throw errors.invalid('Invalid recurrence rule.', 'recurrence')
  }
}

function toOccurrence(date: Date, shape: SeriesShape): Occurrence {
  const wall = undress(date, shape.zone)
  if (shape.allDay) {
    return { suffix: wall.toFormat('yyyyMMdd'), startMs: wall.toMillis(), date: wall.toFormat('yyyy-MM-dd') }
  }
  return { suffix: wall.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'"), startMs: wall.toMillis() }
}

/**
 * The occurrences whose original start lies in [fromMs, toMs), at most `limit` of them
 * (Google's instances list is capped at 2500 per page; an open-ended series is cut at the horizon).
 */
export function expandOccurrences(
  shape: SeriesShape,
  fromMs: number,
  toMs: number,
  limit = 2500,
): Occurrence[] {
  const { set } = buildSet(shape)
  const day = 86_400_000
  // Dressed bounds with a day of margin either side, then filtered on the real instants.
  const after = dress(DateTime.fromMillis(Math.max(fromMs, shape.startMs) - day, { zone: shape.zone }))
  const before = dress(DateTime.fromMillis(toMs + day, { zone: shape.zone }))
  const out: Occurrence[] = []
  try {
    set.between(after, before, true, (date) => {
      const occ = toOccurrence(date, shape)
      if (occ.startMs >= fromMs && occ.startMs < toMs) out.push(occ)
      return out.length < limit
    })
  } catch {
    // A rule rrule cannot expand yields no instances rather than failing every listing of the calendar.
  }
  return out
}

/** The occurrence an instance id suffix names, or null when the series has no such occurrence. */
export function findOccurrence(shape: SeriesShape, suffix: string): Occurrence | null {
  let startMs: number
  if (shape.allDay) {
    const m = /^(\d{4})(\d{2})(\d{2})$/.exec(suffix)
    if (!m) return null
    const d = DateTime.fromObject(
      { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) },
      { zone: shape.zone },
    )
    if (!d.isValid) return null
    startMs = d.toMillis()
  } else {
    const d = DateTime.fromFormat(suffix, "yyyyMMdd'T'HHmmss'Z'", { zone: 'UTC' })
    if (!d.isValid) return null
    startMs = d.toMillis()
  }
  return expandOccurrences(shape, startMs, startMs + 1, 1)[0] ?? null
}

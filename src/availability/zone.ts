// Where instants meet wall clocks: a zone's UTC offsets as epoch-ms segments, found once per zone and year.
import { IANAZone } from 'luxon'
import { DAY_MS, daysFromCivil, MINUTE_MS } from './civil.js'

export function isValidTimeZone(zone: unknown): zone is string {
  return typeof zone === 'string' && zone.length > 0 && IANAZone.isValidZone(zone)
}

interface YearOffsets {
  /** Offset (ms) in force at the first instant of the UTC year. */
  initial: number
  /** Flat [at, offsetAfter, at, offsetAfter, …]: the instants where the offset changes. */
  changes: number[]
}

// Transitions are computed once per zone and UTC year and kept: Intl-backed offset look-ups cost microseconds,
// and the engine needs hundreds of wall-clock boundaries per request.
const yearCache = new Map<string, YearOffsets>()
const YEAR_CACHE_LIMIT = 4096
// No zone in the tz database changes its offset twice within 12 hours, so sampling at this step finds every
// transition; each is then bisected to the exact millisecond.
const SAMPLE_MS = 12 * 3_600_000

function offsetMs(zone: IANAZone, at: number): number {
  return Math.round(zone.offset(at) * MINUTE_MS)
}

function yearOffsets(zoneName: string, year: number): YearOffsets {
  const key = `${zoneName}|${year}`
  const hit = yearCache.get(key)
  if (hit) return hit
  const zone = IANAZone.create(zoneName)
  if (!zone.isValid) throw new RangeError(`invalid time zone: ${zoneName}`)
  const from = daysFromCivil(year, 1, 1) * DAY_MS
  const to = daysFromCivil(year + 1, 1, 1) * DAY_MS
  const initial = offsetMs(zone, from)
  const changes: number[] = []
  let prevAt = from
  let prev = initial
  for (let at = Math.min(from + SAMPLE_MS, to); ; at = Math.min(at + SAMPLE_MS, to)) {
    const cur = offsetMs(zone, at)
    if (cur !== prev) {
      let lo = prevAt
      let hi = at
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2)
        if (offsetMs(zone, mid) === prev) lo = mid
        else hi = mid
      }
      changes.push(hi, cur)
      prev = cur
    }
    prevAt = at
    if (at >= to) break
  }
  if (yearCache.size >= YEAR_CACHE_LIMIT) yearCache.clear()
  const result = { initial, changes }
  yearCache.set(key, result)
  return result
}

function utcYear(at: number): number {
  // 365.2425-day years are close enough to pick a year; the margins below absorb the error.
  return 1970 + Math.floor(at / (365.2425 * DAY_MS))
}

/**
 * A zone's offsets over a range of instants, as segments of constant offset. Outside the range the nearest
 * segment's offset is assumed, so callers build it with a margin of a day or two.
 */
export class ZoneClock {
  readonly zone: string
  /** starts[i] is the first instant of segment i; starts[0] is -Infinity. */
  readonly starts: number[]
  readonly offsets: number[]

  constructor(zone: string, from: number, to: number) {
    this.zone = zone
    const first = utcYear(from) - 1
    const last = utcYear(to) + 1
    const starts = [Number.NEGATIVE_INFINITY]
    const offsets = [yearOffsets(zone, first).initial]
    for (let year = first; year <= last; year++) {
      const { changes } = yearOffsets(zone, year)
      for (let i = 0; i < changes.length; i += 2) {
        const at = changes[i]!
        const offset = changes[i + 1]!
        if (at < from - 2 * DAY_MS || at > to + 2 * DAY_MS) {
          // Outside the range only the offset in force matters, not where it changed.
          if (at < from - 2 * DAY_MS) offsets[0] = offset
          continue
        }
        if (offset === offsets[offsets.length - 1]) continue
        starts.push(at)
        offsets.push(offset)
      }
    }
    this.starts = starts
    this.offsets = offsets
  }

  /** Index of the segment holding instant `at`. */
  segmentAt(at: number): number {
    const starts = this.starts
    let i = starts.length - 1
    while (i > 0 && starts[i]! > at) i--
    return i
  }

  offsetAt(at: number): number {
    return this.offsets[this.segmentAt(at)]!
  }

  /** The wall clock of an instant, as epoch ms of that wall time read as if it were UTC. */
  wallOf(at: number): number {
    return at + this.offsetAt(at)
  }

  /** Day number of the local date of an instant. */
  dayOf(at: number): number {
    return Math.floor(this.wallOf(at) / DAY_MS)
  }

  /**
   * The instant of a wall time (epoch ms of the wall time read as UTC). An ambiguous wall time (the repeated
   * hour after a fall-back) takes the earlier offset, i.e. its first occurrence. A wall time in a
   * spring-forward gap does not exist and is moved forward by the gap: it is read with the offset in force
   * before the gap (02:30 on 2026-03-29 in Berlin becomes 03:30 CEST), which is what RFC 5545 §3.3.5 asks
   * of DTSTART and what SPEC 1.1 requires. Luxon's fromObject is not used here: for ambiguous times its
   * answer depends on the offset of the process clock's current date.
   */
  toInstant(wall: number): number {
    const starts = this.starts
    const offsets = this.offsets
    const n = starts.length
    for (let i = 0; i < n; i++) {
      const at = wall - offsets[i]!
      if (at < starts[i]!) return wall - offsets[i - 1]!
      if (i + 1 === n || at < starts[i + 1]!) return at
    }
    return wall - offsets[n - 1]!
  }
}

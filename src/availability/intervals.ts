// Set algebra on half-open epoch-ms intervals: sorted, merged lists combined by linear sweeps.
import type { Interval } from './types.js'

/** Sorted, with overlapping and touching intervals merged and empty ones dropped. Does not mutate its input. */
export function mergeIntervals(list: readonly Interval[]): Interval[] {
  const sorted = list.filter((i) => i.start < i.end).sort((a, b) => a.start - b.start || a.end - b.end)
  const out: Interval[] = []
  for (const { start, end } of sorted) {
    const last = out[out.length - 1]
    if (last && start <= last.end) {
      if (end > last.end) last.end = end
    } else {
      out.push({ start, end })
    }
  }
  return out
}

/** Intersection of two sorted, merged lists. */
export function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a[i]!
    const y = b[j]!
    const start = Math.max(x.start, y.start)
    const end = Math.min(x.end, y.end)
    if (start < end) out.push({ start, end })
    if (x.end < y.end) i++
    else j++
  }
  return out
}

/** a minus b, both sorted and merged. */
export function subtractIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = []
  let j = 0
  for (const x of a) {
    let start = x.start
    while (j < b.length && b[j]!.end <= start) j++
    let k = j
    while (k < b.length && b[k]!.start < x.end) {
      const y = b[k]!
      if (y.start > start) out.push({ start, end: y.start })
      if (y.end > start) start = y.end
      k++
    }
    if (start < x.end) out.push({ start, end: x.end })
  }
  return out
}

/** Index of the interval of a sorted, merged list that holds instant `at`, or -1. */
function indexAt(set: readonly Interval[], at: number): number {
  let lo = 0
  let hi = set.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const x = set[mid]!
    if (at < x.start) hi = mid - 1
    else if (at >= x.end) lo = mid + 1
    else return mid
  }
  return -1
}

/** Whether [start, end) lies entirely inside the (sorted, merged) set. */
export function containsInterval(set: readonly Interval[], start: number, end: number): boolean {
  const i = indexAt(set, start)
  return i >= 0 && set[i]!.end >= end
}

/** The parts of [start, end) that the (sorted, merged) set does not cover. */
export function uncovered(set: readonly Interval[], start: number, end: number): Interval[] {
  return subtractIntervals([{ start, end }], set)
}

/** Whether [start, end) and the (sorted, merged) set share an instant. */
export function overlapsSet(set: readonly Interval[], start: number, end: number): boolean {
  if (start >= end) return false
  let lo = 0
  let hi = set.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (set[mid]!.end <= start) lo = mid + 1
    else hi = mid
  }
  const x = set[lo]
  return x !== undefined && x.start < end
}

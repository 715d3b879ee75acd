// Engine benchmark: times computeSlots on every shared workload and checks each answer independently.
import { DateTime } from 'luxon'
import { computeSlots, type Interval } from '../src/availability/index.js'
import { loadWorkloads, type Workload, type WorkloadFile } from './workloads.js'

const WARMUP_RUNS = 30
const TIMED_RUNS = 31

export interface EngineResult {
  workload: string
  slots: number
  violations: number
  missing: number
  medianMs: number
  p90Ms: number
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

/** Working hours of a local date per the workload file (Sunday = 0; "00:00"–"00:00" is a day off). */
function hoursOf(file: WorkloadFile, local: DateTime): Interval[] {
  const date = local.toISODate()!
  const override = file.dateOverrides.find((o) => o.date === date)
  const pairs = override
    ? override.start === '00:00' && override.end === '00:00'
      ? []
      : [override]
    : file.weeklyHours.filter((w) => w.days.includes(local.weekday % 7))
  return pairs.map((p) => {
    const at = (hhmm: string) => {
      const [h, m] = hhmm.split(':').map(Number) as [number, number]
      return local
        .startOf('day')
        .plus({ days: h === 24 ? 1 : 0 })
        .set({ hour: h % 24, minute: m })
        .toMillis()
    }
    return { start: at(p.start), end: at(p.end) }
  })
}

/** A slot must: lie in its local date's hours and in the window, be on the local grid, clear padded busy time, respect notice. */
function slotIsValid(w: Workload, busy: Interval[], slot: Interval): boolean {
  const { file, input } = w
  const local = DateTime.fromMillis(slot.start, { zone: file.timeZone })
  if ((local.hour * 60 + local.minute) % file.intervalMinutes !== 0 || local.second !== 0) return false
  if (slot.start < input.window.start || slot.end > input.window.end) return false
  if (!hoursOf(file, local).some((h) => h.start <= slot.start && slot.end <= h.end)) return false
  if (slot.end - slot.start !== file.durationMinutes * 60_000) return false
  if (slot.start < input.now + file.minimumNoticeMinutes * 60_000) return false
  const padStart = slot.start - file.bufferBeforeMinutes * 60_000
  const padEnd = slot.end + file.bufferAfterMinutes * 60_000
  return !busy.some((b) => b.start < padEnd && padStart < b.end)
}

/** Checks every slot offered, and that no valid grid start was left out (walking every local minute). */
export function verify(w: Workload, slots: Interval[]): { violations: number; missing: number } {
  const busy = w.input.busy
  let violations = 0
  for (let i = 0; i < slots.length; i++) {
    if (!slotIsValid(w, busy, slots[i]!)) violations++
    if (i > 0 && slots[i - 1]!.start >= slots[i]!.start) violations++
  }
  const offered = new Set(slots.map((s) => s.start))
  let missing = 0
  const duration = w.file.durationMinutes * 60_000
  for (let t = Math.ceil(w.input.window.start / 60_000) * 60_000; t < w.input.window.end; t += 60_000) {
    if (!offered.has(t) && slotIsValid(w, busy, { start: t, end: t + duration })) missing++
  }
  if (w.name === 'W-dst-oct') {
    // The README's fixed point: Monday 2026-10-26 (after the fall-back) has 31 slots from 08:00Z to 16:00Z.
    const monday = slots.filter(
      (s) => DateTime.fromMillis(s.start, { zone: 'utc' }).toISODate() === '2026-10-26',
    )
    const first = Date.parse('2026-10-26T08:00:00Z')
    const expectedOk =
      monday.length === 31 &&
      monday.every((s, i) => s.start === first + i * 15 * 60_000) &&
      monday.at(-1)?.end === Date.parse('2026-10-26T16:00:00Z')
    if (!expectedOk) violations++
  }
  return { violations, missing }
}

export function benchWorkload(w: Workload): EngineResult {
  let slots: Interval[] = []
  for (let i = 0; i < WARMUP_RUNS; i++) slots = computeSlots(w.input)
  const times: number[] = []
  for (let i = 0; i < TIMED_RUNS; i++) {
    const t0 = performance.now()
    slots = computeSlots(w.input)
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  const { violations, missing } = verify(w, slots)
  return {
    workload: w.name,
    slots: slots.length,
    violations,
    missing,
    medianMs: round(percentile(times, 0.5)),
    p90Ms: round(percentile(times, 0.9)),
  }
}

export async function runEngineBench(): Promise<EngineResult[]> {
  const results: EngineResult[] = []
  for (const w of loadWorkloads()) {
    const result = benchWorkload(w)
    results.push(result)
    console.log(JSON.stringify(result))
  }
  return results
}

// Loads the shared benchmark workloads (../shared/bench/workloads, see its README) as engine inputs.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AvailabilityInput, DateOverride, Weekday, WeeklyRule } from '../src/availability/index.js'

export interface WorkloadFile {
  name: string
  window: { start: string; end: string }
  timeZone: string
  weeklyHours: { days: number[]; start: string; end: string }[]
  dateOverrides: { date: string; start: string; end: string }[]
  durationMinutes: number
  intervalMinutes: number
  bufferBeforeMinutes: number
  bufferAfterMinutes: number
  minimumNoticeMinutes: number
  busy: { start: string; end: string }[]
  now: string
}

export interface Workload {
  name: string
  file: WorkloadFile
  input: AvailabilityInput
}

// The workload format counts days from Sunday = 0, as JavaScript's getDay does.
const SUNDAY_FIRST: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export function workloadsDir(): string {
  return resolve(repoRoot, process.env['BENCH_WORKLOADS_DIR'] ?? '../shared/bench/workloads')
}

export function toInput(file: WorkloadFile): AvailabilityInput {
  const weekly: WeeklyRule[] = file.weeklyHours.map((w) => ({
    days: w.days.map((d) => SUNDAY_FIRST[d]!),
    start: w.start,
    end: w.end,
  }))
  // "00:00"–"00:00" marks a day off; any other pair replaces that date's hours.
  const overrides: DateOverride[] = file.dateOverrides.map((o) => ({
    date: o.date,
    intervals: o.start === '00:00' && o.end === '00:00' ? [] : [{ start: o.start, end: o.end }],
  }))
  return {
    window: { start: Date.parse(file.window.start), end: Date.parse(file.window.end) },
    now: Date.parse(file.now),
    rules: {
      durationMinutes: file.durationMinutes,
      slotIntervalMinutes: file.intervalMinutes,
      bufferBeforeMinutes: file.bufferBeforeMinutes,
      bufferAfterMinutes: file.bufferAfterMinutes,
      minimumNoticeMinutes: file.minimumNoticeMinutes,
      horizonDays: 3650,
      maxPerDay: null,
      requireAssistantHours: false,
      contactHours: null,
    },
    clientSchedule: { timeZone: file.timeZone, weekly, overrides, blocks: [] },
    assistantSchedule: null,
    contactTimeZone: null,
    busy: file.busy.map((b) => ({ start: Date.parse(b.start), end: Date.parse(b.end) })),
    bookings: [],
    sameTypeBookingStarts: [],
  }
}

export function loadWorkloads(dir = workloadsDir()): Workload[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = JSON.parse(readFileSync(join(dir, f), 'utf8')) as WorkloadFile
      return { name: file.name ?? f.replace(/\.json$/, ''), file, input: toInput(file) }
    })
}

// HTTP benchmark: GET /v1/availability on PostgreSQL, 1,000 busy events, a 30-day window, autocannon at 10
// connections. The server runs as `npm start` runs it (compiled JavaScript, `node server.js`) in a child process,
// so that it does not share an event loop with autocannon; its peak RSS is read from /proc/<pid>/status.
// (Under `node --import tsx` the same server holds ~70 MB more: tsx's loader thread and transformed sources.)
import { createRequire } from 'node:module'
import {
  type CalendarEventInput,
  insertConnection,
  upsertCalendarEvents,
  upsertConnectionCalendar,
} from '../src/db/repositories/calendars.js'
import { newId } from '../src/ids.js'
import { mulberry32 } from './random.js'
import { adminQuery, api, backendPids, cpuSeconds, procStatusKb, startBenchServer } from './server.js'

const BUSY_EVENTS = 1000
const WINDOW_DAYS = 30
const CONNECTIONS = 10
const WARMUP_SECONDS = 3
const DAY = 86_400_000
const MINUTE = 60_000

// autocannon ships no types: the part of its API used here.
interface AutocannonResult {
  requests: { average: number; total: number }
  latency: { p50: number; p99: number; average: number; max: number }
  non2xx: number
  errors: number
  timeouts: number
}
type Autocannon = (opts: {
  url: string
  connections: number
  duration: number
  headers: Record<string, string>
}) => Promise<AutocannonResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

/** 1,000 busy events spread over the window: starts on a 5-minute grid at any hour, 15 to 120 minutes long. */
function busyEvents(window: { start: number; end: number }): CalendarEventInput[] {
  const random = mulberry32(20_261_129)
  const span = window.end - window.start
  const events: CalendarEventInput[] = []
  for (let i = 0; i < BUSY_EVENTS; i++) {
    const start = window.start + Math.floor((random() * span) / (5 * MINUTE)) * 5 * MINUTE
    const end = Math.min(window.end, start + (15 + Math.floor(random() * 8) * 15) * MINUTE)
    events.push({
      id: newId(),
      providerEventId: `bench${i}`,
      start: new Date(start),
      end: new Date(end),
      status: 'confirmed',
      showAs: 'busy',
      responseStatus: i % 3 === 0 ? 'organizer' : 'accepted',
    })
  }
  return events
}

export interface HttpResult {
  bench: 'http-availability'
  database: 'postgres'
  busyEvents: number
  windowDays: number
  connections: number
  requestsPerSec: number
  p50Ms: number
  p99Ms: number
  non2xx: number
  peakRssMb: number
}

export default async function runHttpBench(): Promise<HttpResult> {
  const requested = Number(process.env['BENCH_HTTP_SECONDS'] ?? 10)
  const seconds = Number.isFinite(requested) && requested > 0 ? requested : 10
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server there (open it in Chrome DevTools).
  const profile = process.env['BENCH_CPU_PROF']
  const server = await startBenchServer(
    profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profile}`] } : {},
  )
  const { base, key, pid, adminUrl, dbName } = server
  try {
    // People and a meeting type through the API, busy events through the repository (as the sync writes them).
    const from = Math.ceil((Date.now() + DAY) / DAY) * DAY // the next UTC midnight at least a day away
    const window = { start: from, end: from + WINDOW_DAYS * DAY }
    const assistant = await api<{ id: string }>(base, key, '/v1/assistants', {
      name: 'Maya',
      email: 'maya@va.example',
      timeZone: 'Europe/Lisbon',
      officeHours: { weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }] },
    })
    const client = await api<{ id: string }>(base, key, '/v1/clients', {
      assistantId: assistant.id,
      name: 'Jonas',
      email: 'jonas@exec.example',
      timeZone: 'Europe/Berlin',
      businessHours: {
        weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }],
      },
    })
    const meetingTypeId = (
      await api<{ id: string }>(base, key, '/v1/meeting-types', {
        clientId: client.id,
        name: 'Intro call',
        durationMinutes: 30,
      })
    ).id
    const connectionId = newId()
    const calendarId = 'jonas@exec.example'
    const db = server.database.db
    await insertConnection(db, server.accountId, {
      id: connectionId,
      owner: { type: 'client', id: client.id },
      provider: 'google',
    })
    await upsertConnectionCalendar(db, server.accountId, connectionId, {
      calendarId,
      name: 'Jonas',
      isPrimary: true,
      isBusy: true,
      isDestination: true,
      syncedAt: new Date(),
    })
    await upsertCalendarEvents(db, server.accountId, connectionId, calendarId, busyEvents(window), new Date())
    await adminQuery(server.databaseUrl, 'ANALYZE')

    const url =
      `${base}/v1/availability?meetingTypeId=${meetingTypeId}` +
      `&from=${new Date(window.start).toISOString()}&to=${new Date(window.end).toISOString()}`
    const headers = { authorization: `Bearer ${key}` }

    // The answer must be a real one before it is timed.
    const check = await fetch(url, { headers })
    const body = (await check.json()) as { slots?: unknown[]; calendars?: unknown[] }
    if (check.status !== 200 || !Array.isArray(body.slots) || body.slots.length === 0) {
      throw new Error(`availability answered ${check.status}: ${JSON.stringify(body).slice(0, 500)}`)
    }
    if (body.calendars?.length !== 1) throw new Error('availability did not use the busy calendar')

    await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_SECONDS, headers })

    // Where the CPU goes: the server's own CPU time per request, and that of its PostgreSQL backends.
    const pgBefore = new Map((await backendPids(adminUrl, dbName)).map((p) => [p, cpuSeconds(p)]))
    const serverBefore = cpuSeconds(pid)
    const loadBefore = process.cpuUsage()
    let peakRssKb = 0
    const sampler = setInterval(() => {
      peakRssKb = Math.max(peakRssKb, procStatusKb(pid, 'VmRSS'))
    }, 100)
    let result: AutocannonResult
    try {
      result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers })
    } finally {
      clearInterval(sampler)
    }
    const serverCpu = cpuSeconds(pid) - serverBefore
    const load = process.cpuUsage(loadBefore)
    const loadCpu = (load.user + load.system) / 1e6
    let pgCpu = 0
    for (const p of await backendPids(adminUrl, dbName)) pgCpu += cpuSeconds(p) - (pgBefore.get(p) ?? 0)
    // VmHWM is the high-water mark over the server's whole life, start-up included; never below the samples.
    peakRssKb = Math.max(peakRssKb, procStatusKb(pid, 'VmHWM'))

    const line: HttpResult = {
      bench: 'http-availability',
      database: 'postgres',
      busyEvents: BUSY_EVENTS,
      windowDays: WINDOW_DAYS,
      connections: CONNECTIONS,
      requestsPerSec: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      peakRssMb: Math.round(peakRssKb / 1024),
    }
    console.log(JSON.stringify(line))
    console.error(
      `  http-availability: ${body.slots.length} slots per answer, ${result.requests.total} requests in ${seconds} s, ` +
        `${result.errors} errors, ${result.timeouts} timeouts; CPU per request: server ` +
        `${((serverCpu * 1000) / result.requests.total).toFixed(2)} ms, PostgreSQL ` +
        `${((pgCpu * 1000) / result.requests.total).toFixed(2)} ms, autocannon ` +
        `${((loadCpu * 1000) / result.requests.total).toFixed(2)} ms`,
    )
    if (result.non2xx + result.errors + result.timeouts > 0) process.exitCode = 1
    return line
  } finally {
    await server.stop()
  }
}

// Inbound-sync benchmarks (issue 7), per provider: how long after the calendar's owner edits an event the busy time
// reflects it (the emulator POSTs the notification to the server, the worker syncs), and how long the initial import
// of a 10,000-event calendar takes. The emulators run in this process and listen over HTTP; the server is the built
// one in its own process (`ROLE=all`, bench/server.ts) on a fresh PostgreSQL database, with PUBLIC_BASE_URL its own
// origin so that push channels are used. BENCH_INBOUND_SPLIT=1 runs a `ROLE=api` and a `ROLE=worker` process
// instead: the notification reaches the API, the sync runs in the worker.
import { cpus, loadavg } from 'node:os'
import { pathToFileURL } from 'node:url'
import { createGoogleEmulator, type GoogleEmulator } from '../src/sandbox/google/index.js'
import { createMicrosoftEmulator, type MicrosoftEmulator } from '../src/sandbox/microsoft/index.js'
import type { ProviderName } from '../src/sync/provider.js'
import { mulberry32 } from './random.js'
import { api, type BenchServer, backendPids, cpuSeconds, percentile, startBenchServer } from './server.js'

const DAY = 86_400_000
const HOUR = 3_600_000
const MINUTE = 60_000
const POLL_MS = 10
/** Longest wait for one edit to show before the benchmark gives up on it. */
const EDIT_TIMEOUT_MS = 30_000
const LATENCY_USER = 'owner@sandbox.test'
const BULK_USER = 'bulk@sandbox.test'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const loadAverage = () => loadavg().map((l) => Number(l.toFixed(2)))

interface Emulators {
  google: GoogleEmulator
  microsoft: MicrosoftEmulator
  /** Microsoft mailbox ids by address. */
  mailboxes: Map<string, string>
  env: Record<string, string>
  close(): Promise<void>
}

/** Both emulators on free ports, with the users the benchmark acts as. No client ids: the sandbox clients. */
async function startEmulators(): Promise<Emulators> {
  const google = await createGoogleEmulator({ consent: 'allow' })
  const googleBase = await google.listen()
  google.users.add({ email: LATENCY_USER, name: 'Owner', timeZone: 'UTC' })
  google.users.add({ email: BULK_USER, name: 'Bulk', timeZone: 'UTC' })
  const microsoft = await createMicrosoftEmulator({ user: { mail: LATENCY_USER, timeZone: 'UTC' } })
  microsoft.setBaseUrl(await microsoft.app.listen({ host: '127.0.0.1', port: 0 }))
  const bulk = microsoft.addUser({ mail: BULK_USER, displayName: 'Bulk', timeZone: 'UTC' })
  const e = google.endpoints()
  return {
    google,
    microsoft,
    mailboxes: new Map([
      [LATENCY_USER, microsoft.defaultUser.id],
      [BULK_USER, bulk.id],
    ]),
    // Without GOOGLE_CLIENT_ID / MICROSOFT_CLIENT_ID the server uses the sandbox clients, which also tells it the
    // provider reaches any URL (push, not polling, on an http PUBLIC_BASE_URL).
    env: {
      GOOGLE_API_BASE_URL: googleBase,
      GOOGLE_AUTH_URL: e.authUrl,
      GOOGLE_TOKEN_URL: e.tokenUrl,
      MICROSOFT_GRAPH_BASE_URL: microsoft.graphBaseUrl ?? '',
      MICROSOFT_AUTH_BASE_URL: microsoft.authBaseUrl ?? '',
    },
    close: async () => {
      await Promise.allSettled([google.close(), microsoft.close()])
    },
  }
}

/** The calendar's owner editing events in Google Calendar or Outlook. */
interface Hands {
  create(user: string, start: number, end: number, weeklyCount?: number): string
  move(id: string, start: number, end: number): void
  remove(id: string): void
}

function handsOf(em: Emulators, provider: ProviderName): Hands {
  if (provider === 'google') {
    const g = em.google
    const at = (ms: number) => ({ dateTime: new Date(ms).toISOString(), timeZone: 'UTC' })
    return {
      create: (user, start, end, weeklyCount) =>
        String(
          g.owner.createEvent(user, {
            summary: 'Meeting',
            start: at(start),
            end: at(end),
            ...(weeklyCount ? { recurrence: [`RRULE:FREQ=WEEKLY;COUNT=${weeklyCount}`] } : {}),
          }).id,
        ),
      move: (id, start, end) => {
        g.owner.updateEvent(LATENCY_USER, id, { start: at(start), end: at(end) })
      },
      remove: (id) => g.owner.deleteEvent(LATENCY_USER, id),
    }
  }
  const m = em.microsoft
  const at = (ms: number) => ({ dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' })
  return {
    create: (user, start, end, weeklyCount) => {
      const userId = em.mailboxes.get(user) ?? user
      const weekday = new Date(start).toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })
      return String(
        m.createEvent({
          userId,
          subject: 'Meeting',
          start: at(start),
          end: at(end),
          ...(weeklyCount
            ? {
                recurrence: {
                  pattern: { type: 'weekly', interval: 1, daysOfWeek: [weekday.toLowerCase()] },
                  range: {
                    type: 'numbered',
                    startDate: new Date(start).toISOString().slice(0, 10),
                    numberOfOccurrences: weeklyCount,
                  },
                },
              }
            : {}),
        }).id,
      )
    },
    move: (id, start, end) => {
      m.moveEvent(id, { start: new Date(start).toISOString(), end: new Date(end).toISOString() })
    },
    remove: (id) => m.deleteEvent(id),
  }
}

interface Owner {
  clientId: string
  meetingTypeId: string
}

async function createOwner(server: BenchServer, name: string): Promise<Owner> {
  const allDay = {
    weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }],
  }
  const assistant = await api<{ id: string }>(server.base, server.key, '/v1/assistants', {
    name: `Assistant of ${name}`,
    email: `va-${name.toLowerCase()}@va.example`,
    timeZone: 'UTC',
    officeHours: allDay,
  })
  const client = await api<{ id: string }>(server.base, server.key, '/v1/clients', {
    assistantId: assistant.id,
    name,
    email: `${name.toLowerCase()}@exec.example`,
    timeZone: 'UTC',
    businessHours: allDay,
  })
  const meetingType = await api<{ id: string }>(server.base, server.key, '/v1/meeting-types', {
    clientId: client.id,
    name: 'Call',
    durationMinutes: 60,
    slotIntervalMinutes: 60,
    minimumNoticeMinutes: 0,
    horizonDays: 200,
    requireAssistantHours: false,
  })
  return { clientId: client.id, meetingTypeId: meetingType.id }
}

async function get<T>(server: BenchServer, path: string): Promise<T> {
  const res = await fetch(`${server.base}${path}`, { headers: { authorization: `Bearer ${server.key}` } })
  const body = (await res.json()) as T
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`)
  return body
}

/**
 * Connects the client's calendar as its owner would: our consent URL, the emulator's consent (signed in as
 * `user`), its redirect followed to our callback, which imports the calendar before it answers. Returns how long
 * the callback took.
 */
async function connect(
  server: BenchServer,
  clientId: string,
  provider: ProviderName,
  user: string,
): Promise<{ connectionId: string; callbackMs: number }> {
  const { authorizationUrl } = await api<{ authorizationUrl: string }>(
    server.base,
    server.key,
    `/v1/clients/${clientId}/connections`,
    { provider },
  )
  const consent = new URL(authorizationUrl)
  consent.searchParams.set('login_hint', user)
  const res = await fetch(consent, { redirect: 'manual' })
  const location = res.headers.get('location')
  if (res.status !== 302 || !location) throw new Error(`consent did not redirect: ${res.status}`)
  const started = performance.now()
  const callback = await fetch(location)
  const text = await callback.text()
  const callbackMs = performance.now() - started
  if (callback.status !== 200) throw new Error(`the OAuth callback answered ${callback.status}: ${text}`)
  const list = await get<{ data: { id: string; status: string; lastError: string | null }[] }>(
    server,
    `/v1/clients/${clientId}/connections`,
  )
  const connection = list.data.at(-1)
  if (connection?.status !== 'active')
    throw new Error(`the connection is not active: ${JSON.stringify(connection)}`)
  return { connectionId: connection.id, callbackMs }
}

async function waitForPush(server: BenchServer, connectionId: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const c = await get<{ syncMode: string | null; channelExpiresAt: string | null }>(
      server,
      `/v1/connections/${connectionId}`,
    )
    if (c.syncMode === 'push' && c.channelExpiresAt) return
    await sleep(50)
  }
  throw new Error('no push channel within 30 s (syncMode is not push)')
}

type Busy = { busy: { start: string; end: string }[] }

/** Polls the client's busy time every POLL_MS until `done` holds; answers the milliseconds since `since`. */
async function until(
  server: BenchServer,
  clientId: string,
  day: number,
  since: number,
  done: (starts: Set<number>) => boolean,
): Promise<number> {
  const path = `/v1/clients/${clientId}/busy?from=${new Date(day).toISOString()}&to=${new Date(day + DAY).toISOString()}`
  for (;;) {
    const polled = performance.now()
    const body = await get<Busy>(server, path)
    if (done(new Set(body.busy.map((b) => Date.parse(b.start))))) return performance.now() - since
    if (performance.now() - since > EDIT_TIMEOUT_MS)
      throw new Error(`an edit did not show within 30 s (${path})`)
    await sleep(Math.max(0, POLL_MS - (performance.now() - polled)))
  }
}

const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b)
  const round = (n: number) => Math.round(n)
  return {
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  }
}

/**
 * `edits` edits by the owner, cycling create → move → delete of one event on its own day (10:00–11:00 UTC, moved
 * to 14:00–15:00), each timed from the emulator call (which POSTs the notification) until /busy shows it.
 */
async function measureLatency(
  server: BenchServer,
  em: Emulators,
  provider: ProviderName,
  edits: number,
  role: string,
): Promise<Record<string, unknown>> {
  const owner = await createOwner(server, `Latency${provider}`)
  const { connectionId } = await connect(server, owner.clientId, provider, LATENCY_USER)
  await waitForPush(server, connectionId)
  const hands = handsOf(em, provider)
  const firstDay = Math.ceil((Date.now() + DAY) / DAY) * DAY
  const latencies: Record<'create' | 'move' | 'delete', number[]> = { create: [], move: [], delete: [] }
  let eventId = ''
  const loadBefore = loadAverage()
  for (let i = 0; i < edits; i++) {
    const day = firstDay + (Math.floor(i / 3) % 150) * DAY
    const [a, b] = [day + 10 * HOUR, day + 14 * HOUR]
    const t0 = performance.now()
    switch (i % 3) {
      case 0:
        eventId = hands.create(LATENCY_USER, a, a + HOUR)
        latencies.create.push(await until(server, owner.clientId, day, t0, (s) => s.has(a)))
        break
      case 1:
        hands.move(eventId, b, b + HOUR)
        latencies.move.push(await until(server, owner.clientId, day, t0, (s) => s.has(b) && !s.has(a)))
        break
      default:
        hands.remove(eventId)
        latencies.delete.push(await until(server, owner.clientId, day, t0, (s) => s.size === 0))
    }
  }
  const all = [...latencies.create, ...latencies.move, ...latencies.delete]
  const line = {
    bench: 'inbound-latency',
    provider,
    database: 'postgres',
    role,
    syncMode: 'push',
    edits,
    ...summary(all),
    byKind: {
      create: summary(latencies.create),
      move: summary(latencies.move),
      delete: summary(latencies.delete),
    },
    targetP99Ms: 1000,
    loadAverage: { before: loadBefore, after: loadAverage() },
  }
  console.log(JSON.stringify(line))
  return line
}

/**
 * A calendar of `count` events seeded in the emulator (timed, 30–120 minutes, spread over the sync window; one in
 * fifty a weekly series of 5), connected through OAuth; the import is timed as the OAuth callback, which imports
 * every busy calendar before it answers, and checked against the database.
 */
async function measureImport(
  server: BenchServer,
  em: Emulators,
  provider: ProviderName,
  count: number,
): Promise<Record<string, unknown>> {
  const hands = handsOf(em, provider)
  const random = mulberry32(20_261_129)
  // Inside the window (30 days back, 180 ahead) with room for a weekly series of 5.
  const from = Math.floor((Date.now() - 25 * DAY) / HOUR) * HOUR
  const span = 165 * DAY
  let instances = 0
  const seeded = performance.now()
  for (let i = 0; i < count; i++) {
    const start = from + Math.floor((random() * span) / (15 * MINUTE)) * 15 * MINUTE
    const end = start + (30 + Math.floor(random() * 4) * 30) * MINUTE
    const weekly = i % 50 === 0 ? 5 : undefined
    hands.create(BULK_USER, start, end, weekly)
    instances += weekly ?? 1
  }
  const seedMs = performance.now() - seeded
  const owner = await createOwner(server, `Bulk${provider}`)
  const loadBefore = loadAverage()
  // Where the CPU goes during the import: the server, its PostgreSQL backends, the emulator (this process).
  const pgBefore = new Map((await backendPids(server.adminUrl, server.dbName)).map((p) => [p, cpuSeconds(p)]))
  const serverBefore = cpuSeconds(server.pid)
  const emulatorBefore = process.cpuUsage()
  const { connectionId, callbackMs } = await connect(server, owner.clientId, provider, BULK_USER)
  const loadAfter = loadAverage()
  const emulatorCpu = process.cpuUsage(emulatorBefore)
  let pgCpu = 0
  for (const p of await backendPids(server.adminUrl, server.dbName))
    pgCpu += cpuSeconds(p) - (pgBefore.get(p) ?? 0)
  const cpu = {
    server: Number((cpuSeconds(server.pid) - serverBefore).toFixed(2)),
    postgres: Number(pgCpu.toFixed(2)),
    emulator: Number(((emulatorCpu.user + emulatorCpu.system) / 1e6).toFixed(2)),
  }
  const { rows } = await server.database.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM calendar_events WHERE connection_id = $1',
    [connectionId],
  )
  const imported = Number(rows[0]?.n ?? 0)
  const line = {
    bench: 'inbound-import',
    provider,
    database: 'postgres',
    events: count,
    recurringSeries: Math.ceil(count / 50),
    instances,
    imported,
    importSeconds: Number((callbackMs / 1000).toFixed(2)),
    targetSeconds: 10,
    seedSeconds: Number((seedMs / 1000).toFixed(2)),
    cpuSeconds: cpu,
    loadAverage: { before: loadBefore, after: loadAfter },
  }
  console.log(JSON.stringify(line))
  if (imported !== instances) {
    console.error(`  inbound-import (${provider}): ${imported} events in the database, ${instances} expected`)
    process.exitCode = 1
  }
  return line
}

export default async function runInboundBench(): Promise<Record<string, unknown>[]> {
  const edits = Number(process.env.BENCH_INBOUND_EDITS ?? 200)
  const importEvents = Number(process.env.BENCH_INBOUND_IMPORT_EVENTS ?? 10_000)
  const split = process.env.BENCH_INBOUND_SPLIT === '1'
  const providers = (process.env.BENCH_INBOUND_PROVIDERS ?? 'google,microsoft')
    .split(',')
    .filter((p): p is ProviderName => p === 'google' || p === 'microsoft')
  console.error(`  inbound: ${cpus().length} cores, load average ${loadAverage().join(' ')}`)
  const results: Record<string, unknown>[] = []
  for (const provider of providers) {
    const em = await startEmulators()
    try {
      const server = await startBenchServer({ role: split ? 'api' : 'all', worker: split, env: em.env })
      try {
        if (edits > 0)
          results.push(await measureLatency(server, em, provider, edits, split ? 'api+worker' : 'all'))
        if (importEvents > 0) results.push(await measureImport(server, em, provider, importEvents))
      } finally {
        await server.stop()
      }
    } finally {
      await em.close()
    }
  }
  return results
}

// `npx tsx bench/inbound.ts` runs this benchmark alone (`npm run bench` runs it after the others).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runInboundBench()

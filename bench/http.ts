// HTTP benchmark: GET /v1/availability on PostgreSQL, 1,000 busy events, a 30-day window, autocannon at 10
// connections. The server runs as `npm start` runs it (compiled JavaScript, `node server.js`) in a child process,
// so that it does not share an event loop with autocannon; its peak RSS is read from /proc/<pid>/status.
// (Under `node --import tsx` the same server holds ~70 MB more: tsx's loader thread and transformed sources.)
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { connectDatabase } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import {
  type CalendarEventInput,
  insertConnection,
  upsertCalendarEvents,
  upsertConnectionCalendar,
} from '../src/db/repositories/calendars.js'
import { newId } from '../src/ids.js'
import { createAccount } from '../src/services/accounts.js'

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

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** A deterministic generator, so every run seeds the same busy calendar. */
function mulberry32(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

/** Kilobytes of a /proc/<pid>/status field (VmRSS, VmHWM), or 0 when the process is gone. */
function procStatusKb(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    return match ? Number(match[1]) : 0
  } catch {
    return 0
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** Process ids of the PostgreSQL backends serving a database (PostgreSQL must run on this machine). */
async function backendPids(adminUrl: string, dbName: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1',
      [dbName],
    )
    return rows.map((r) => r.pid)
  } finally {
    await client.end()
  }
}

/** Compiles src/ as `npm run build` does, into a cache folder (node_modules stays reachable from there). */
function buildServer(): string {
  const outDir = join(ROOT, 'node_modules', '.cache', 'officehours-bench')
  rmSync(outDir, { recursive: true, force: true })
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  const server = join(outDir, 'server.js')
  if (!existsSync(server)) throw new Error(`the build failed: ${build.stdout}${build.stderr}`)
  // tsc emits despite type errors; say so, since the benchmark then runs code that does not type-check.
  if (build.status !== 0) console.error(`  bench: tsc reported errors, benchmarking the emitted code anyway`)
  return server
}

async function waitForHealth(base: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${stderr()}`)
    try {
      const res = await fetch(`${base}/healthz`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`the server did not become healthy within 60 s: ${stderr()}`)
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

async function api<T>(base: string, key: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await res.json()) as T
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

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
  const adminUrl = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const requested = Number(process.env['BENCH_HTTP_SECONDS'] ?? 10)
  const seconds = Number.isFinite(requested) && requested > 0 ? requested : 10
  const dbName = `oh_bench_${randomBytes(6).toString('hex')}`
  const databaseUrl = withDatabase(adminUrl, dbName)
  const serverScript = buildServer()
  const dataDir = mkdtempSync(join(tmpdir(), 'oh-bench-'))
  let child: ChildProcess | undefined
  try {
    await adminQuery(adminUrl, `CREATE DATABASE ${dbName}`)
    // Schema and an account, from this process.
    const database = await connectDatabase({ databaseUrl, dataDir, maxConnections: 2 })
    let key: string
    let accountId: string
    try {
      await migrateToLatest(database.db)
      const created = await createAccount({ db: database.db }, 'Bench VA business')
      key = created.apiKey.key
      accountId = created.account.id
    } catch (err) {
      await database.close()
      throw err
    }

    // The API in its own process, as in production.
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    let serverErr = ''
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server there (open it in Chrome DevTools).
    const profile = process.env['BENCH_CPU_PROF']
    const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []
    child = spawn(process.execPath, [...nodeArgs, serverScript], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        ADMIN_TOKEN: randomBytes(24).toString('hex'),
        ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_BASE_URL: base,
        LOG_LEVEL: 'warn',
        ROLE: 'api',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      serverErr = (serverErr + chunk.toString()).slice(-4000)
    })
    const pid = child.pid!
    await waitForHealth(base, child, () => serverErr)

    // People and a meeting type through the API, busy events through the repository (as the sync writes them).
    let meetingTypeId: string
    const from = Math.ceil((Date.now() + DAY) / DAY) * DAY // the next UTC midnight at least a day away
    const window = { start: from, end: from + WINDOW_DAYS * DAY }
    try {
      const assistant = await api<{ id: string }>(base, key, '/v1/assistants', {
        name: 'Maya',
        email: 'maya@va.example',
        timeZone: 'Europe/Lisbon',
        officeHours: {
          weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }],
        },
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
      meetingTypeId = (
        await api<{ id: string }>(base, key, '/v1/meeting-types', {
          clientId: client.id,
          name: 'Intro call',
          durationMinutes: 30,
        })
      ).id
      const connectionId = newId()
      const calendarId = 'jonas@exec.example'
      await insertConnection(database.db, accountId, {
        id: connectionId,
        owner: { type: 'client', id: client.id },
        provider: 'google',
      })
      await upsertConnectionCalendar(database.db, accountId, connectionId, {
        calendarId,
        name: 'Jonas',
        isPrimary: true,
        isBusy: true,
        isDestination: true,
        syncedAt: new Date(),
      })
      await upsertCalendarEvents(
        database.db,
        accountId,
        connectionId,
        calendarId,
        busyEvents(window),
        new Date(),
      )
      await adminQuery(databaseUrl, 'ANALYZE')
    } finally {
      await database.close()
    }

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
    if (child) await stopServer(child)
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

// Reliability suite harness: real officehours processes (ROLE=api|worker|all) on a real PostgreSQL, the Google and
// Microsoft emulators over HTTP, an app receiving webhooks, an account set up through the HTTP API, and the
// booking stream the crash and outage tests drive. Everything here talks HTTP or SQL; nothing runs the app inline.
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Kysely, sql } from 'kysely'
import { Webhook } from 'standardwebhooks'
import type { DB } from '../../src/db/schema.js'
import { assistantBody, clientBody, contactBody, meetingTypeBody } from '../helpers/factories.js'
import { type Child, freePort, run } from '../helpers/process.js'

export { freePort }

import { type Emulators, GOOGLE_USER, startEmulators } from '../integration/sync/harness.js'

export { createTestDatabase, type TestDatabase } from '../helpers/database.js'
export { type Emulators, GOOGLE_USER, startEmulators }

/** A number from the environment (durations, counts), so CI and a curious developer can stretch a run. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]
  const n = raw === undefined || raw === '' ? Number.NaN : Number(raw)
  return Number.isFinite(n) ? n : fallback
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `probe` until it gives a truthy value; throws naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  everyMs = 200,
): Promise<T> {
  const started = Date.now()
  for (;;) {
    const value = await probe().catch(() => null)
    if (value) return value
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** Polls `done` until it is true or `timeoutMs` passed; true when it settled (the caller reports either way). */
export async function settle(
  done: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 500,
): Promise<boolean> {
  const started = Date.now()
  for (;;) {
    if (await done().catch(() => false)) return true
    if (Date.now() - started > timeoutMs) return false
    await sleep(everyMs)
  }
}

/** Prints what a test tried and found, one block, so the CI log shows the figures next to the verdict. */
export function report(title: string, lines: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(lines).map((k) => k.length))
  const body = Object.entries(lines)
    .map(([k, v]) => `  ${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n')
  console.log(`\n[reliability] ${title}\n${body}\n`)
}

// ---------------------------------------------------------------------------------------------------------------
// The fleet: the environment every process shares, and real processes started from it.

export interface FleetOptions {
  databaseUrl: string
  /** The emulators the processes write to (their URLs become GOOGLE_* and MICROSOFT_* variables). */
  emulators?: Emulators
  /** Defaults to a random one; the same on every process of the fleet. */
  encryptionKey?: string
  adminToken?: string
  /** The origin every process puts in links and OAuth/push callback URLs: one API instance's (a load balancer's). */
  publicBaseUrl: string
  /** Extra variables for every process (shortened retry schedules, job timeout, log level). */
  extra?: Record<string, string>
}

export interface Fleet {
  adminToken: string
  encryptionKey: string
  /** The variables of one process of the fleet (PORT and ROLE are set by startService). */
  env(extra?: Record<string, string>): Record<string, string>
}

export function fleetEnv(options: FleetOptions): Fleet {
  const adminToken = options.adminToken ?? `oh_admin_${randomBytes(24).toString('hex')}`
  const encryptionKey = options.encryptionKey ?? randomBytes(32).toString('hex')
  const em = options.emulators
  const providers: Record<string, string> = em
    ? {
        GOOGLE_API_BASE_URL: em.config.google!.apiBaseUrl,
        GOOGLE_AUTH_URL: em.config.google!.authUrl,
        GOOGLE_TOKEN_URL: em.config.google!.tokenUrl,
        MICROSOFT_GRAPH_BASE_URL: em.config.microsoft!.graphBaseUrl,
        MICROSOFT_AUTH_BASE_URL: em.config.microsoft!.authBaseUrl,
      }
    : {}
  return {
    adminToken,
    encryptionKey,
    env: (extra = {}) => ({
      DATABASE_URL: options.databaseUrl,
      ENCRYPTION_KEY: encryptionKey,
      ADMIN_TOKEN: adminToken,
      PUBLIC_BASE_URL: options.publicBaseUrl,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WORKER_JOB_TIMEOUT_SECONDS: '3',
      LOG_LEVEL: 'warn',
      ...providers,
      ...options.extra,
      ...extra,
    }),
  }
}

export interface Service {
  role: 'api' | 'worker' | 'all'
  /** The API's origin (api and all); the worker's bare metrics listener otherwise. */
  url: string
  child(): Child
  /** Number of times this service was started. */
  starts: number
  /** SIGKILL: no shutdown, no cleanup, connections and transactions cut as a power loss would. */
  kill(): Promise<void>
  /** Starts the process again on the same port and waits until it answers. */
  restart(): Promise<void>
  /** SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>
  /** Answers: /readyz for API processes, /metrics for a worker. */
  ready(timeoutMs?: number): Promise<void>
  alive(): boolean
}

/**
 * Starts `src/server.ts` as a real child process with `ROLE` and the fleet's variables. A worker gets a
 * WORKER_METRICS_PORT so the test can tell when it is up.
 */
export async function startService(
  role: Service['role'],
  env: Record<string, string>,
  options: { wait?: boolean; port?: number } = {},
): Promise<Service> {
  const port = options.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  const processEnv: Record<string, string> =
    role === 'worker'
      ? { ...env, ROLE: role, PORT: String(await freePort()), WORKER_METRICS_PORT: String(port) }
      : { ...env, ROLE: role, PORT: String(port) }
  let child = run('src/server.ts', [], processEnv)
  const readyPath = role === 'worker' ? '/metrics' : '/readyz'
  const service: Service = {
    role,
    url,
    starts: 1,
    child: () => child,
    alive: () => child.process.exitCode === null && child.process.signalCode === null,
    async kill() {
      if (!service.alive()) return
      child.process.kill('SIGKILL')
      await child.exited
    },
    async restart() {
      await service.kill()
      child = run('src/server.ts', [], processEnv)
      service.starts++
      await service.ready()
    },
    async stop() {
      if (!service.alive()) return child.process.exitCode
      child.process.kill('SIGTERM')
      return child.exited
    },
    async ready(timeoutMs = 60_000) {
      const started = Date.now()
      for (;;) {
        if (!service.alive()) throw new Error(`${role} process exited:\n${child.output()}`)
        try {
          if ((await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(2000) })).ok) return
        } catch {}
        if (Date.now() - started > timeoutMs)
          throw new Error(`${role} not ready in ${timeoutMs} ms:\n${child.output()}`)
        await sleep(100)
      }
    },
  }
  if (options.wait !== false) await service.ready()
  return service
}

export const startApi = (env: Record<string, string>, port?: number) =>
  startService('api', env, port === undefined ? {} : { port })
export const startWorker = (env: Record<string, string>) => startService('worker', env)

/** Lines of a process's output at level error or fatal (pino JSON), or crashes printed to stderr. */
export function errorLines(service: Service): string[] {
  return service
    .child()
    .output()
    .split('\n')
    .filter((l) => /"level":(50|60)/.test(l) || /Unhandled|uncaught|ERR_UNHANDLED/i.test(l))
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP to the API.

export interface Answer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: tests read bodies freely
  body: any
  headers: Headers
}

/** One request; rejects on a network failure (refused, reset), which the crash tests count. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; idempotencyKey?: string; timeoutMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  })
  const text = await res.text()
  let body: unknown = text
  if (/json/.test(res.headers.get('content-type') ?? '') && text) body = JSON.parse(text)
  return { status: res.status, body, headers: res.headers }
}

async function must(answer: Promise<Answer>, status: number, what: string): Promise<Answer> {
  const a = await answer
  if (a.status !== status)
    throw new Error(`${what}: expected ${status}, got ${a.status} ${JSON.stringify(a.body)}`)
  return a
}

// ---------------------------------------------------------------------------------------------------------------
// An account set up through the API: a client with a Google calendar, an assistant with an Outlook calendar
// (both connected through the emulators' OAuth), a meeting type both attend, a contact, an app webhook endpoint.

export interface Scenario {
  apiKey: string
  accountId: string
  clientId: string
  assistantId: string
  meetingTypeId: string
  contactId: string
  connections: { provider: 'google' | 'microsoft'; id: string }[]
  webhook: { id: string; secret: string } | null
}

export interface ScenarioOptions {
  /** Connect the client's Google calendar (default true). */
  google?: boolean
  /** Connect the assistant's Outlook calendar and make the meeting type need her too (default false). */
  microsoft?: boolean
  /** Register this URL as an app webhook endpoint for booking events. */
  webhookUrl?: string
}

export async function setUpAccount(
  api: string,
  adminToken: string,
  options: ScenarioOptions = {},
): Promise<Scenario> {
  const created = await must(
    call(api, 'POST', '/admin/v1/accounts', { token: adminToken, body: { name: 'Reliability VA' } }),
    201,
    'account',
  )
  const token = created.body.apiKey.key as string
  const post = (path: string, body: unknown, what: string) =>
    must(call(api, 'POST', path, { token, body }), 201, what)
  const assistantId = (
    await post('/v1/assistants', assistantBody({ timeZone: 'Europe/Berlin' }), 'assistant')
  ).body.id as string
  const clientId = (
    await post('/v1/clients', clientBody(assistantId, { timeZone: 'Europe/Berlin' }), 'client')
  ).body.id as string
  const connections: Scenario['connections'] = []
  if (options.google !== false) {
    connections.push({
      provider: 'google',
      id: await connect(api, token, `/v1/clients/${clientId}`, 'google'),
    })
  }
  if (options.microsoft) {
    connections.push({
      provider: 'microsoft',
      id: await connect(api, token, `/v1/assistants/${assistantId}`, 'microsoft'),
    })
  }
  const meetingTypeId = (
    await post(
      '/v1/meeting-types',
      meetingTypeBody(clientId, {
        durationMinutes: 15,
        slotIntervalMinutes: 15,
        minimumNoticeMinutes: 0,
        hosts: options.microsoft ? 'both' : 'client',
      }),
      'meeting type',
    )
  ).body.id as string
  const contactId = (await post(`/v1/clients/${clientId}/contacts`, contactBody(), 'contact')).body
    .id as string
  let webhook: Scenario['webhook'] = null
  if (options.webhookUrl) {
    const endpoint = await post(
      '/v1/webhook-endpoints',
      { url: options.webhookUrl, events: ['booking.created', 'booking.rescheduled', 'booking.cancelled'] },
      'webhook endpoint',
    )
    webhook = { id: endpoint.body.id, secret: endpoint.body.secret }
  }
  return {
    apiKey: token,
    accountId: created.body.account.id,
    clientId,
    assistantId,
    meetingTypeId,
    contactId,
    connections,
    webhook,
  }
}

/** The OAuth dance like a browser: the consent page (auto-consent) redirects to our callback on `api`. */
async function connect(api: string, token: string, ownerPath: string, provider: string): Promise<string> {
  const start = await must(
    call(api, 'POST', `${ownerPath}/connections`, { token, body: { provider } }),
    201,
    provider,
  )
  const consent = await fetch(start.body.authorizationUrl, { redirect: 'manual' })
  const location = consent.headers.get('location')
  if (consent.status !== 302 || !location)
    throw new Error(`${provider} consent did not redirect: ${consent.status}`)
  const back = new URL(location)
  const callback = await fetch(`${api}${back.pathname}${back.search}`)
  if (callback.status !== 200)
    throw new Error(`${provider} callback: ${callback.status} ${await callback.text()}`)
  const list = await must(call(api, 'GET', `${ownerPath}/connections`, { token }), 200, 'connections')
  return list.body.data.at(-1).id as string
}

/** Bookable starts of the scenario's meeting type over the next `days` days (the availability API's answer). */
export async function freeSlots(api: string, scenario: Scenario, days = 58): Promise<string[]> {
  const from = new Date(Date.now() + 5 * 60_000).toISOString()
  const to = new Date(Date.now() + days * 86_400_000).toISOString()
  const res = await must(
    call(api, 'GET', `/v1/availability?meetingTypeId=${scenario.meetingTypeId}&from=${from}&to=${to}`, {
      token: scenario.apiKey,
      timeoutMs: 30_000,
    }),
    200,
    'availability',
  )
  return (res.body.slots as { start: string }[]).map((s) => s.start)
}

// ---------------------------------------------------------------------------------------------------------------
// The booking stream: several senders, each booking distinct slots with an Idempotency-Key, retrying a request
// whose answer it never got (the connection reset or was refused, or a 5xx) with the same key, as a careful app
// would. Every request ends as one outcome.

export interface BookingOutcome {
  start: string
  idempotencyKey: string
  /** The final status (201 once acknowledged), or null when the sender gave up without an answer. */
  status: number | null
  bookingId: string | null
  /** Attempts that got no answer at all (refused, reset) and attempts that got a 5xx. */
  networkErrors: number
  serverErrors: number
  /** Why attempts got no answer: ECONNRESET (in flight when the process died), ECONNREFUSED (it was down), … */
  errorCodes: string[]
  /** The 201 came from the idempotency record (the first attempt had committed but its answer was lost). */
  replayed: boolean
  attempts: number
}

export interface StreamOptions {
  /** The API origins to spread requests over (read on every attempt, so a test can swap them). */
  targets: () => string[]
  scenario: Scenario
  slots: string[]
  senders: number
  durationMs: number
  /** Retry a request without an answer for this long (default 20 s), waiting `retryEveryMs` between attempts. */
  retryForMs?: number
  retryEveryMs?: number
}

export async function bookingStream(options: StreamOptions): Promise<BookingOutcome[]> {
  const outcomes: BookingOutcome[] = []
  const slots = [...options.slots]
  const endAt = Date.now() + options.durationMs
  let turn = 0
  const sender = async () => {
    while (Date.now() < endAt) {
      const start = slots.shift()
      if (!start) return
      const outcome: BookingOutcome = {
        start,
        idempotencyKey: randomUUID(),
        status: null,
        bookingId: null,
        networkErrors: 0,
        serverErrors: 0,
        errorCodes: [],
        replayed: false,
        attempts: 0,
      }
      outcomes.push(outcome)
      const giveUpAt = Date.now() + (options.retryForMs ?? 20_000)
      while (Date.now() < giveUpAt) {
        const targets = options.targets()
        const target = targets[turn++ % targets.length]!
        outcome.attempts++
        try {
          const res = await call(target, 'POST', '/v1/bookings', {
            token: options.scenario.apiKey,
            idempotencyKey: outcome.idempotencyKey,
            body: {
              meetingTypeId: options.scenario.meetingTypeId,
              start,
              contactId: options.scenario.contactId,
            },
          })
          if (res.status >= 500) {
            outcome.serverErrors++
          } else {
            outcome.status = res.status
            if (res.status === 201) {
              outcome.bookingId = res.body.id
              outcome.replayed = res.headers.get('idempotent-replayed') === 'true'
            }
            break
          }
        } catch (err) {
          outcome.networkErrors++
          outcome.errorCodes.push(networkErrorCode(err))
        }
        await sleep(options.retryEveryMs ?? 100)
      }
    }
  }
  await Promise.all(Array.from({ length: options.senders }, sender))
  return outcomes
}

/** ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET (the other side closed), TimeoutError… of a failed fetch. */
export function networkErrorCode(err: unknown): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } }
  return e.cause?.code ?? e.code ?? e.cause?.name ?? e.name ?? 'unknown'
}

export function summarizeStream(outcomes: BookingOutcome[]) {
  const acknowledged = outcomes.filter((o) => o.status === 201)
  const codes: Record<string, number> = {}
  for (const code of outcomes.flatMap((o) => o.errorCodes)) codes[code] = (codes[code] ?? 0) + 1
  return {
    errorCodes: codes,
    requests: outcomes.length,
    acknowledged: acknowledged.length,
    replayed: acknowledged.filter((o) => o.replayed).length,
    otherAnswers: outcomes.filter((o) => o.status !== null && o.status !== 201).map((o) => o.status),
    unanswered: outcomes.filter((o) => o.status === null).length,
    networkErrors: outcomes.reduce((n, o) => n + o.networkErrors, 0),
    serverErrors: outcomes.reduce((n, o) => n + o.serverErrors, 0),
  }
}

// ---------------------------------------------------------------------------------------------------------------
// An app receiving webhooks: records every request (also those whose answer the sender never read), answers
// after an optional delay with the status the test chooses, and checks each signature.

export interface Delivery {
  id: string
  timestamp: string
  body: string
  headers: IncomingHttpHeaders
  status: number
  at: number
}

export interface RecordingReceiver {
  url: string
  deliveries: Delivery[]
  /** Delay and status of the answer to the n-th request (1-based). */
  behaviour: (n: number) => { delayMs?: number; status?: number }
  close(): Promise<void>
}

export async function startRecordingReceiver(
  behaviour: RecordingReceiver['behaviour'] = () => ({}),
): Promise<RecordingReceiver> {
  let n = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const { delayMs = 0, status = 200 } = receiver.behaviour(++n)
      receiver.deliveries.push({
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
        status,
        at: Date.now(),
      })
      setTimeout(() => {
        res.statusCode = status
        res.end()
      }, delayMs)
    })
  })
  server.keepAliveTimeout = 100
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const receiver: RecordingReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    deliveries: [],
    behaviour,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return receiver
}

/** Deliveries whose Standard Webhooks signature does not verify with `secret` (the `standardwebhooks` library). */
export function badSignatures(deliveries: Delivery[], secret: string): Delivery[] {
  const wh = new Webhook(secret)
  return deliveries.filter((d) => {
    try {
      wh.verify(d.body, {
        'webhook-id': String(d.headers['webhook-id']),
        'webhook-timestamp': String(d.headers['webhook-timestamp']),
        'webhook-signature': String(d.headers['webhook-signature']),
      })
      return false
    } catch {
      return true
    }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// What the emulated calendars hold.

export interface CalendarEvent {
  id: string
  start: string
}

/** Live events officehours wrote ("… with …") in the client's Google calendar. */
export function googleEvents(em: Emulators): CalendarEvent[] {
  return em.google.owner
    .listEvents(GOOGLE_USER)
    .filter((e) => e.status !== 'cancelled' && String(e.summary ?? '').includes(' with '))
    .map((e) => ({
      id: String(e.id),
      start: new Date(String((e.start as { dateTime: string }).dateTime)).toISOString(),
    }))
}

/** Live events officehours wrote in the assistant's Outlook calendar, over the next 70 days. */
export function microsoftEvents(em: Emulators): CalendarEvent[] {
  return em.microsoft
    .listInstances({
      from: new Date().toISOString(),
      to: new Date(Date.now() + 70 * 86_400_000).toISOString(),
    })
    .filter((e) => !e.isCancelled && String(e.subject ?? '').includes(' with '))
    .map((e) => ({
      id: String(e.id),
      start: new Date(
        `${String((e.start as { dateTime: string }).dateTime).replace(/Z?$/, 'Z')}`,
      ).toISOString(),
    }))
}

/** Ids that occur more than once, with their counts. */
export function duplicates(ids: string[]): Record<string, number> {
  const counts = new Map<string, number>()
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
  return Object.fromEntries([...counts].filter(([, n]) => n > 1))
}

// ---------------------------------------------------------------------------------------------------------------
// What the database holds.

export interface BookingAudit {
  /** Bookings of the account in the database. */
  inDatabase: number
  /** Acknowledged (201) bookings that are not in the database, or not confirmed: must be none. */
  lost: string[]
  /** Bookings in the database that no request saw acknowledged (possible only for requests never answered). */
  unacknowledged: string[]
  /** Acknowledged bookings without exactly one booking.created outbox event. */
  withoutOutboxEvent: string[]
  /** Outbox events of the account not yet handed on by a worker. */
  undispatched: number
  /** Pairs of confirmed bookings of one client, or of one attending assistant, that overlap: must be none. */
  overlaps: number
  /** Sync states by state (pending, synced, failed). */
  syncStates: Record<string, number>
}

export async function auditBookings(
  db: Kysely<DB>,
  accountId: string,
  acknowledged: string[],
): Promise<BookingAudit> {
  const rows = await db
    .selectFrom('bookings')
    .select(['id', 'status'])
    .where('account_id', '=', accountId)
    .execute()
  const confirmed = new Set(rows.filter((r) => r.status === 'confirmed').map((r) => r.id))
  const acked = new Set(acknowledged)
  const created = await db
    .selectFrom('outbox_events')
    .select(['booking_id'])
    .where('account_id', '=', accountId)
    .where('type', '=', 'booking.created')
    .execute()
  const createdCount = new Map<string, number>()
  for (const r of created)
    createdCount.set(String(r.booking_id), (createdCount.get(String(r.booking_id)) ?? 0) + 1)
  const undispatched = await db
    .selectFrom('outbox_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('dispatched_at', 'is', null)
    .executeTakeFirstOrThrow()
  const overlaps = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM bookings a JOIN bookings b
      ON a.id < b.id AND a.status = 'confirmed' AND b.status = 'confirmed'
     AND (a.client_id = b.client_id OR (a.needs_assistant AND b.needs_assistant AND a.assistant_id = b.assistant_id))
     AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
    WHERE a.account_id = ${accountId} AND b.account_id = ${accountId}`.execute(db)
  const states = await db
    .selectFrom('booking_sync_states')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('account_id', '=', accountId)
    .groupBy('state')
    .execute()
  return {
    inDatabase: rows.length,
    lost: acknowledged.filter((id) => !confirmed.has(id)),
    unacknowledged: rows.map((r) => r.id).filter((id) => !acked.has(id)),
    withoutOutboxEvent: acknowledged.filter((id) => createdCount.get(id) !== 1),
    undispatched: Number(undispatched.n),
    overlaps: overlaps.rows[0]?.n ?? 0,
    syncStates: Object.fromEntries(states.map((s) => [s.state, Number(s.n)])),
  }
}

/** The booking.created outbox ids of bookings (the `webhook-id` apps see), and the provider event ids written. */
export async function outboxIds(db: Kysely<DB>, accountId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('outbox_events')
    .select(['id', 'booking_id'])
    .where('account_id', '=', accountId)
    .where('type', '=', 'booking.created')
    .execute()
  return new Map(rows.map((r) => [r.id, String(r.booking_id)]))
}

export async function providerEventIds(db: Kysely<DB>, connectionId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('booking_sync_states')
    .select('provider_event_id')
    .where('connection_id', '=', connectionId)
    .execute()
  return rows.map((r) => String(r.provider_event_id))
}

// ---------------------------------------------------------------------------------------------------------------
// A private PostgreSQL 15 cluster the test may stop and start at will (never the machine's shared one on 5432).

export interface PrivatePostgres {
  url: string
  port: number
  dir: string
  /** `pg_ctl stop`: `immediate` is a crash (no checkpoint, every session cut; recovery replays the WAL). */
  stop(mode?: 'fast' | 'immediate'): void
  start(): void
  running(): boolean
  /** Stops the cluster if it runs and deletes its directory. */
  destroy(): void
}

const PG_BIN = process.env.RELIABILITY_PG_BIN ?? '/usr/lib/postgresql/15/bin'

/**
 * initdb + pg_ctl start of a throwaway cluster on a free port, as the `postgres` user (the tests run as root, and
 * PostgreSQL refuses to run as root). Deleted by destroy(), and on exit of the test process if it was not.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const { execFileSync } = await import('node:child_process')
  const { chownSync, mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const asPostgres = (bin: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args], { stdio: 'pipe' })
  const dir = mkdtempSync(join(tmpdir(), 'oh-pg-'))
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
  chownSync(dir, uid, gid)
  const data = join(dir, 'data')
  const port = await freePort()
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-instructions'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`
  let running = false
  const pg: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    start() {
      asPostgres('pg_ctl', [
        '-D',
        data,
        '-o',
        options,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '60',
        'start',
      ])
      running = true
    },
    stop(mode = 'fast') {
      asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop'])
      running = false
    },
    running: () => running,
    destroy() {
      try {
        if (running) pg.stop('immediate')
      } catch {}
      rmSync(dir, { recursive: true, force: true })
      process.off('exit', pg.destroy)
    },
  }
  process.on('exit', pg.destroy)
  pg.start()
  return pg
}

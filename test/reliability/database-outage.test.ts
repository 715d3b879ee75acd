// Database outage: a ROLE=all process on a private PostgreSQL 15 cluster, under a stream of bookings and
// availability reads, while the cluster crashes (pg_ctl stop -m immediate), stays down a few seconds and starts
// again (crash recovery). /readyz says 503 while it is down and 200 after; the same process, never restarted,
// serves again and its worker writes calendars and delivers webhooks again; no acknowledged booking is lost.
// A booking request that got no answer or a 5xx is retried with its Idempotency-Key, as a careful app would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDatabase, type Database } from '../../src/db/connect.js'
import {
  auditBookings,
  bookingStream,
  call,
  type Emulators,
  envNumber,
  errorLines,
  type Fleet,
  fleetEnv,
  freePort,
  freeSlots,
  googleEvents,
  outboxIds,
  type PrivatePostgres,
  type RecordingReceiver,
  report,
  type Service,
  settle,
  setUpAccount,
  sleep,
  startEmulators,
  startPrivatePostgres,
  startRecordingReceiver,
  startService,
  summarizeStream,
} from './harness.js'

const STREAM_MS = envNumber('RELIABILITY_OUTAGE_STREAM_MS', 20_000)
const SENDERS = envNumber('RELIABILITY_OUTAGE_SENDERS', 4)
const DOWN_AT_MS = envNumber('RELIABILITY_OUTAGE_DOWN_AT_MS', 5_000)
const DOWN_FOR_MS = envNumber('RELIABILITY_OUTAGE_DOWN_FOR_MS', 5_000)
const SETTLE_MS = envNumber('RELIABILITY_OUTAGE_SETTLE_MS', 45_000)

let pg: PrivatePostgres
let em: Emulators
let receiver: RecordingReceiver
let fleet: Fleet
let server: Service
let database: Database

beforeAll(async () => {
  pg = await startPrivatePostgres()
  em = await startEmulators()
  receiver = await startRecordingReceiver()
  const port = await freePort()
  fleet = fleetEnv({
    databaseUrl: pg.url,
    emulators: em,
    publicBaseUrl: `http://127.0.0.1:${port}`,
    extra: {
      WORKER_JOB_TIMEOUT_SECONDS: '5',
      WORKER_RETRY_BASE_SECONDS: '1',
      WEBHOOK_RETRY_DELAYS_SECONDS: '1,1,2,2,3,3',
    },
  })
  server = await startService('all', fleet.env(), { port })
  database = await connectDatabase({ databaseUrl: pg.url, dataDir: '', maxConnections: 2 })
})

afterAll(async () => {
  await server?.stop()
  await database?.close().catch(() => {})
  await receiver?.close()
  await em?.close()
  pg?.destroy()
})

interface Probe {
  at: number
  status: number | null
}

/** Calls `path` every `everyMs` until `stopAt`, recording each status (null: no answer). */
async function poll(
  base: string,
  path: string,
  token: string | undefined,
  everyMs: number,
  stopAt: () => boolean,
) {
  const probes: Probe[] = []
  while (!stopAt()) {
    const at = Date.now()
    try {
      probes.push({ at, status: (await call(base, 'GET', path, { token, timeoutMs: 5000 })).status })
    } catch {
      probes.push({ at, status: null })
    }
    await sleep(everyMs)
  }
  return probes
}

const counts = (probes: Probe[]) => {
  const c: Record<string, number> = {}
  for (const p of probes) c[String(p.status)] = (c[String(p.status)] ?? 0) + 1
  return c
}

describe('PostgreSQL crashing and coming back under load', () => {
  it('/readyz reports it, the same process recovers, and no acknowledged booking is lost', async () => {
    const pid = server.child().process.pid
    const scenario = await setUpAccount(server.url, fleet.adminToken, {
      google: true,
      webhookUrl: receiver.url,
    })
    const slots = await freeSlots(server.url, scenario)
    const from = new Date(Date.now() + 86_400_000).toISOString()
    const to = new Date(Date.now() + 8 * 86_400_000).toISOString()

    const started = Date.now()
    let done = false
    const stream = bookingStream({
      targets: () => [server.url],
      scenario,
      slots,
      senders: SENDERS,
      durationMs: STREAM_MS,
      retryForMs: 40_000,
      retryEveryMs: 250,
    })
    const readiness = poll(server.url, '/readyz', undefined, 250, () => done)
    const reads = poll(
      server.url,
      `/v1/availability?meetingTypeId=${scenario.meetingTypeId}&from=${from}&to=${to}`,
      scenario.apiKey,
      100,
      () => done,
    )

    await sleep(DOWN_AT_MS)
    const downAt = Date.now()
    pg.stop('immediate')
    await sleep(DOWN_FOR_MS)
    pg.start()
    const upAt = Date.now()
    const outcomes = await stream
    // Keep probing a little after the stream so the recovery shows in both timelines.
    await sleep(1500)
    done = true
    const [ready, availability] = await Promise.all([readiness, reads])
    const summary = summarizeStream(outcomes)
    const acknowledged = outcomes.filter((o) => o.status === 201).map((o) => o.bookingId!)

    // While down: every readiness probe that started after the crash and before the restart (with a second of
    // slack on each side for probes in flight) said 503.
    const whileDown = ready.filter((p) => p.at > downAt + 1000 && p.at < upAt - 1000)
    const firstReadyAfter = ready.find((p) => p.at > upAt && p.status === 200)
    const lastReady = ready.at(-1)
    const readsBefore = availability.filter((p) => p.at < downAt)
    const readsDown = availability.filter((p) => p.at >= downAt && p.at < upAt)
    const readsAfter = availability.filter((p) => p.at >= upAt)
    const firstReadAfter = readsAfter.find((p) => p.status === 200)

    const settleStarted = Date.now()
    const settled = await settle(async () => {
      const audit = await auditBookings(database.db, scenario.accountId, acknowledged)
      const ids = await outboxIds(database.db, scenario.accountId)
      const delivered = new Set(receiver.deliveries.filter((d) => d.status < 300).map((d) => d.id))
      return (
        audit.undispatched === 0 &&
        audit.syncStates.synced === audit.inDatabase &&
        [...ids.keys()].every((id) => delivered.has(id))
      )
    }, SETTLE_MS)
    const settleMs = Date.now() - settleStarted
    const audit = await auditBookings(database.db, scenario.accountId, acknowledged)
    const events = googleEvents(em)
    const errors = errorLines(server)

    report('database outage: PostgreSQL crashed (stop -m immediate) and started again under load', {
      load: `${SENDERS} booking senders for ${STREAM_MS} ms (retrying unanswered requests with their Idempotency-Key) + availability reads every 100 ms + /readyz every 250 ms, one ROLE=all process`,
      outage: `PostgreSQL down at ${downAt - started} ms for ${upAt - downAt} ms (pg_ctl stop -m immediate, then start with crash recovery)`,
      '/readyz': `before ${JSON.stringify(counts(ready.filter((p) => p.at < downAt)))}, while down ${JSON.stringify(counts(whileDown))}, after ${JSON.stringify(counts(ready.filter((p) => p.at >= upAt)))}; 200 again ${firstReadyAfter ? `${firstReadyAfter.at - upAt} ms` : 'never'} after the restart`,
      'availability reads': `before ${JSON.stringify(counts(readsBefore))}, down ${JSON.stringify(counts(readsDown))}, after ${JSON.stringify(counts(readsAfter))}; first 200 ${firstReadAfter ? `${firstReadAfter.at - upAt} ms` : 'never'} after the restart`,
      'booking requests': `${summary.requests}: ${summary.acknowledged} acknowledged (${summary.replayed} by replay of a first attempt that had committed), ${summary.serverErrors} attempts answered 5xx and ${summary.networkErrors} unanswered along the way (${JSON.stringify(summary.errorCodes)}), ${summary.unanswered} given up, other answers ${JSON.stringify(summary.otherAnswers)}`,
      'bookings in database': `${audit.inDatabase} (lost: ${audit.lost.length}, unacknowledged: ${audit.unacknowledged.length}, overlapping pairs: ${audit.overlaps})`,
      'after recovery': `outbox undispatched ${audit.undispatched}, sync states ${JSON.stringify(audit.syncStates)}, Google events ${events.length}, webhook deliveries ${receiver.deliveries.length} of ${new Set(receiver.deliveries.map((d) => d.id)).size} ids; settled ${settled ? `in ${settleMs} ms` : `NOT within ${SETTLE_MS} ms`}`,
      process: `pid ${pid} ${server.alive() && server.child().process.pid === pid && server.starts === 1 ? 'still the same, never restarted' : 'DIED or was restarted'}; ${errors.length} error lines logged`,
    })

    if (!server.alive())
      console.log(`the process died; its last output:\n${server.child().output().slice(-3000)}`)
    // The same process, never restarted, answered throughout.
    expect(server.alive()).toBe(true)
    expect(server.starts).toBe(1)
    expect(server.child().process.pid).toBe(pid)
    // /readyz: 200 before, 503 while down, 200 again after.
    expect(ready.filter((p) => p.at < downAt - 500).every((p) => p.status === 200)).toBe(true)
    expect(whileDown.length).toBeGreaterThan(0)
    expect(whileDown.every((p) => p.status === 503)).toBe(true)
    expect(firstReadyAfter).toBeDefined()
    expect(lastReady?.status).toBe(200)
    // Requests while it is down are told to come back (503 with Retry-After), not that we failed (500).
    const readsWhileDown = availability.filter((p) => p.at > downAt + 1000 && p.at < upAt - 1000)
    expect(readsWhileDown.length).toBeGreaterThan(0)
    expect(readsWhileDown.every((p) => p.status === 503)).toBe(true)
    // Reads and writes work again after the outage.
    expect(firstReadAfter).toBeDefined()
    expect(readsAfter.slice(-5).every((p) => p.status === 200)).toBe(true)
    expect(acknowledged.length).toBeGreaterThan(10)
    // No acknowledged booking lost, none made twice, none overlapping.
    expect(summary.unanswered).toBe(0)
    expect(summary.otherAnswers).toEqual([])
    expect(audit.lost).toEqual([])
    expect(audit.unacknowledged).toEqual([])
    expect(audit.overlaps).toBe(0)
    expect(audit.withoutOutboxEvent).toEqual([])
    // The worker in the same process took up its work again: every booking written once, every event delivered.
    expect(settled).toBe(true)
    expect(events).toHaveLength(acknowledged.length)
    expect(new Set(events.map((e) => e.start)).size).toBe(acknowledged.length)
  })
})

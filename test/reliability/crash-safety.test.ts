// Crash safety: a stream of bookings from several senders against two ROLE=api processes and a ROLE=worker; one API
// process is killed with SIGKILL mid-stream and started again. Every booking that was answered 201 is in the
// database, its outbox event was dispatched and delivered to the app, its event exists exactly once in the Google
// and the Outlook calendar, and no two bookings overlap. A request whose answer was lost is retried with its
// Idempotency-Key on the other instance, as a careful app would: it gets the first answer back, never a double.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  auditBookings,
  badSignatures,
  bookingStream,
  createTestDatabase,
  duplicates,
  type Emulators,
  envNumber,
  type Fleet,
  fleetEnv,
  freePort,
  freeSlots,
  googleEvents,
  microsoftEvents,
  outboxIds,
  providerEventIds,
  type RecordingReceiver,
  report,
  type Service,
  settle,
  setUpAccount,
  sleep,
  startApi,
  startEmulators,
  startRecordingReceiver,
  startWorker,
  summarizeStream,
  type TestDatabase,
} from './harness.js'

const STREAM_MS = envNumber('RELIABILITY_CRASH_STREAM_MS', 12_000)
const SENDERS = envNumber('RELIABILITY_CRASH_SENDERS', 6)
const KILL_AT_MS = envNumber('RELIABILITY_CRASH_KILL_AT_MS', Math.round(STREAM_MS / 3))
const SETTLE_MS = envNumber('RELIABILITY_CRASH_SETTLE_MS', 60_000)

let em: Emulators
let database: TestDatabase
let receiver: RecordingReceiver
let fleet: Fleet
const services: Service[] = []

beforeAll(async () => {
  em = await startEmulators()
  database = await createTestDatabase()
  receiver = await startRecordingReceiver()
  const port = await freePort()
  fleet = fleetEnv({ databaseUrl: database.url!, emulators: em, publicBaseUrl: `http://127.0.0.1:${port}` })
  services.push(
    ...(await Promise.all([startApi(fleet.env(), port), startApi(fleet.env()), startWorker(fleet.env())])),
  )
})

afterAll(async () => {
  await Promise.allSettled(services.map((s) => s.stop()))
  await receiver?.close()
  await em?.close()
  await database?.drop()
})

describe('an API instance killed with SIGKILL in the middle of a booking stream', () => {
  it('loses no acknowledged booking, its outbox event, its webhook or its calendar events', async () => {
    const [api1, api2, worker] = services as [Service, Service, Service]
    const scenario = await setUpAccount(api1.url, fleet.adminToken, {
      google: true,
      microsoft: true,
      webhookUrl: receiver.url,
    })
    const slots = await freeSlots(api1.url, scenario)
    expect(slots.length).toBeGreaterThan(200)

    const started = Date.now()
    const stream = bookingStream({
      targets: () => [api1.url, api2.url],
      scenario,
      slots,
      senders: SENDERS,
      durationMs: STREAM_MS,
    })
    await sleep(KILL_AT_MS)
    await api2.kill()
    const killedAt = Date.now() - started
    await api2.restart()
    const backAt = Date.now() - started
    const outcomes = await stream
    const streamMs = Date.now() - started
    const summary = summarizeStream(outcomes)
    const acknowledged = outcomes.filter((o) => o.status === 201).map((o) => o.bookingId!)

    // The worker catches up: every booking written to both calendars, every event handed on and delivered.
    const google = scenario.connections.find((c) => c.provider === 'google')!
    const microsoft = scenario.connections.find((c) => c.provider === 'microsoft')!
    const settleStarted = Date.now()
    const settled = await settle(async () => {
      const audit = await auditBookings(database.db, scenario.accountId, acknowledged)
      const delivered = new Set(receiver.deliveries.filter((d) => d.status === 200).map((d) => d.id))
      const ids = await outboxIds(database.db, scenario.accountId)
      return (
        audit.undispatched === 0 &&
        (audit.syncStates.synced ?? 0) === 2 * audit.inDatabase &&
        [...ids.keys()].every((id) => delivered.has(id))
      )
    }, SETTLE_MS)
    const settleMs = Date.now() - settleStarted

    const audit = await auditBookings(database.db, scenario.accountId, acknowledged)
    const ids = await outboxIds(database.db, scenario.accountId)
    const gEvents = googleEvents(em)
    const mEvents = microsoftEvents(em)
    const gRecorded = await providerEventIds(database.db, google.id)
    const mRecorded = await providerEventIds(database.db, microsoft.id)
    const deliveredIds = new Set(receiver.deliveries.map((d) => d.id))
    const bad = badSignatures(receiver.deliveries, scenario.webhook!.secret)
    const inFlightAtKill = outcomes.filter((o) => o.networkErrors > 0).length

    report('crash safety: SIGKILL of one of two API instances mid-stream', {
      stream: `${SENDERS} senders for ${STREAM_MS} ms over 2 API instances + 1 worker (took ${streamMs} ms)`,
      kill: `api #2 SIGKILLed at ${killedAt} ms, answering again at ${backAt} ms (${api2.starts} starts)`,
      requests: summary.requests,
      '201 acknowledged': summary.acknowledged,
      'answers lost to the kill': `${inFlightAtKill} requests saw a reset/refused connection (${summary.networkErrors} attempts: ${JSON.stringify(summary.errorCodes)}); retried with the same Idempotency-Key: ${summary.replayed} replayed the first 201, the rest were made on retry`,
      'other answers': summary.otherAnswers,
      'never answered': summary.unanswered,
      'bookings in database': `${audit.inDatabase} (lost: ${audit.lost.length}, unacknowledged: ${audit.unacknowledged.length}, overlapping pairs: ${audit.overlaps})`,
      outbox: `${ids.size} booking.created events, undispatched ${audit.undispatched}, bookings without exactly one: ${audit.withoutOutboxEvent.length}`,
      'calendar events': `Google ${gEvents.length} (duplicate starts ${Object.keys(duplicates(gEvents.map((e) => e.start))).length}), Outlook ${mEvents.length} (duplicate starts ${Object.keys(duplicates(mEvents.map((e) => e.start))).length}); sync states ${JSON.stringify(audit.syncStates)}`,
      webhooks: `${receiver.deliveries.length} deliveries of ${deliveredIds.size} distinct webhook-ids, ${bad.length} bad signatures`,
      'settled in': settled ? `${settleMs} ms` : `NOT within ${SETTLE_MS} ms`,
      'worker errors logged': worker
        .child()
        .output()
        .split('\n')
        .filter((l) => /"level":(50|60)/.test(l)).length,
    })

    // The kill landed mid-stream and cost some answers; none of the acknowledged bookings was lost.
    expect(inFlightAtKill).toBeGreaterThan(0)
    expect(summary.acknowledged).toBeGreaterThan(20)
    expect(summary.unanswered).toBe(0)
    expect(summary.otherAnswers).toEqual([])
    expect(audit.lost).toEqual([])
    expect(new Set(acknowledged).size).toBe(acknowledged.length)
    expect(audit.unacknowledged).toEqual([])
    expect(audit.inDatabase).toBe(acknowledged.length)
    expect(audit.overlaps).toBe(0)
    // Each booking's outbox event was handed on and reached the app, signed.
    expect(audit.withoutOutboxEvent).toEqual([])
    expect(audit.undispatched).toBe(0)
    expect(new Set(ids.values())).toEqual(new Set(acknowledged))
    for (const id of ids.keys()) expect(deliveredIds.has(id)).toBe(true)
    expect(bad).toEqual([])
    // Each booking's event exists exactly once in each calendar, and it is the one recorded.
    expect(gEvents).toHaveLength(acknowledged.length)
    expect(mEvents).toHaveLength(acknowledged.length)
    expect(duplicates(gEvents.map((e) => e.start))).toEqual({})
    expect(duplicates(mEvents.map((e) => e.start))).toEqual({})
    expect(new Set(gRecorded)).toEqual(new Set(gEvents.map((e) => e.id)))
    expect(new Set(mRecorded)).toEqual(new Set(mEvents.map((e) => e.id)))
    expect(audit.syncStates).toEqual({ synced: 2 * acknowledged.length })
  })
})

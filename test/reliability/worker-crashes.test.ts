// Worker crashes: two ROLE=worker processes, each killed with SIGKILL one to two seconds after it came up and
// started again, over and over, while they write bookings (created, moved, cancelled) to a slow Google and Outlook
// and deliver app webhooks to a receiver that is sometimes slow and sometimes failing. Once the kills stop and the
// shortened retry schedules (WORKER_RETRY_BASE_SECONDS, WEBHOOK_RETRY_DELAYS_SECONDS) play out: every calendar
// holds each live booking's event exactly once at its current time, every outbox event reached the app at least
// once, and every redelivery carried the same webhook-id, the same body and a valid Standard Webhooks signature.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  badSignatures,
  call,
  createTestDatabase,
  type Delivery,
  duplicates,
  type Emulators,
  envNumber,
  type Fleet,
  fleetEnv,
  freePort,
  freeSlots,
  googleEvents,
  microsoftEvents,
  providerEventIds,
  type RecordingReceiver,
  report,
  type Scenario,
  type Service,
  settle,
  setUpAccount,
  sleep,
  startApi,
  startEmulators,
  startRecordingReceiver,
  startWorker,
  type TestDatabase,
} from './harness.js'

const BOOKINGS = envNumber('RELIABILITY_WORKER_BOOKINGS', 40)
const KILL_PHASE_MS = envNumber('RELIABILITY_WORKER_KILL_MS', 25_000)
const MIN_KILLS = envNumber('RELIABILITY_WORKER_MIN_KILLS', 4)
const SETTLE_MS = envNumber('RELIABILITY_WORKER_SETTLE_MS', 60_000)
const WRITE_ANSWER_DELAY_MS = envNumber('RELIABILITY_WORKER_WRITE_DELAY_MS', 700)

let em: Emulators
let database: TestDatabase
let receiver: RecordingReceiver
let fleet: Fleet
let api: Service
const workers: Service[] = []

beforeAll(async () => {
  em = await startEmulators()
  database = await createTestDatabase()
  // Every 4th request answered after 1.5 s (a kill lands while the app already has it), every 7th with a 500.
  receiver = await startRecordingReceiver((n) => ({
    ...(n % 4 === 0 ? { delayMs: 1500 } : {}),
    ...(n % 7 === 0 ? { status: 500 } : {}),
  }))
  const port = await freePort()
  fleet = fleetEnv({
    databaseUrl: database.url!,
    emulators: em,
    publicBaseUrl: `http://127.0.0.1:${port}`,
    extra: {
      WORKER_JOB_TIMEOUT_SECONDS: '3',
      WORKER_RETRY_BASE_SECONDS: '1',
      WEBHOOK_RETRY_DELAYS_SECONDS: '1,1,2,2,3,3,4,4,5,5,5,5',
    },
  })
  const [a, w1, w2] = await Promise.all([
    startApi(fleet.env(), port),
    startWorker(fleet.env()),
    startWorker(fleet.env()),
  ])
  api = a
  workers.push(w1, w2)
})

afterAll(async () => {
  await Promise.allSettled([api, ...workers].filter(Boolean).map((s) => s.stop()))
  await receiver?.close()
  await em?.close()
  await database?.drop()
})

/**
 * Rolling kills: one worker at a time is SIGKILLed one to two seconds after it came up (so mid-write: the other
 * keeps the queue busy) and started again, then the other, until `stop()` says so. Returns kills per worker.
 */
async function killRepeatedly(stop: () => boolean): Promise<number[]> {
  const kills = workers.map(() => 0)
  for (let turn = 0; !stop(); turn = (turn + 1) % workers.length) {
    const worker = workers[turn]!
    await sleep(1000 + Math.random() * 1000)
    await worker.kill()
    kills[turn]!++
    await worker.restart()
  }
  return kills
}

describe('workers killed with SIGKILL again and again while writing calendars and delivering webhooks', () => {
  it('lose no event, duplicate none, and redeliver each webhook under the same id and signature', async () => {
    const scenario: Scenario = await setUpAccount(api.url, fleet.adminToken, {
      google: true,
      microsoft: true,
      webhookUrl: receiver.url,
    })
    const slots = await freeSlots(api.url, scenario)
    const post = (path: string, body: unknown) =>
      call(api.url, 'POST', path, { token: scenario.apiKey, body })
    // Slow writes: the provider does the work, then answers 0.7 s later, when the worker may be gone.
    for (const route of ['events.insert', 'events.patch', 'events.update', 'events.delete'])
      em.google.addFault({ route, answerDelayMs: WRITE_ANSWER_DELAY_MS })
    for (const route of ['events.create', 'events.update', 'events.delete'])
      em.microsoft.faults.add({ route, answerDelayMs: WRITE_ANSWER_DELAY_MS })

    const started = Date.now()
    let creating = true
    const totalKills = () => workers.reduce((n, w) => n + w.starts - 1, 0)
    const killing = killRepeatedly(
      () => !creating && Date.now() - started > KILL_PHASE_MS && totalKills() >= MIN_KILLS,
    )
    const db = database.db
    const accountId = scenario.accountId

    // Bookings keep coming while the workers die: created first; then a quarter of those already written are
    // moved and an eighth cancelled, so the calendars see updates and deletes under the kills too.
    const bookingIds: string[] = []
    for (let i = 0; i < BOOKINGS; i++) {
      const res = await post('/v1/bookings', {
        meetingTypeId: scenario.meetingTypeId,
        start: slots[i * 2],
        contactId: scenario.contactId,
      })
      expect(res.status).toBe(201)
      bookingIds.push(res.body.id)
      await sleep(200)
    }
    // Once half the bookings are in both calendars, a quarter of all are moved and an eighth cancelled, written
    // or not: a create whose answer a kill took, retried after the move, finds the event made for the old times
    // (Outlook: the retried transactionId is refused, and the event found by its extended property).
    const written = async () => {
      const rows = await db
        .selectFrom('booking_sync_states')
        .select('booking_id')
        .where('account_id', '=', accountId)
        .where('provider_event_id', 'is not', null)
        .execute()
      const count = countBy(rows.map((r) => r.booking_id))
      return Object.keys(count).filter((id) => count[id] === 2).length
    }
    await settle(async () => (await written()) >= BOOKINGS / 2, 30_000)
    let moved = 0
    let cancelled = 0
    for (const [i, id] of bookingIds.entries()) {
      if (i % 4 === 1) {
        expect((await post(`/v1/bookings/${id}/reschedule`, { start: slots[i * 2 + 1] })).status).toBe(200)
        moved++
      } else if (i % 8 === 2) {
        expect((await post(`/v1/bookings/${id}/cancel`, {})).status).toBe(200)
        cancelled++
      } else continue
      await sleep(300)
    }
    creating = false
    const kills = await killing
    const killPhaseMs = Date.now() - started
    em.google.faults.clear()
    em.microsoft.faults.clear()
    const outboxEvents = async () =>
      db
        .selectFrom('outbox_events')
        .select(['id', 'type', 'dispatched_at'])
        .where('account_id', '=', accountId)
        .execute()
    // The endpoint subscribed to these; booking.conflict (from calendar changes coming in) goes to nobody.
    const SUBSCRIBED = new Set(['booking.created', 'booking.rescheduled', 'booking.cancelled'])
    const okIds = () => new Set(receiver.deliveries.filter((d) => d.status < 300).map((d) => d.id))
    const settleStarted = Date.now()
    const settled = await settle(async () => {
      const events = await outboxEvents()
      const states = await db
        .selectFrom('booking_sync_states')
        .select('state')
        .where('account_id', '=', accountId)
        .where('state', '!=', 'synced')
        .execute()
      const delivered = okIds()
      const pending = await db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('account_id', '=', accountId)
        .where('status', '!=', 'delivered')
        .execute()
      return (
        states.length === 0 &&
        pending.length === 0 &&
        events.every((e) => e.dispatched_at && (!SUBSCRIBED.has(e.type) || delivered.has(e.id)))
      )
    }, SETTLE_MS)
    const settleMs = Date.now() - settleStarted

    const bookings = await db
      .selectFrom('bookings')
      .select(['id', 'status', 'starts_at'])
      .where('account_id', '=', accountId)
      .execute()
    const live = bookings.filter((b) => b.status === 'confirmed')
    const liveStarts = live.map((b) => b.starts_at.toISOString()).sort()
    const gEvents = googleEvents(em)
    const mEvents = microsoftEvents(em)
    const google = scenario.connections.find((c) => c.provider === 'google')!
    const microsoft = scenario.connections.find((c) => c.provider === 'microsoft')!
    const syncStates = await db
      .selectFrom('booking_sync_states')
      .select(['state', 'last_error'])
      .where('account_id', '=', accountId)
      .execute()
    const events = await outboxEvents()
    const subscribed = events.filter((e) => SUBSCRIBED.has(e.type))
    const byId = new Map<string, Delivery[]>()
    for (const d of receiver.deliveries) byId.set(d.id, [...(byId.get(d.id) ?? []), d])
    const redelivered = [...byId.values()].filter((ds) => ds.length > 1)
    const bodiesDiffer = redelivered.filter((ds) => new Set(ds.map((d) => d.body)).size > 1)
    const bad = badSignatures(receiver.deliveries, scenario.webhook!.secret)
    const deliveries = await db
      .selectFrom('webhook_deliveries')
      .select(['status', 'attempts'])
      .where('account_id', '=', accountId)
      .execute()
    const refoundInserts = em.google.requests
      .list({ route: 'events.insert' })
      .filter((r) => r.status === 409).length
    const graphCreates = em.microsoft.requestLog.list({ route: 'events.create' })
    // Jobs the queue handed to another worker because theirs died (pg-boss counts the retries of each job).
    const requeued = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM (
        SELECT id FROM pgboss.job WHERE retry_count > 0 UNION ALL SELECT id FROM pgboss.archive WHERE retry_count > 0
      ) retried`
      .execute(db)
      .then((r) => r.rows[0]?.n ?? 0)

    report(
      'worker crashes: two workers SIGKILLed repeatedly while writing calendars and delivering webhooks',
      {
        kills: `${kills[0]} + ${kills[1]} SIGKILLs over ${killPhaseMs} ms (rolling: one worker killed 1–2 s after it came up, restarted, then the other)`,
        bookings: `${BOOKINGS} created, then ${moved} moved and ${cancelled} cancelled once half were written (written or not), all during the kills; ${live.length} live at the end`,
        'calendar writes': `Google ${em.google.requests.list({ route: 'events.insert' }).length} inserts (${refoundInserts} answered 409: an event made before a kill found again), ${em.google.requests.list({ route: 'events.patch' }).length + em.google.requests.list({ route: 'events.update' }).length} updates, ${em.google.requests.list({ route: 'events.delete' }).length} deletes; Outlook ${graphCreates.length} creates (${graphCreates.filter((r) => r.status === 400).length} refused as a reused transactionId: the event of an earlier version found by its extended property)`,
        'jobs retried after a crash': requeued,
        'sync states': JSON.stringify(countBy(syncStates.map((s) => s.state))),
        'writes not synced': JSON.stringify(
          syncStates.filter((s) => s.state !== 'synced').map((s) => `${s.state}: ${s.last_error}`),
        ),
        'calendar events': `Google ${gEvents.length}, Outlook ${mEvents.length} for ${live.length} live bookings (duplicate starts: Google ${Object.keys(duplicates(gEvents.map((e) => e.start))).length}, Outlook ${Object.keys(duplicates(mEvents.map((e) => e.start))).length})`,
        'outbox events': `${events.length} (${JSON.stringify(countBy(events.map((e) => e.type)))}), undispatched ${events.filter((e) => !e.dispatched_at).length}`,
        'booking.conflict': `${events.filter((e) => e.type === 'booking.conflict').length} (no other meeting exists: a booking's own event read back by the inbound sync before its id was recorded is not one)`,
        'webhook deliveries': `${receiver.deliveries.length} requests for ${byId.size} webhook-ids (${receiver.deliveries.filter((d) => d.status >= 300).length} answered 500 on purpose)`,
        'duplicates by id': `${redelivered.length} ids delivered more than once (up to ${Math.max(0, ...redelivered.map((ds) => ds.length))} times); ${bodiesDiffer.length} with differing bodies; ${bad.length} bad signatures`,
        'delivery records': JSON.stringify(countBy(deliveries.map((d) => d.status))),
        'settled in': settled ? `${settleMs} ms` : `NOT within ${SETTLE_MS} ms`,
      },
    )

    expect(kills[0]! + kills[1]!).toBeGreaterThanOrEqual(MIN_KILLS)
    expect(requeued).toBeGreaterThan(0)
    expect(settled).toBe(true)
    // Calendars: each live booking's event once, at its current time; cancelled ones gone; the ids we recorded.
    expect(gEvents.map((e) => e.start).sort()).toEqual(liveStarts)
    expect(mEvents.map((e) => e.start).sort()).toEqual(liveStarts)
    expect(syncStates.every((s) => s.state === 'synced')).toBe(true)
    const gRecorded = new Set(await providerEventIds(db, google.id))
    const mRecorded = new Set(await providerEventIds(db, microsoft.id))
    for (const e of gEvents) expect(gRecorded.has(e.id)).toBe(true)
    for (const e of mEvents) expect(mRecorded.has(e.id)).toBe(true)
    // Webhooks: every outbox event reached the app (a 2xx), redeliveries are the same event, all signed.
    const delivered = okIds()
    expect(subscribed.filter((e) => !delivered.has(e.id)).map((e) => e.type)).toEqual([])
    expect(new Set(byId.keys())).toEqual(new Set(subscribed.map((e) => e.id)))
    expect(bodiesDiffer).toEqual([])
    expect(bad).toEqual([])
    expect(events.filter((e) => e.type === 'booking.conflict')).toEqual([])
    expect(deliveries.every((d) => d.status === 'delivered')).toBe(true)
  })
})

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1
  return counts
}

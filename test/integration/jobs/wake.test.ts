// Waking a worker in another process (src/jobs/wake.ts): an API instance and a worker instance, each on its own
// pool of the same PostgreSQL database, as ROLE=api and ROLE=worker would be. The worker polls its queues and its
// outbox only every 30 s here, so what it does within a few seconds it did because the API's NOTIFY woke it. Its
// listening connection, killed, comes back. Needs PostgreSQL (PGlite runs everything in one process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDatabase, type Database } from '../../../src/db/connect.js'
import { createDeps } from '../../../src/deps.js'
import { LISTENER_APPLICATION_NAME } from '../../../src/jobs/wake.js'
import { startWorker, type Worker, type WorkerOptions } from '../../../src/worker.js'
import type { AccountClient, TestApp } from '../../helpers/app.js'
import { contactBody, meetingTypeBody } from '../../helpers/factories.js'
import { until } from '../../helpers/until.js'
import { type Emulators, type OwnerHands, type People, startListeningSetup } from '../sync/harness.js'

const SLOW_POLL_SECONDS = 30
/** Far below the polling interval, far above a wake-up (tens of milliseconds) on a busy machine. */
const WOKEN_WITHIN_MS = 5_000

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('waking a worker in another process', () => {
  let em: Emulators
  let t: TestApp
  let account: AccountClient
  let people: People
  let owner: OwnerHands
  let workerDatabase: Database
  let worker: Worker | undefined

  const slots = async () => {
    const res = await account.get(
      `/v1/clients/${people.clientId}/busy?from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z`,
    )
    expect(res.status).toBe(200)
    return (res.body.busy as { start: string }[]).map((b) => b.start)
  }
  const startWorkerInstance = (options: Partial<WorkerOptions> = {}) => {
    // Its own pool, deps and pg-boss: nothing in-process connects it to the API instance.
    const deps = createDeps(t.app.deps.config, workerDatabase, t.app.log, {
      clock: t.app.deps.clock,
      providers: t.app.deps.providers,
    })
    return startWorker(deps, { jobTimeoutSeconds: 5, inbound: { channelIntervalMs: 100 }, ...options })
  }
  const listenerPid = async () => {
    const { rows } = await t.database.pool.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
      [LISTENER_APPLICATION_NAME],
    )
    return rows.length === 1 ? rows[0]!.pid : null
  }
  /** The owner adds an event; answers how long until the API shows it busy. */
  const editShows = async (start: string) => {
    const t0 = Date.now()
    owner.createEvent(start, new Date(Date.parse(start) + 3_600_000).toISOString())
    const want = new Date(start).toISOString()
    await until('the event busy', async () => (await slots()).includes(want), WOKEN_WITHIN_MS)
    return Date.now() - t0
  }

  beforeAll(async () => {
    ;({ em, t, account, people, owner } = await startListeningSetup('google'))
    workerDatabase = await connectDatabase({ databaseUrl: t.database.url!, dataDir: '' })
    // The push channel first, with a worker polling as usual (channel upkeep is not what is tested here).
    const setup = await startWorkerInstance()
    await until('push', async () => {
      const list = await account.get(`/v1/clients/${people.clientId}/connections`)
      return list.body.data[0]?.syncMode === 'push'
    })
    await setup.stop()
    worker = await startWorkerInstance({
      queuePollingIntervalSeconds: SLOW_POLL_SECONDS,
      dispatchIntervalMs: SLOW_POLL_SECONDS * 1000,
    })
    await until('the worker listening', listenerPid)
    // Past the first polls of a starting worker: from here on only a wake-up is fast.
    await new Promise((r) => setTimeout(r, 1_000))
  })
  afterAll(async () => {
    await worker?.stop()
    await workerDatabase?.close()
    await t?.close()
    await em?.close()
  })

  it("a provider notification to the API wakes the other process's sync worker", async () => {
    expect(await editShows('2026-06-02T08:00:00Z')).toBeLessThan(WOKEN_WITHIN_MS)
  })

  it("a booking made through the API wakes the other process's dispatcher and calendar writer", async () => {
    const meetingTypeId = (
      await account.post(
        '/v1/meeting-types',
        meetingTypeBody(people.clientId, { durationMinutes: 60, minimumNoticeMinutes: 0 }),
      )
    ).body.id
    const contactId = (await account.post(`/v1/clients/${people.clientId}/contacts`, contactBody())).body.id
    const t0 = Date.now()
    const created = await account.post('/v1/bookings', {
      meetingTypeId,
      start: '2026-06-02T12:00:00Z',
      contactId,
    })
    expect(created.status).toBe(201)
    await until(
      'the event written',
      async () => (await account.get(`/v1/bookings/${created.body.id}`)).body.sync[0]?.state === 'synced',
      WOKEN_WITHIN_MS,
    )
    expect(Date.now() - t0).toBeLessThan(WOKEN_WITHIN_MS)
  })

  it('the listener, its connection terminated, connects again and is woken again', async () => {
    const before = await listenerPid()
    expect(before).not.toBeNull()
    await t.database.pool.query('SELECT pg_terminate_backend($1)', [before])
    const after = await until('a new listening connection', async () => {
      const pid = await listenerPid()
      return pid !== null && pid !== before && pid
    })
    expect(after).not.toBe(before)
    // Listening again, the worker looks for work once (what was committed while it was not listening): let that
    // pass, so that only a notification can make the next edit show in time.
    await new Promise((r) => setTimeout(r, 1_000))
    expect(await editShows('2026-06-02T15:00:00Z')).toBeLessThan(WOKEN_WITHIN_MS)
  })
})

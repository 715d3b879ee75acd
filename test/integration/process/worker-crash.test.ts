// A real worker process, killed with SIGKILL in the middle of writing events and started again: every booking's
// event exists in the calendar exactly once. Needs PostgreSQL (two processes share the database).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from '../../helpers/app.js'
import { contactBody, meetingTypeBody } from '../../helpers/factories.js'
import { freePort, run } from '../../helpers/process.js'
import {
  connectThroughOAuth,
  createPeople,
  createTestApp,
  type Emulators,
  GOOGLE_USER,
  startEmulators,
} from '../sync/harness.js'

const BOOKINGS = 12

let em: Emulators
let t: TestApp

beforeAll(async () => {
  em = await startEmulators()
  t = await createTestApp({ config: em.config })
})
afterAll(async () => {
  await t?.close()
  await em?.close()
})

function workerEnv(port: number): Record<string, string> {
  const google = em.config.google!
  return {
    ROLE: 'worker',
    PORT: String(port),
    DATABASE_URL: t.database.url!,
    ENCRYPTION_KEY: em.config.encryptionKey!.toString('hex'),
    ADMIN_TOKEN: t.adminToken,
    GOOGLE_API_BASE_URL: google.apiBaseUrl,
    GOOGLE_AUTH_URL: google.authUrl,
    GOOGLE_TOKEN_URL: google.tokenUrl,
    PUBLIC_BASE_URL: t.app.deps.config.publicBaseUrl,
    WORKER_JOB_TIMEOUT_SECONDS: '2',
    LOG_LEVEL: 'warn',
  }
}

function writtenEvents(): { id: string; start: string }[] {
  return em.google.owner
    .listEvents(GOOGLE_USER)
    .filter((e) => e.status !== 'cancelled' && String(e.summary ?? '').includes(' with '))
    .map((e) => ({ id: String(e.id), start: String((e.start as { dateTime: string }).dateTime) }))
}

async function syncedCount(): Promise<number> {
  const row = await t.database.db
    .selectFrom('booking_sync_states')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', '=', 'synced')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('a worker killed mid-write', () => {
  it('loses and duplicates no calendar event', async () => {
    const account = await t.createAccount()
    const people = await createPeople(account)
    await connectThroughOAuth(t, account, `/v1/clients/${people.clientId}`, 'google')
    const mt = (
      await account.post('/v1/meeting-types', meetingTypeBody(people.clientId, { minimumNoticeMinutes: 0 }))
    ).body.id
    const contactId = (await account.post(`/v1/clients/${people.clientId}/contacts`, contactBody())).body.id
    for (let i = 0; i < BOOKINGS; i++) {
      const start = new Date(
        Date.parse('2026-06-02T07:00:00Z') + Math.floor(i / 16) * 86_400_000 + (i % 16) * 30 * 60_000,
      )
      const res = await account.post('/v1/bookings', {
        meetingTypeId: mt,
        start: start.toISOString(),
        contactId,
      })
      expect(res.status).toBe(201)
    }
    // Slow answers to inserts (1.5 s after the event is made), so that a kill lands after the provider made the
    // event and before the worker learns its id.
    em.google.addFault({ route: 'events.insert', answerDelayMs: 1500 })

    const kills: number[] = []
    for (let round = 0; round < 3; round++) {
      const worker = run('src/server.ts', [], workerEnv(await freePort()))
      const target = (round + 1) * 3
      const started = Date.now()
      while ((await syncedCount()) < target && Date.now() - started < 60_000) {
        if (worker.process.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      // The next job is fetched within the queue's 0.5 s poll; 1 s later its insert is done but not answered.
      await new Promise((r) => setTimeout(r, 1000))
      worker.process.kill('SIGKILL')
      await worker.exited
      kills.push(await syncedCount())
    }
    em.google.faults.clear()

    const last = run('src/server.ts', [], workerEnv(await freePort()))
    const started = Date.now()
    while ((await syncedCount()) < BOOKINGS && Date.now() - started < 90_000)
      await new Promise((r) => setTimeout(r, 100))
    last.process.kill('SIGTERM')
    expect(await last.exited).toBe(0)

    const events = writtenEvents()
    const inserts = em.google.requests.list({ route: 'events.insert' })
    // A killed request is never logged (its answer never went out); its retry is, answered 409 by the event
    // that the first one made.
    const refound = inserts.filter((r) => r.status === 409).length
    console.log(
      `worker crash: killed at ${kills.join(', ')} synced; ${refound} events made before a kill were found again on retry; ${events.length} events for ${BOOKINGS} bookings`,
    )
    expect(await syncedCount()).toBe(BOOKINGS)
    // The kills did land mid-write: the provider had made events the worker never heard of.
    expect(refound).toBeGreaterThan(0)
    expect(events).toHaveLength(BOOKINGS)
    expect(new Set(events.map((e) => e.start)).size).toBe(BOOKINGS)
    const states = await t.database.db.selectFrom('booking_sync_states').select('provider_event_id').execute()
    expect(new Set(states.map((s) => s.provider_event_id))).toEqual(new Set(events.map((e) => e.id)))
  }, 240_000)
})

// Inbound sync metrics on /metrics (issue 8), both providers through the emulators: a real notification is counted
// as accepted, its sync as an incremental ok run, and its lag observed; a forged one is counted as rejected; a sync
// that fails is counted as failed. The worker shares the app's registry, as with ROLE=all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProviderName } from '../../../src/sync/provider.js'
import type { Worker } from '../../../src/worker.js'
import type { AccountClient, TestApp } from '../../helpers/app.js'
import { until } from '../../helpers/until.js'
import {
  busyOf,
  connectThroughOAuth,
  type Emulators,
  faultsOf,
  type OwnerHands,
  type People,
  startListeningSetup,
  startPushWorker,
} from './harness.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The value of one sample of the Prometheus text, 0 when it is absent; every given label must match. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const have = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3])
  }
  return 0
}

async function metricsOf(t: TestApp): Promise<string> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' })
  expect(res.statusCode).toBe(200)
  return res.body
}

describe.each<ProviderName>(['google', 'microsoft'])('sync metrics for %s', (provider) => {
  let em: Emulators
  let t: TestApp
  let account: AccountClient
  let people: People
  let owner: OwnerHands
  let worker: Worker
  let connectionId: string

  const metrics = () => metricsOf(t)
  const syncs = (text: string, kind: string, outcome: string) =>
    sample(text, 'officehours_calendar_syncs_total', { provider, kind, outcome })
  const notifications = (text: string, outcome: string) =>
    sample(text, 'officehours_provider_notifications_total', { provider, outcome })
  const lagCount = (text: string) =>
    sample(text, 'officehours_notification_sync_lag_seconds_count', { provider })
  const busyStarts = async () =>
    (await busyOf(account, people.clientId, '2026-06-02T00:00:00Z', '2026-06-03T00:00:00Z')).busy.map(
      (b: { start: string }) => b.start,
    ) as string[]

  beforeAll(async () => {
    ;({ em, t, account, people, owner, connectionId } = await startListeningSetup(provider))
    worker = await startPushWorker({ t, account, connectionId })
  })
  afterAll(async () => {
    await worker?.stop()
    await t?.close()
    await em?.close()
  })

  it('counts an owner’s edit: the notification accepted, an incremental sync ok, and its lag observed', async () => {
    const before = await metrics()
    const started = Date.now()
    owner.createEvent('2026-06-02T08:00:00Z', '2026-06-02T09:00:00Z')
    await until('synced', async () => (await busyStarts()).includes('2026-06-02T08:00:00.000Z'))
    const after = await until('lag observed', async () => {
      const text = await metrics()
      return lagCount(text) > lagCount(before) && text
    })
    const elapsed = (Date.now() - started) / 1000

    expect(notifications(after, 'accepted')).toBeGreaterThan(notifications(before, 'accepted'))
    expect(notifications(after, 'rejected')).toBe(notifications(before, 'rejected'))
    expect(syncs(after, 'incremental', 'ok')).toBeGreaterThan(syncs(before, 'incremental', 'ok'))
    expect(syncs(after, 'incremental', 'failed')).toBe(syncs(before, 'incremental', 'failed'))
    // The lag runs from the route accepting the notification to the end of the sync: within what the test waited.
    const lagSum =
      sample(after, 'officehours_notification_sync_lag_seconds_sum', { provider }) -
      sample(before, 'officehours_notification_sync_lag_seconds_sum', { provider })
    expect(lagSum).toBeGreaterThan(0)
    expect(lagSum).toBeLessThan(elapsed * (lagCount(after) - lagCount(before)))
    // Observed into the buckets too, and under the other provider's label not at all.
    expect(sample(after, 'officehours_notification_sync_lag_seconds_bucket', { provider, le: '+Inf' })).toBe(
      lagCount(after),
    )
    const other = provider === 'google' ? 'microsoft' : 'google'
    expect(sample(after, 'officehours_notification_sync_lag_seconds_count', { provider: other })).toBe(0)
  })

  it('counts a forged notification as rejected, not as accepted', async () => {
    const row = await t.app.deps.db
      .selectFrom('calendar_channels')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .where('mode', '=', 'push')
      .executeTakeFirstOrThrow()
    const before = await metrics()
    const res =
      provider === 'google'
        ? await t.app.inject({
            method: 'POST',
            url: '/webhooks/google',
            headers: {
              'content-type': 'application/json; utf-8',
              'x-goog-resource-state': 'exists',
              'x-goog-channel-id': row.id,
              'x-goog-channel-token': 'forged',
            },
          })
        : await t.app.inject({
            method: 'POST',
            url: '/webhooks/microsoft',
            payload: {
              value: [{ changeType: 'updated', subscriptionId: row.resource_id, clientState: 'forged' }],
            },
          })
    expect(res.statusCode).toBe(403)
    await sleep(500)
    const after = await metrics()
    expect(notifications(after, 'rejected')).toBe(notifications(before, 'rejected') + 1)
    expect(notifications(after, 'accepted')).toBe(notifications(before, 'accepted'))
  })

  it('counts a sync that fails as failed, and the one that succeeds after it as ok', async () => {
    const before = await metrics()
    const fault = { route: provider === 'google' ? 'events.list' : 'delta', status: 500 }
    faultsOf(em, provider).add(fault)
    try {
      owner.createEvent('2026-06-02T12:00:00Z', '2026-06-02T13:00:00Z')
      await until(
        'failed',
        async () => syncs(await metrics(), 'incremental', 'failed') > syncs(before, 'incremental', 'failed'),
      )
    } finally {
      faultsOf(em, provider).clear()
    }
    // pg-boss retries the job: the event arrives, and that run is an ok one.
    await until('retried', async () => (await busyStarts()).includes('2026-06-02T12:00:00.000Z'), 20_000)
    const after = await until('ok counted', async () => {
      const text = await metrics()
      return syncs(text, 'incremental', 'ok') > syncs(before, 'incremental', 'ok') && text
    })
    expect(syncs(after, 'full', 'failed')).toBe(syncs(before, 'full', 'failed'))
    // Counted under this provider only.
    const other = provider === 'google' ? 'microsoft' : 'google'
    expect(sample(after, 'officehours_calendar_syncs_total', { provider: other })).toBe(0)
  })
})

// Syncs run by the API rather than the worker: the import after the OAuth callback and POST /v1/connections/{id}/sync.
// No worker runs here, so every count is exactly what the requests did.
describe.each<ProviderName>(['google', 'microsoft'])('sync metrics of the API’s syncs for %s', (provider) => {
  let em: Emulators
  let t: TestApp
  let account: AccountClient
  let people: People
  let owner: OwnerHands
  let connectionId: string

  const metrics = () => metricsOf(t)
  const syncs = (text: string, kind: string, outcome: string) =>
    sample(text, 'officehours_calendar_syncs_total', { provider, kind, outcome })
  const counts = (text: string) => ({
    fullOk: syncs(text, 'full', 'ok'),
    fullFailed: syncs(text, 'full', 'failed'),
    incrementalOk: syncs(text, 'incremental', 'ok'),
    incrementalFailed: syncs(text, 'incremental', 'failed'),
  })
  const none = { fullOk: 0, fullFailed: 0, incrementalOk: 0, incrementalFailed: 0 }

  beforeAll(async () => {
    ;({ em, t, account, people, owner, connectionId } = await startListeningSetup(provider))
  })
  afterAll(async () => {
    await t?.close()
    await em?.close()
  })

  it('counts the import after the OAuth callback as a full sync, one per busy calendar', async () => {
    // The client's calendar was connected (and imported) by the setup: that import is the only sync so far.
    expect(counts(await metrics())).toEqual({ ...none, fullOk: 1 })
    const assistant = await connectThroughOAuth(t, account, `/v1/assistants/${people.assistantId}`, provider)
    expect(assistant.callbackStatus).toBe(200)
    expect(counts(await metrics())).toEqual({ ...none, fullOk: 2 })
    const other = provider === 'google' ? 'microsoft' : 'google'
    expect(sample(await metrics(), 'officehours_calendar_syncs_total', { provider: other })).toBe(0)
  })

  it('counts POST /v1/connections/{id}/sync: incremental ok, full when the cursor expired, failed', async () => {
    const before = counts(await metrics())
    owner.createEvent('2026-06-03T08:00:00Z', '2026-06-03T09:00:00Z')
    expect((await account.post(`/v1/connections/${connectionId}/sync`)).status).toBe(200)
    expect(counts(await metrics())).toEqual({ ...before, incrementalOk: before.incrementalOk + 1 })

    // An expired cursor: the sync that ran is a full one.
    owner.invalidateCursors()
    expect((await account.post(`/v1/connections/${connectionId}/sync`)).status).toBe(200)
    expect(counts(await metrics())).toEqual({
      ...before,
      incrementalOk: before.incrementalOk + 1,
      fullOk: before.fullOk + 1,
    })

    const fault = { route: provider === 'google' ? 'events.list' : 'delta', status: 400 }
    faultsOf(em, provider).add(fault)
    try {
      const res = await account.post(`/v1/connections/${connectionId}/sync`)
      expect(res.status).toBe(200)
      expect(res.body.status).toBe('error')
    } finally {
      faultsOf(em, provider).clear()
    }
    expect(counts(await metrics())).toEqual({
      ...before,
      incrementalOk: before.incrementalOk + 1,
      fullOk: before.fullOk + 1,
      incrementalFailed: before.incrementalFailed + 1,
    })
  })
})

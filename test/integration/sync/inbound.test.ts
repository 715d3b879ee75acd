// Calendar changes coming in (SPEC 2.3), both providers through the emulators: push channels reach the listening
// app, the worker syncs, availability and bookings follow the calendar without any API call; forged
// notifications change nothing; the Graph handshake, channel renewal, lifecycle events and expired cursors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createJobSender, enqueueChannelWork, INBOUND_QUEUES } from '../../../src/sync/inbound.js'
import type { ProviderName } from '../../../src/sync/provider.js'
import { startWorker, type Worker } from '../../../src/worker.js'
import type { AccountClient, TestApp } from '../../helpers/app.js'
import { contactBody, meetingTypeBody } from '../../helpers/factories.js'
import { until } from '../../helpers/until.js'
import { type Emulators, type OwnerHands, type People, startListeningSetup } from './harness.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each<ProviderName>(['google', 'microsoft'])('calendar changes coming in from %s', (provider) => {
  let em: Emulators
  let t: TestApp
  let account: AccountClient
  let people: People
  let owner: OwnerHands
  let worker: Worker
  let connectionId: string
  let meetingTypeId: string
  let contactId: string

  const slots = async () => {
    const res = await account.get(
      `/v1/availability?meetingTypeId=${meetingTypeId}&from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z`,
    )
    expect(res.status).toBe(200)
    return res.body.slots.map((s: { start: string }) => s.start) as string[]
  }
  const booking = async (id: string) => (await account.get(`/v1/bookings/${id}`)).body
  /** Books `start` through the API and waits until its event is written: the booking id and its sync state. */
  const bookAndWrite = async (start: string) => {
    const created = await account.post('/v1/bookings', { meetingTypeId, start, contactId })
    expect(created.status).toBe(201)
    const id: string = created.body.id
    const sync = await until('written', async () => {
      const s = (await booking(id)).sync[0]
      return s.state === 'synced' && s
    })
    return { id, sync }
  }
  const dropNotifications = (rate: number) =>
    provider === 'google' ? em.google.notifier.setDropRate(rate) : em.microsoft.setNotificationDropRate(rate)

  beforeAll(async () => {
    ;({ em, t, account, people, owner, connectionId } = await startListeningSetup(provider))
    meetingTypeId = (
      await account.post(
        '/v1/meeting-types',
        meetingTypeBody(people.clientId, { durationMinutes: 60, minimumNoticeMinutes: 0 }),
      )
    ).body.id
    contactId = (
      await account.post(
        `/v1/clients/${people.clientId}/contacts`,
        contactBody({ name: 'Ana Souza', email: 'ana@partner.example' }),
      )
    ).body.id
    worker = await startWorker(t.app.deps, {
      jobTimeoutSeconds: 5,
      dispatchIntervalMs: 50,
      inbound: { channelIntervalMs: 100 },
    })
  })
  afterAll(async () => {
    await worker?.stop()
    await t?.close()
    await em?.close()
  })

  it('sets up a push channel for the busy calendar and says so on the connection', async () => {
    const connection = await until('push', async () => {
      const c = (await account.get(`/v1/connections/${connectionId}`)).body
      return c.syncMode === 'push' && c.channelExpiresAt && c
    })
    expect(Date.parse(connection.channelExpiresAt)).toBeGreaterThan(Date.now() + 86_400_000)
    const row = await t.app.deps.db.selectFrom('calendar_channels').selectAll().executeTakeFirstOrThrow()
    // The secret is stored only as a hash.
    expect(row.secret_hash).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(row.resource_id).toBeTruthy()
  })

  it('an event created, moved and deleted by the owner shows in GET /v1/availability without any API call', async () => {
    expect(await slots()).toContain('2026-06-02T08:00:00.000Z')
    const id = owner.createEvent('2026-06-02T08:00:00Z', '2026-06-02T09:00:00Z')
    await until('created', async () => !(await slots()).includes('2026-06-02T08:00:00.000Z'))
    owner.moveEvent(id, '2026-06-02T12:00:00Z', '2026-06-02T13:00:00Z')
    await until('moved', async () => {
      const s = await slots()
      return s.includes('2026-06-02T08:00:00.000Z') && !s.includes('2026-06-02T12:00:00.000Z')
    })
    owner.deleteEvent(id)
    await until('deleted', async () => (await slots()).includes('2026-06-02T12:00:00.000Z'))
  })

  it('a booked event moved in the calendar moves the booking (source calendar); deleted, it cancels it', async () => {
    const { id, sync } = await bookAndWrite('2026-06-03T09:00:00Z')
    // Our own insert came back through the webhook: nothing changed.
    await sleep(500)
    expect(await booking(id)).toMatchObject({ start: '2026-06-03T09:00:00.000Z', sequence: 0, source: 'api' })

    // 06:00 UTC is outside business hours: the client decided, so the rules are not re-checked.
    owner.moveEvent(sync.providerEventId, '2026-06-03T06:00:00Z', '2026-06-03T07:00:00Z')
    const moved = await until('rescheduled', async () => {
      const b = await booking(id)
      return b.start === '2026-06-03T06:00:00.000Z' && b
    })
    expect(moved).toMatchObject({ source: 'calendar', end: '2026-06-03T07:00:00.000Z', status: 'confirmed' })
    // Our write-back of the moved booking comes back too: it stays where the client put it, nothing more.
    await until('write-back synced', async () => (await booking(id)).sync[0].state === 'synced')
    await sleep(500)
    expect(await booking(id)).toMatchObject({ start: '2026-06-03T06:00:00.000Z', sequence: moved.sequence })

    owner.deleteEvent(sync.providerEventId)
    const cancelled = await until('cancelled', async () => {
      const b = await booking(id)
      return b.status === 'cancelled' && b
    })
    expect(cancelled.source).toBe('calendar')
  })

  it('a booked event moved beyond the sync window moves the booking there (Graph reports it as removed)', async () => {
    const { id, sync } = await bookAndWrite('2026-06-03T11:00:00Z')
    // 2027-03-01 is past the window's end (now + 180 days): the event leaves our busy data, the booking follows it.
    owner.moveEvent(sync.providerEventId, '2027-03-01T11:00:00Z', '2027-03-01T12:00:00Z')
    const moved = await until('rescheduled', async () => {
      const b = await booking(id)
      return b.start === '2027-03-01T11:00:00.000Z' && b
    })
    expect(moved).toMatchObject({ status: 'confirmed', source: 'calendar', end: '2027-03-01T12:00:00.000Z' })
    await account.post(`/v1/bookings/${id}/cancel`, {})
  })

  it('rescheduled through the API: our own write coming back changes nothing (no ping-pong)', async () => {
    const { id } = await bookAndWrite('2026-06-04T09:00:00Z')
    expect(
      (await account.post(`/v1/bookings/${id}/reschedule`, { start: '2026-06-04T11:00:00Z' })).status,
    ).toBe(200)
    await until('rewritten', async () => (await booking(id)).sync[0].state === 'synced')
    await sleep(800)
    const b = await booking(id)
    expect(b).toMatchObject({ start: '2026-06-04T11:00:00.000Z', source: 'api', status: 'confirmed' })
    const outbox = await t.app.deps.db
      .selectFrom('outbox_events')
      .select(['type', 'source'])
      .where('booking_id', '=', id)
      .orderBy('id')
      .execute()
    expect(outbox).toEqual([
      { type: 'booking.created', source: 'api' },
      { type: 'booking.rescheduled', source: 'api' },
    ])
  })

  it('another event overlapping a booking is reported once as booking.conflict', async () => {
    const { id } = await bookAndWrite('2026-06-05T09:00:00Z')
    const other = owner.createEvent('2026-06-05T09:30:00Z', '2026-06-05T10:30:00Z')
    const conflicts = () =>
      t.app.deps.db
        .selectFrom('outbox_events')
        .select(['payload'])
        .where('booking_id', '=', id)
        .where('type', '=', 'booking.conflict')
        .execute()
    await until('conflict', async () => (await conflicts()).length === 1)
    owner.moveEvent(other, '2026-06-05T09:15:00Z', '2026-06-05T10:15:00Z')
    await sleep(800)
    expect(await conflicts()).toHaveLength(1)
    expect((await booking(id)).start).toBe('2026-06-05T09:00:00.000Z')
  })

  it('forged notifications (unknown channel, wrong token or clientState) change nothing', async () => {
    // No sync left over from earlier tests (a follow-up run, a retry) may pick the new event up meanwhile.
    await until(
      'sync queue idle',
      async () =>
        (await worker.boss.getQueueSize(INBOUND_QUEUES.calendarSync, { before: 'completed' })) === 0,
    )
    dropNotifications(1)
    try {
      owner.createEvent('2026-06-02T14:00:00Z', '2026-06-02T15:00:00Z')
      const row = await t.app.deps.db
        .selectFrom('calendar_channels')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .executeTakeFirstOrThrow()
      if (provider === 'google') {
        const post = (headers: Record<string, string>) =>
          t.app.inject({
            method: 'POST',
            url: '/webhooks/google',
            headers: {
              'content-type': 'application/json; utf-8',
              'x-goog-resource-state': 'exists',
              ...headers,
            },
          })
        expect(
          (await post({ 'x-goog-channel-id': crypto.randomUUID(), 'x-goog-channel-token': 'x' })).statusCode,
        ).toBe(404)
        expect((await post({ 'x-goog-channel-id': 'not-a-uuid' })).statusCode).toBe(404)
        expect(
          (await post({ 'x-goog-channel-id': row.id, 'x-goog-channel-token': 'forged' })).statusCode,
        ).toBe(403)
        expect((await post({ 'x-goog-channel-id': row.id })).statusCode).toBe(403)
      } else {
        const post = (url: string, n: Record<string, unknown>) =>
          t.app.inject({ method: 'POST', url, payload: { value: [{ changeType: 'updated', ...n }] } })
        expect(
          (await post('/webhooks/microsoft', { subscriptionId: 'nope', clientState: 'x' })).statusCode,
        ).toBe(403)
        expect(
          (await post('/webhooks/microsoft', { subscriptionId: row.resource_id, clientState: 'forged' }))
            .statusCode,
        ).toBe(403)
        expect(
          (await post(`/webhooks/microsoft?channel=${row.id}`, { subscriptionId: row.resource_id }))
            .statusCode,
        ).toBe(403)
        expect(
          (
            await post('/webhooks/microsoft/lifecycle', {
              subscriptionId: row.resource_id,
              clientState: 'forged',
              lifecycleEvent: 'missed',
            })
          ).statusCode,
        ).toBe(403)
      }
      await sleep(800)
      expect(await slots()).toContain('2026-06-02T14:00:00.000Z')
    } finally {
      dropNotifications(0)
    }
  })

  it('answers the Graph validation handshake on both URLs with the decoded token as text', async () => {
    for (const url of ['/webhooks/microsoft', '/webhooks/microsoft/lifecycle']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `${url}?validationToken=${encodeURIComponent('Validation: Testing client application reachability')}`,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/plain/)
      expect(res.body).toBe('Validation: Testing client application reachability')
    }
  })

  it('an expired cursor (410 / SyncStateNotFound) resyncs the calendar fully', async () => {
    dropNotifications(1)
    const id = owner.createEvent('2026-06-02T13:00:00Z', '2026-06-02T14:00:00Z')
    dropNotifications(0)
    owner.invalidateCursors()
    owner.moveEvent(id, '2026-06-02T10:00:00Z', '2026-06-02T11:00:00Z')
    await until('resynced', async () => {
      const s = await slots()
      return !s.includes('2026-06-02T10:00:00.000Z') && s.includes('2026-06-02T13:00:00.000Z') && s
    })
  })

  it('renews a channel with a shortened expiry (Google: a new channel, then the old one stopped; Graph: PATCH)', async () => {
    const channelRows = () =>
      t.app.deps.db
        .selectFrom('calendar_channels')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .where('resource_id', 'is not', null)
        .execute()
    const [before] = await channelRows()
    await worker.stop()
    // Channels of 4 s (Graph raises anything under 45 minutes to 45), renewed halfway; the current one is due.
    worker = await startWorker(t.app.deps, {
      jobTimeoutSeconds: 5,
      dispatchIntervalMs: 50,
      inbound: { channelIntervalMs: 100, channelTtlMs: 4_000 },
    })
    await t.app.deps.db
      .updateTable('calendar_channels')
      .set({ expires_at: new Date(Date.now() + 1_000) })
      .where('id', '=', before!.id)
      .execute()
    if (provider === 'google') {
      // Two renewals in a row: each a new channel, the previous one stopped at the provider.
      const seen = new Set<string>([before!.id])
      await until(
        'two renewals',
        async () => {
          for (const r of await channelRows()) seen.add(r.id)
          return seen.size >= 3
        },
        20_000,
      )
      const active = em.google.channels.list().filter((c) => c.active)
      expect(active.length).toBeLessThanOrEqual(2)
      expect(em.google.channels.list().find((c) => c.id === before!.id)?.active).toBe(false)
    } else {
      const [after] = await until('patched', async () => {
        const rows = await channelRows()
        return rows[0]!.expires_at!.getTime() > Date.now() + 40 * 60_000 && rows
      })
      expect(after!.id).toBe(before!.id)
      expect(after!.resource_id).toBe(before!.resource_id)
    }
    // The renewed channel still carries changes.
    const id = owner.createEvent('2026-06-02T09:00:00Z', '2026-06-02T10:00:00Z')
    await until('heard', async () => !(await slots()).includes('2026-06-02T09:00:00.000Z'))
    owner.deleteEvent(id)
    await until('heard', async () => (await slots()).includes('2026-06-02T09:00:00.000Z'))
    await worker.stop()
    worker = await startWorker(t.app.deps, {
      jobTimeoutSeconds: 5,
      dispatchIntervalMs: 50,
      inbound: { channelIntervalMs: 100 },
    })
  })

  if (provider === 'microsoft') {
    it('lifecycle: subscriptionRemoved makes a new subscription, missed resyncs, reauthorizationRequired renews', async () => {
      const before = await t.app.deps.db
        .selectFrom('calendar_channels')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .executeTakeFirstOrThrow()
      em.microsoft.sendLifecycleNotification(before.resource_id!, 'subscriptionRemoved')
      const after = await until('recreated', async () => {
        const rows = await t.app.deps.db
          .selectFrom('calendar_channels')
          .selectAll()
          .where('connection_id', '=', connectionId)
          .execute()
        return rows.length === 1 && rows[0]!.id !== before.id && !!rows[0]!.resource_id && rows[0]
      })
      expect(after.resource_id).not.toBe(before.resource_id)

      dropNotifications(1)
      owner.createEvent('2026-06-02T16:00:00Z', '2026-06-02T17:00:00Z')
      dropNotifications(0)
      em.microsoft.sendLifecycleNotification(after.resource_id!, 'missed')
      await until('missed resync', async () => !(await slots()).includes('2026-06-02T16:00:00.000Z'))

      const patches = () =>
        em.microsoft.requestLog.list({}).filter((r) => r.method === 'PATCH' && /subscriptions/.test(r.path))
          .length
      const n = patches()
      em.microsoft.sendLifecycleNotification(after.resource_id!, 'reauthorizationRequired')
      await until('renewed', async () => patches() > n)
    })

    it('a lifecycle event still acts when an upkeep job for the calendar is already waiting (the queue drops the duplicate)', async () => {
      const channelRow = () =>
        t.app.deps.db
          .selectFrom('calendar_channels')
          .selectAll()
          .where('connection_id', '=', connectionId)
          .where('mode', '=', 'push')
          .executeTakeFirst()
      const patches = () =>
        em.microsoft.requestLog.list({}).filter((r) => r.method === 'PATCH' && /subscriptions/.test(r.path))
          .length
      const restart = async () => {
        worker = await startWorker(t.app.deps, {
          jobTimeoutSeconds: 5,
          dispatchIntervalMs: 50,
          inbound: { channelIntervalMs: 100 },
        })
      }
      const sender = createJobSender(t.app.deps.database)
      const waitingUpkeep = async (row: { account_id: string; calendar_id: string }) => {
        await worker.stop()
        await enqueueChannelWork(sender, {
          accountId: row.account_id,
          connectionId,
          calendarId: row.calendar_id,
        })
      }

      // reauthorizationRequired while a routine upkeep job waits: that job renews.
      const before = (await until('channel', channelRow))!
      await waitingUpkeep(before)
      const n = patches()
      expect(em.microsoft.sendLifecycleNotification(before.resource_id!, 'reauthorizationRequired')).toBe(
        true,
      )
      await em.microsoft.settle() // delivered: the app has answered it
      await restart()
      await until('renewed', async () => patches() > n)
      const renewed = await until('renewal stored', async () => {
        const row = await channelRow()
        return row && row.expires_at!.getTime() > Date.now() + 40 * 60_000 && row
      })
      expect(renewed.id).toBe(before.id)

      // subscriptionRemoved while a routine upkeep job waits: that job makes a new subscription.
      await waitingUpkeep(renewed)
      expect(em.microsoft.sendLifecycleNotification(renewed.resource_id!, 'subscriptionRemoved')).toBe(true)
      await em.microsoft.settle()
      await restart()
      const recreated = await until('recreated', async () => {
        const row = await channelRow()
        return !!row?.resource_id && row.resource_id !== renewed.resource_id && row
      })
      expect(recreated.id).not.toBe(renewed.id)
    })
  }
})

// Polling mode (SPEC 2.3): when the provider cannot reach PUBLIC_BASE_URL (real provider credentials and a
// loopback http origin) or refuses to make the channel, the connection says `polling` and an owner's change reaches
// availability through the polling job alone, with no notification sent at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Config } from '../../../src/config.js'
import { DEFAULT_CLIENT as GOOGLE_CLIENT } from '../../../src/sandbox/google/index.js'
import { maintainCalendarChannel } from '../../../src/sync/inbound.js'
import { PROVIDERS, type ProviderName } from '../../../src/sync/provider.js'
import { startWorker, type Worker } from '../../../src/worker.js'
import type { AccountClient, TestApp } from '../../helpers/app.js'
import { meetingTypeBody } from '../../helpers/factories.js'
import { until } from '../../helpers/until.js'
import {
  connectThroughOAuth,
  createPeople,
  createTestApp,
  type Emulators,
  freePort,
  ownerHands,
  startEmulators,
  tunedProviders,
} from './harness.js'

const POLL_MS = 300

interface Connected {
  connectionId: string
  meetingTypeId: string
}

/** Connects one client per provider and gives each a 60-minute meeting type bookable at once. */
async function connectBoth(t: TestApp, account: AccountClient): Promise<Record<ProviderName, Connected>> {
  const out = {} as Record<ProviderName, Connected>
  for (const provider of PROVIDERS) {
    const people = await createPeople(account)
    const connected = await connectThroughOAuth(t, account, `/v1/clients/${people.clientId}`, provider)
    expect(connected.callbackStatus).toBe(200)
    const meetingTypeId = (
      await account.post(
        '/v1/meeting-types',
        meetingTypeBody(people.clientId, { durationMinutes: 60, minimumNoticeMinutes: 0 }),
      )
    ).body.id
    out[provider] = { connectionId: connected.connectionId, meetingTypeId }
  }
  return out
}

/** Channels the emulator holds, notifications it tried to send, and the statuses of channel creation calls. */
function pushTraffic(em: Emulators, provider: ProviderName) {
  return provider === 'google'
    ? {
        channels: em.google.channels.list().length,
        notifications: em.google.channels.deliveries().length,
        watchCalls: em.google.requests.list({ route: 'events.watch' }).map((r) => r.status),
      }
    : {
        channels: em.microsoft.listSubscriptions().length,
        notifications: em.microsoft.notifications().length,
        watchCalls: em.microsoft.requestLog.list({ route: 'subscriptions.create' }).map((r) => r.status),
      }
}

function pollingSuite(
  name: string,
  /** What channel creation calls answered: none made, or refused. */
  watchCalls: 'none' | 'refused',
  setup: (em: Emulators) => { config: Partial<Config>; listen: boolean },
  afterConnect: (em: Emulators) => void = () => {},
) {
  describe(name, () => {
    let em: Emulators
    let t: TestApp
    let account: AccountClient
    let worker: Worker
    let connections: Record<ProviderName, Connected>

    const slots = async (provider: ProviderName) => {
      const res = await account.get(
        `/v1/availability?meetingTypeId=${connections[provider].meetingTypeId}` +
          '&from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z',
      )
      expect(res.status).toBe(200)
      return res.body.slots.map((s: { start: string }) => s.start) as string[]
    }

    beforeAll(async () => {
      em = await startEmulators()
      const { config, listen } = setup(em)
      const port = await freePort()
      const full = { ...em.config, ...config, publicBaseUrl: `http://127.0.0.1:${port}` }
      t = await createTestApp({ config: full, overrides: { providers: tunedProviders(full) } })
      // Listening or not: with push refused the app listens (a notification could arrive, and none does).
      if (listen) await t.app.listen({ host: '127.0.0.1', port })
      account = await t.createAccount()
      afterConnect(em)
      connections = await connectBoth(t, account)
      worker = await startWorker(t.app.deps, {
        jobTimeoutSeconds: 5,
        dispatchIntervalMs: 50,
        inbound: { channelIntervalMs: 100, pollIntervalMs: POLL_MS },
      })
    })
    afterAll(async () => {
      await worker?.stop()
      await t?.close()
      await em?.close()
    })

    it.each(PROVIDERS)(
      '%s: the connection says polling, and owner changes reach availability with no notification',
      async (provider) => {
        const { connectionId } = connections[provider]
        const connection = await until('polling', async () => {
          const c = (await account.get(`/v1/connections/${connectionId}`)).body
          return c.syncMode === 'polling' && c
        })
        expect(connection).toMatchObject({ status: 'active', channelExpiresAt: null })
        const row = await t.app.deps.db
          .selectFrom('calendar_channels')
          .select(['mode', 'secret_hash', 'resource_id'])
          .where('connection_id', '=', connectionId)
          .execute()
        expect(row).toEqual([{ mode: 'polling', secret_hash: null, resource_id: null }])

        const owner = ownerHands(em, provider)
        expect(await slots(provider)).toContain('2026-06-02T08:00:00.000Z')
        const id = owner.createEvent('2026-06-02T08:00:00Z', '2026-06-02T09:00:00Z')
        const seen = Date.now()
        await until(
          'created, by polling',
          async () => !(await slots(provider)).includes('2026-06-02T08:00:00.000Z'),
        )
        // Heard within a few polling rounds, not by luck of a full resync much later.
        expect(Date.now() - seen).toBeLessThan(POLL_MS * 20)
        owner.moveEvent(id, '2026-06-02T12:00:00Z', '2026-06-02T13:00:00Z')
        await until('moved, by polling', async () => {
          const s = await slots(provider)
          return s.includes('2026-06-02T08:00:00.000Z') && !s.includes('2026-06-02T12:00:00.000Z')
        })
        owner.deleteEvent(id)
        await until('deleted, by polling', async () =>
          (await slots(provider)).includes('2026-06-02T12:00:00.000Z'),
        )

        // No channel at the provider, so nothing was ever sent: polling did it all.
        const traffic = pushTraffic(em, provider)
        expect(traffic).toMatchObject({ channels: 0, notifications: 0 })
        if (watchCalls === 'none') expect(traffic.watchCalls).toEqual([])
        else {
          // Tried once, refused, and not asked again before the hour is up, even by a job that was already
          // queued when the refusal was recorded (here: one more upkeep job run by hand).
          const { calendar_id: calendarId } = await t.app.deps.db
            .selectFrom('calendar_channels')
            .select('calendar_id')
            .where('connection_id', '=', connectionId)
            .executeTakeFirstOrThrow()
          await maintainCalendarChannel(t.app.deps, worker.boss, {
            accountId: account.accountId,
            connectionId,
            calendarId,
          })
          expect(pushTraffic(em, provider).watchCalls).toEqual([400])
        }
        expect((await account.get(`/v1/connections/${connectionId}`)).body.syncMode).toBe('polling')
      },
    )
  })
}

// Real provider credentials (not the built-in sandbox) and a loopback http PUBLIC_BASE_URL: no provider could reach
// it, so push is not even tried. The app does not listen at all.
pollingSuite('PUBLIC_BASE_URL not publicly reachable', 'none', (em) => ({
  config: {
    google: { ...(em.config.google as Config['google']), ...GOOGLE_CLIENT },
    // The Graph emulator takes any client with a secret.
    microsoft: {
      ...(em.config.microsoft as Config['microsoft']),
      clientId: 'officehours-polling-test',
      clientSecret: 'polling-test-secret',
    },
  },
  listen: false,
}))

// The sandbox (push reachable) but the provider refuses every channel (400 on events.watch and on
// POST /subscriptions, as Graph does when the notification URL fails validation): polling, push retried later.
pollingSuite(
  'the provider refuses channel creation',
  'refused',
  () => ({ config: {}, listen: true }),
  (em) => {
    em.google.addFault({ route: 'events.watch', status: 400 })
    em.microsoft.faults.add({ route: 'subscriptions.create', status: 400 })
  },
)

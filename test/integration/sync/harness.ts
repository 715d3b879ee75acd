// Test harness for calendar sync: both emulators in-process, the app pointed at them, and the owner's hands.
import { randomBytes } from 'node:crypto'
import { type Config, testConfig } from '../../../src/config.js'
import { createGoogleEmulator, type GoogleEmulator } from '../../../src/sandbox/google/index.js'
import { createMicrosoftEmulator, type MicrosoftEmulator } from '../../../src/sandbox/microsoft/index.js'
import type { Faults } from '../../../src/sandbox/shared/faults.js'
import type { ProviderName, Providers } from '../../../src/sync/provider.js'
import { createProviders } from '../../../src/sync/providers.js'
import { startWorker, type Worker } from '../../../src/worker.js'
import { type AccountClient, createTestApp, type TestApp } from '../../helpers/app.js'
import { assistantBody, clientBody } from '../../helpers/factories.js'
import { freePort } from '../../helpers/process.js'
import { until } from '../../helpers/until.js'

export const GOOGLE_USER = 'alice@sandbox.test'

export interface Emulators {
  google: GoogleEmulator
  microsoft: MicrosoftEmulator
  /** Moves the Microsoft emulator's clock (token expiry). */
  advanceMicrosoftClock(ms: number): void
  config: Partial<Config>
  close(): Promise<void>
}

export async function startEmulators(): Promise<Emulators> {
  const google = await createGoogleEmulator({ consent: 'allow', notifier: { backoffMs: 10, maxAttempts: 1 } })
  const googleBase = await google.listen()
  google.users.add({ email: GOOGLE_USER, name: 'Alice', timeZone: 'Europe/Berlin' })
  let msOffset = 0
  const microsoft = await createMicrosoftEmulator({
    now: () => Date.now() + msOffset,
    mailboxConcurrencyLimit: 0,
    notifier: { maxAttempts: 1 },
  })
  microsoft.setBaseUrl(await microsoft.app.listen({ host: '127.0.0.1', port: 0 }))
  const e = google.endpoints()
  const config: Partial<Config> = {
    encryptionKey: randomBytes(32),
    google: {
      clientId: null,
      clientSecret: null,
      apiBaseUrl: googleBase,
      authUrl: e.authUrl,
      tokenUrl: e.tokenUrl,
    },
    microsoft: {
      clientId: null,
      clientSecret: null,
      graphBaseUrl: microsoft.graphBaseUrl ?? '',
      authBaseUrl: microsoft.authBaseUrl ?? '',
    },
  }
  return {
    google,
    microsoft,
    advanceMicrosoftClock: (ms) => {
      msOffset += ms
    },
    config,
    close: async () => {
      await Promise.allSettled([google.close(), microsoft.close()])
    },
  }
}

/** Adapters with small pages (paging is exercised) and no waiting on the Graph SDK's retries. */
export function tunedProviders(config: Partial<Config>): Providers {
  return createProviders(testConfig(config), {
    googlePageSize: 3,
    microsoftPageSize: 3,
    microsoftRetry: { delaySeconds: 0, maxRetries: 1 },
  })
}

/** The calendar's owner acting in Google Calendar or Outlook. Times are ISO instants. */
export interface OwnerHands {
  provider: ProviderName
  primaryCalendarId(): string
  createEvent(start: string, end: string, extra?: Record<string, unknown>, calendarId?: string): string
  createAllDay(date: string, endDate: string): string
  moveEvent(id: string, start: string, end: string): void
  deleteEvent(id: string): void
  addCalendar(name: string): string
  revokeGrant(): void
  expireAccessTokens(): void
  advanceClock(ms: number): void
  invalidateCursors(): void
  tokenRequests(): number
  /** A daily series of `count` instances, the first at [start, end); returns the series (master) id. */
  createDailySeries(start: string, end: string, count: number): string
  /** Moves a whole series to a new first instance at [start, end), on another day too (its rule kept). */
  moveSeries(seriesId: string, start: string, end: string): void
  /** Takes the recurrence off a series: its master stays, a single event at its first instance's time. */
  endSeries(seriesId: string): void
  /** The live instances of a series as the emulator expands them (moved ones where they are now), by start. */
  instancesOf(seriesId: string): Array<{ id: string; start: string; end: string }>
}

export function ownerHands(em: Emulators, provider: ProviderName): OwnerHands {
  if (provider === 'google') {
    const g = em.google
    const body = (start: string, end: string) => ({
      start: { dateTime: start, timeZone: 'Europe/Berlin' },
      end: { dateTime: end, timeZone: 'Europe/Berlin' },
    })
    return {
      provider,
      primaryCalendarId: () => GOOGLE_USER,
      createEvent: (start, end, extra = {}, calendarId = GOOGLE_USER) =>
        String(
          g.owner.createEvent(calendarId, { summary: 'Secret meeting', ...body(start, end), ...extra }).id,
        ),
      createAllDay: (date, endDate) =>
        String(
          g.owner.createEvent(GOOGLE_USER, { summary: 'Offsite', start: { date }, end: { date: endDate } })
            .id,
        ),
      moveEvent: (id, start, end) => {
        g.owner.updateEvent(GOOGLE_USER, id, body(start, end))
      },
      deleteEvent: (id) => g.owner.deleteEvent(GOOGLE_USER, id),
      addCalendar: (name) => g.users.addCalendar({ owner: GOOGLE_USER, summary: name }).id,
      revokeGrant: () => {
        g.oauth.revokeGrants({ userEmail: GOOGLE_USER })
      },
      expireAccessTokens: () => g.oauth.expireAccessTokens(GOOGLE_USER),
      advanceClock: (ms) => g.advanceClock(ms),
      invalidateCursors: () => g.sync.invalidateTokens(),
      tokenRequests: () => g.requests.list({ route: 'token' }).length,
      createDailySeries: (start, end, count) =>
        String(
          g.owner.createEvent(GOOGLE_USER, {
            summary: 'Daily stand-up',
            ...body(start, end),
            recurrence: [`RRULE:FREQ=DAILY;COUNT=${count}`],
          }).id,
        ),
      // The master's start is the first instance's: moving it moves the series (providers.md A1).
      moveSeries: (seriesId, start, end) => {
        g.owner.updateEvent(GOOGLE_USER, seriesId, body(start, end))
      },
      endSeries: (seriesId) => {
        g.owner.updateEvent(GOOGLE_USER, seriesId, { recurrence: [] })
      },
      instancesOf: (seriesId) =>
        g.owner
          .listInstances(GOOGLE_USER, 0, Date.parse('2100-01-01T00:00:00Z'), seriesId)
          .map((e) => {
            const ev = e as { id: string; start: { dateTime: string }; end: { dateTime: string } }
            const iso = (s: string) => new Date(s).toISOString()
            return { id: ev.id, start: iso(ev.start.dateTime), end: iso(ev.end.dateTime) }
          })
          .sort((a, b) => a.start.localeCompare(b.start)),
    }
  }
  const m = em.microsoft
  const utc = (iso: string) => ({ dateTime: iso.replace(/Z$/, '').replace(/\.\d{3}$/, ''), timeZone: 'UTC' })
  const primary = () => m.listCalendars().find((c) => c.isDefaultCalendar)?.id ?? ''
  return {
    provider,
    primaryCalendarId: primary,
    createEvent: (start, end, extra = {}, calendarId) =>
      String(
        m.createEvent({
          subject: 'Secret meeting',
          start: utc(start),
          end: utc(end),
          ...(calendarId ? { calendarId } : {}),
          ...extra,
        }).id,
      ),
    createAllDay: (date, endDate) =>
      String(
        m.createEvent({
          subject: 'Offsite',
          isAllDay: true,
          start: { dateTime: `${date}T00:00:00`, timeZone: 'Europe/Berlin' },
          end: { dateTime: `${endDate}T00:00:00`, timeZone: 'Europe/Berlin' },
        }).id,
      ),
    moveEvent: (id, start, end) => {
      m.moveEvent(id, { start, end })
    },
    deleteEvent: (id) => m.deleteEvent(id),
    addCalendar: (name) => m.addCalendar(name).id,
    revokeGrant: () => {
      m.revokeGrant({ accessTokens: true })
    },
    expireAccessTokens: () => {
      m.expireAccessTokens()
    },
    advanceClock: (ms) => em.advanceMicrosoftClock(ms),
    invalidateCursors: () => {
      m.invalidateDeltaTokens()
    },
    tokenRequests: () => m.requestLog.list({ route: 'token' }).length,
    createDailySeries: (start, end, count) =>
      String(
        m.createEvent({
          subject: 'Daily stand-up',
          start: utc(start),
          end: utc(end),
          recurrence: {
            pattern: { type: 'daily', interval: 1 },
            range: { type: 'numbered', startDate: start.slice(0, 10), numberOfOccurrences: count },
          },
        }).id,
      ),
    // A Graph series starts on its range's startDate, whatever the master's start says: both move.
    moveSeries: (seriesId, start, end) => {
      const master = m.getEvent(seriesId) as { recurrence: { range: Record<string, unknown> } }
      const { recurrence } = master
      m.updateEvent(seriesId, {
        start: utc(start),
        end: utc(end),
        recurrence: { ...recurrence, range: { ...recurrence.range, startDate: start.slice(0, 10) } },
      })
    },
    endSeries: (seriesId) => {
      m.updateEvent(seriesId, { recurrence: null })
    },
    instancesOf: (seriesId) =>
      m
        .listInstances({ from: 0, to: Date.parse('2100-01-01T00:00:00Z'), seriesMasterId: seriesId })
        .map((e) => {
          const ev = e as { id: string; start: { dateTime: string }; end: { dateTime: string } }
          // Rendered in UTC without an offset (no Prefer header).
          const iso = (s: string) => new Date(`${s.slice(0, 19)}Z`).toISOString()
          return { id: ev.id, start: iso(ev.start.dateTime), end: iso(ev.end.dateTime) }
        })
        .sort((a, b) => a.start.localeCompare(b.start)),
  }
}

export interface People {
  assistantId: string
  clientId: string
}

export async function createPeople(account: AccountClient): Promise<People> {
  const assistantId = (await account.post('/v1/assistants', assistantBody({ timeZone: 'Europe/Berlin' })))
    .body.id
  const clientId = (await account.post('/v1/clients', clientBody(assistantId, { timeZone: 'Europe/Berlin' })))
    .body.id
  return { assistantId, clientId }
}

/** Starts a connection through the API, follows the consent URL (auto-consent) and lands on our callback. */
export async function connectThroughOAuth(
  t: TestApp,
  account: AccountClient,
  ownerPath: string,
  provider: ProviderName,
): Promise<{ connectionId: string; callbackStatus: number; callbackText: string }> {
  const start = await account.post(`${ownerPath}/connections`, { provider })
  if (start.status !== 201) throw new Error(`start failed: ${start.status} ${start.text}`)
  const callback = await followConsent(t, start.body.authorizationUrl)
  const list = await account.get(`${ownerPath}/connections`)
  const connectionId = list.body.data.at(-1)?.id
  return { connectionId, callbackStatus: callback.status, callbackText: callback.text }
}

/** Opens the consent URL like a browser and delivers the provider's redirect to our app. */
export async function followConsent(t: TestApp, authorizationUrl: string) {
  const res = await fetch(authorizationUrl, { redirect: 'manual' })
  const location = res.headers.get('location')
  if (res.status !== 302 || !location) throw new Error(`consent did not redirect: ${res.status}`)
  const back = new URL(location)
  const callback = await t.app.inject({ method: 'GET', url: `${back.pathname}${back.search}` })
  return { status: callback.statusCode, text: callback.body, redirect: back }
}

export async function busyOf(account: AccountClient, clientId: string, from: string, to: string) {
  const res = await account.get(`/v1/clients/${clientId}/busy?from=${from}&to=${to}`)
  if (res.status !== 200) throw new Error(`busy failed: ${res.status} ${res.text}`)
  return res.body
}

export { createTestApp, freePort }

export interface ListeningSetup {
  em: Emulators
  t: TestApp
  account: AccountClient
  people: People
  owner: OwnerHands
  connectionId: string
}

/**
 * Both emulators, and the app listening on a free port that is its PUBLIC_BASE_URL, so the emulators' push
 * notifications reach it; an account whose client has `provider`'s calendar connected through OAuth.
 */
export async function startListeningSetup(
  provider: ProviderName,
  providers: (config: Partial<Config>) => Providers = tunedProviders,
): Promise<ListeningSetup> {
  const em = await startEmulators()
  const port = await freePort()
  const t = await createTestApp({
    config: { ...em.config, publicBaseUrl: `http://127.0.0.1:${port}` },
    overrides: { providers: providers(em.config) },
  })
  await t.app.listen({ host: '127.0.0.1', port })
  const account = await t.createAccount()
  const people = await createPeople(account)
  const connected = await connectThroughOAuth(t, account, `/v1/clients/${people.clientId}`, provider)
  if (connected.callbackStatus !== 200)
    throw new Error(`OAuth callback answered ${connected.callbackStatus}: ${connected.callbackText}`)
  return { em, t, account, people, owner: ownerHands(em, provider), connectionId: connected.connectionId }
}

/** Starts the app's worker (channel upkeep every 100 ms) and waits until the setup's connection syncs by push. */
export async function startPushWorker(
  setup: Pick<ListeningSetup, 't' | 'account' | 'connectionId'>,
): Promise<Worker> {
  const worker = await startWorker(setup.t.app.deps, {
    jobTimeoutSeconds: 5,
    dispatchIntervalMs: 50,
    inbound: { channelIntervalMs: 100 },
  })
  await until(
    'push',
    async () => (await setup.account.get(`/v1/connections/${setup.connectionId}`)).body.syncMode === 'push',
  )
  return worker
}

/** The fault rules of one provider's emulator. */
export function faultsOf(em: Emulators, provider: ProviderName): Faults {
  return provider === 'google' ? em.google.faults : em.microsoft.faults
}

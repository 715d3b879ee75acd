// The Google Calendar v3 + Google OAuth emulator: createGoogleEmulator() builds it, listen() serves it.
import Fastify, { type FastifyInstance } from 'fastify'
import { createFaults, type FaultRule, type Faults } from '../shared/faults.js'
import { createNotifier, type Notifier, type NotifierOptions } from '../shared/notifier.js'
import { createRequestLog, type RequestLog } from '../shared/request-log.js'
import { adminRoutes } from './admin-routes.js'
import { apiRoutes } from './api-routes.js'
import { createChannels } from './channels.js'
import { type EmulatorContext, operationOf } from './context.js'
import { errors, GoogleApiError, OAuthError } from './errors.js'
import { type ConsentMode, createOAuth, DEFAULT_CLIENT, type TokenResponse } from './oauth.js'
import { oauthRoutes } from './oauth-routes.js'
import { createQueries } from './queries.js'
import { seedStore } from './seed.js'
import { createCalendarStore, type EventRecord } from './store.js'

export { DEFAULT_CLIENT } from './oauth.js'
export { SEED_USERS } from './seed.js'

export interface GoogleEmulatorOptions {
  /** Fill calendars with realistic sample events (users alice@sandbox.test and bob@sandbox.test). */
  seed?: boolean
  /** The clock; defaults to Date.now. `advanceClock` moves it further forward. */
  now?: () => number
  /** Lifetime of access tokens; Google's is 3600 s. */
  accessTokenTtlSeconds?: number
  /** What the authorize page does: show a page (default), or allow/deny straight away (for automation). */
  consent?: ConsentMode
  /** OAuth clients; DEFAULT_CLIENT is always registered. */
  clients?: Array<{ clientId: string; clientSecret: string; redirectUris?: string[] }>
  /** Delivery of push notifications (retries, timeouts, drop rate). */
  notifier?: NotifierOptions
  channelMaxTtlSeconds?: number
  /** Refuse http:// channel addresses, as Google does. */
  requireHttpsChannels?: boolean
  logger?: boolean
}

type Json = Record<string, unknown>

export interface GoogleEmulator {
  app: FastifyInstance
  /** Starts serving; resolves to the base URL (e.g. http://127.0.0.1:4010). */
  listen(opts?: { host?: string; port?: number }): Promise<string>
  /** The base URL once listening: the `rootUrl` for @googleapis/calendar and the origin of the OAuth endpoints. */
  readonly baseUrl: string
  endpoints(): { rootUrl: string; authUrl: string; tokenUrl: string; revokeUrl: string; tokenInfoUrl: string }
  close(): Promise<void>
  now(): number
  advanceClock(ms: number): void
  reset(opts?: { seed?: boolean }): void

  users: {
    add(u: { email: string; name?: string; timeZone?: string }): {
      email: string
      name: string
      timeZone: string
    }
    list(): Array<{ email: string; name: string; timeZone: string }>
    addCalendar(c: { owner: string; summary: string; id?: string; timeZone?: string }): { id: string }
  }
  /** Acting as the calendar's owner in the Calendar app; every change notifies watch channels. */
  owner: {
    createEvent(calendarId: string, event: object): Json
    updateEvent(calendarId: string, eventId: string, patch: object): Json
    deleteEvent(calendarId: string, eventId: string): void
    respond(
      calendarId: string,
      eventId: string,
      responseStatus: 'accepted' | 'declined' | 'tentative' | 'needsAction',
    ): Json
    getEvent(calendarId: string, eventId: string): Json
    listEvents(calendarId: string): Json[]
    /**
     * What the owner sees in the Calendar app between two instants: single events and the instances of series
     * (exceptions applied, cancelled ones left out), each overlapping [fromMs, toMs). The emulator's own truth,
     * expanded by its own recurrence code, for tests that compare a sync against it. With `seriesId`, only the
     * instances of that series.
     */
    listInstances(calendarId: string, fromMs: number, toMs: number, seriesId?: string): Json[]
  }
  oauth: {
    registerClient(c: { clientId: string; clientSecret: string; redirectUris?: string[] }): void
    setConsent(mode: ConsentMode, userEmail?: string): void
    setAccessTokenTtl(seconds: number): void
    expireAccessTokens(userEmail?: string): void
    revokeGrants(match?: {
      id?: string
      userEmail?: string
      clientId?: string
      refreshToken?: string
    }): number
    grants(): Array<{ id: string; userEmail: string; clientId: string; scopes: string[]; revoked: boolean }>
    issueTokens(i: {
      userEmail: string
      clientId?: string
      scopes?: string[]
    }): TokenResponse & { refresh_token: string }
  }
  sync: { invalidateTokens(calendarId?: string): void }
  channels: {
    list(): Array<{ id: string; calendarId: string; resourceId: string; expiration: number; active: boolean }>
    expire(channelId: string): boolean
    deliveries(): ReturnType<ReturnType<typeof createChannels>['deliveries']>
  }
  faults: Faults
  addFault(rule: FaultRule): void
  requests: RequestLog
  notifier: Notifier
}

export async function createGoogleEmulator(opts: GoogleEmulatorOptions = {}): Promise<GoogleEmulator> {
  const baseNow = opts.now ?? Date.now
  let offset = 0
  const now = () => baseNow() + offset

  const notifier = createNotifier({ timeoutMs: 5000, maxAttempts: 5, backoffMs: 250, ...opts.notifier })
  const store = createCalendarStore({ now })
  const queries = createQueries(store)
  const oauth = createOAuth({
    now,
    store,
    ...(opts.accessTokenTtlSeconds !== undefined
      ? { accessTokenTtlSeconds: opts.accessTokenTtlSeconds }
      : {}),
    ...(opts.consent !== undefined ? { consent: opts.consent } : {}),
  })
  const channels = createChannels({
    now,
    notifier,
    ...(opts.channelMaxTtlSeconds !== undefined ? { maxTtlSeconds: opts.channelMaxTtlSeconds } : {}),
    ...(opts.requireHttpsChannels !== undefined ? { requireHttps: opts.requireHttpsChannels } : {}),
  })
  store.setOnChange((calendarId) => channels.notifyChange(calendarId))
  const faults = createFaults()
  const requests = createRequestLog()

  const registerClients = () => {
    oauth.registerClient(DEFAULT_CLIENT)
    for (const c of opts.clients ?? []) oauth.registerClient(c)
  }
  const reset = (r: { seed?: boolean } = {}) => {
    store.reset()
    oauth.reset()
    channels.reset()
    faults.clear()
    requests.clear()
    if (r.seed) seedStore(store, now())
  }
  registerClients()
  if (opts.seed) seedStore(store, now())

  const ctx: EmulatorContext = {
    now,
    store,
    queries,
    oauth,
    channels,
    faults,
    requests,
    notifier,
    advanceClock: (ms) => {
      offset += ms
    },
    reset,
  }

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 1_048_576 })
  // Empty JSON bodies (DELETE, channels/stop from some clients) are allowed; bad JSON gets Google's parseError.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined)
    try {
      done(null, JSON.parse(body as string))
    } catch {
      done(errors.parseError(), undefined)
    }
  })
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof GoogleApiError) return reply.code(err.status).headers(err.headers).send(err.body())
    if (err instanceof OAuthError) return reply.code(err.status).send(err.body())
    const status = (err as { statusCode?: number }).statusCode
    if (status !== undefined && status >= 400 && status < 500) {
      const e = errors.badRequest('invalid', (err as Error).message || 'Bad Request')
      return reply.code(400).send(e.body())
    }
    req.log.error(err)
    return reply.code(500).send(errors.backendError().body())
  })
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errors.notFound().body()))

  app.addHook('onResponse', async (req, reply) => {
    if (req.url.startsWith('/__admin')) return
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue
      headers[k] = k === 'authorization' ? String(v).replace(/^(\S+\s+).{6}.*$/, '$1…') : String(v)
    }
    requests.record({
      method: req.method,
      path: req.url,
      route: operationOf(req),
      status: reply.statusCode,
      at: now(),
      headers,
    })
  })

  await app.register(async (scope) => apiRoutes(scope, ctx))
  await app.register(async (scope) => oauthRoutes(scope, ctx))
  await app.register(async (scope) => adminRoutes(scope, ctx))

  let baseUrl = ''
  const render = (calendarId: string, r: EventRecord) =>
    store.render(r, store.resolveCalendar(null, calendarId))

  const emulator: GoogleEmulator = {
    app,
    async listen(l = {}) {
      const host = l.host ?? '127.0.0.1'
      await app.listen({ host, port: l.port ?? 0 })
      const addr = app.server.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : l.port
      baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
      return baseUrl
    },
    get baseUrl() {
      if (!baseUrl) throw new Error('Google emulator is not listening yet')
      return baseUrl
    },
    endpoints() {
      const b = emulator.baseUrl
      return {
        rootUrl: `${b}/`,
        authUrl: `${b}/o/oauth2/v2/auth`,
        tokenUrl: `${b}/token`,
        revokeUrl: `${b}/revoke`,
        tokenInfoUrl: `${b}/tokeninfo`,
      }
    },
    async close() {
      notifier.close()
      await notifier.settle()
      await app.close()
    },
    now,
    advanceClock: ctx.advanceClock,
    reset,
    users: {
      add: (u) => store.addUser(u),
      list: () => [...store.users.values()],
      addCalendar: (c) =>
        store.addCalendar({
          ownerEmail: c.owner,
          summary: c.summary,
          ...(c.id !== undefined ? { id: c.id } : {}),
          ...(c.timeZone !== undefined ? { timeZone: c.timeZone } : {}),
        }),
    },
    owner: {
      createEvent: (calendarId, event) =>
        render(calendarId, store.insertEvent(store.resolveCalendar(null, calendarId), event as Json)),
      updateEvent: (calendarId, eventId, patch) =>
        render(calendarId, store.patchEvent(store.resolveCalendar(null, calendarId), eventId, patch as Json)),
      deleteEvent: (calendarId, eventId) =>
        store.deleteEvent(store.resolveCalendar(null, calendarId), eventId),
      respond: (calendarId, eventId, status) =>
        render(calendarId, store.respond(store.resolveCalendar(null, calendarId), eventId, status)),
      getEvent: (calendarId, eventId) =>
        render(calendarId, store.getEvent(store.resolveCalendar(null, calendarId), eventId)),
      listEvents: (calendarId) => {
        const cal = store.resolveCalendar(null, calendarId)
        return [...store.eventsOf(cal).values()].map((r) => store.render(r, cal))
      },
      listInstances: (calendarId, fromMs, toMs, seriesId) => {
        const cal = store.resolveCalendar(null, calendarId)
        const out: Json[] = []
        for (const r of store.eventsOf(cal).values()) {
          if (r.status === 'cancelled' || (seriesId !== undefined && r.id !== seriesId)) continue
          if (store.isMaster(r)) {
            for (const inst of store.instancesOf(r, cal, fromMs, toMs, false))
              out.push(store.render(inst, cal))
          } else if (r.recurringEventId === undefined) {
            const t = store.times(r, cal)
            if (t.startMs < toMs && t.endMs > fromMs) out.push(store.render(r, cal))
          }
        }
        return out
      },
    },
    oauth: {
      registerClient: (c) => {
        oauth.registerClient(c)
      },
      setConsent: (mode, user) => oauth.setConsent(mode, user),
      setAccessTokenTtl: (s) => oauth.setAccessTokenTtl(s),
      expireAccessTokens: (u) => oauth.expireAccessTokens(u),
      revokeGrants: (m) => oauth.revokeGrants(m),
      grants: () => oauth.grants(),
      issueTokens: (i) => oauth.issueTokens(i),
    },
    sync: { invalidateTokens: (calendarId) => store.invalidateSyncTokens(calendarId) },
    channels: {
      list: () => channels.list(),
      expire: (id) => channels.expire(id),
      deliveries: () => channels.deliveries(),
    },
    faults,
    addFault: (rule) => faults.add(rule),
    requests,
    notifier,
  }
  return emulator
}

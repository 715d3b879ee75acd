// The Microsoft Graph v1.0 calendar + identity platform v2.0 emulator: a Fastify app plus in-process owner controls.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { DateTime } from 'luxon'
import { createFaults, type Faults } from '../shared/faults.js'
import { createNotifier, type NotifierOptions } from '../shared/notifier.js'
import { createRequestLog, type RequestLog } from '../shared/request-log.js'
import { registerAdminRoutes } from './admin-routes.js'
import { createDeltaEngine, type DeltaInvalidation } from './delta.js'
import { AadError, aadErrorBody, faultError, GraphHttpError, sendGraphError } from './errors.js'
import { registerGraphRoutes } from './graph-routes.js'
import { type AuthContext, type ConsentMode, createOAuth, type RegisteredClient } from './oauth.js'
import { seedMailbox } from './seed.js'
import {
  createMailboxStore,
  type EmailAddress,
  type MailboxUser,
  type ResponseType,
  renderEvent,
  type StoredCalendar,
} from './store.js'
import { createSubscriptions, type LifecycleEvent, type NotificationDelivery } from './subscriptions.js'
import { resolveZone } from './time.js'

export type { DeltaInvalidation } from './delta.js'
export type { ConsentMode, RegisteredClient } from './oauth.js'
export type { EmailAddress, MailboxUser, ResponseType, ShowAs } from './store.js'
export type { LifecycleEvent, NotificationDelivery } from './subscriptions.js'

export interface MicrosoftEmulatorOptions {
  /** Fill the default user's calendars with a few weeks of realistic events. */
  seed?: boolean
  /** The emulator's clock (token expiry, subscription expiry, seed placement). */
  now?: () => number
  /** The default mailbox owner (the user who signs in unless login_hint names another). */
  user?: Partial<MailboxUser>
  tenantId?: string
  /** Restrict OAuth to these clients; by default any client_id with any non-empty secret is accepted. */
  clients?: RegisteredClient[]
  /** 'auto' redirects straight back with a code (automation, default); 'page' shows Accept/Cancel; 'deny' refuses. */
  consentMode?: ConsentMode
  accessTokenTtlSeconds?: number
  /** 'allow' (Entra's behaviour) or 'reject' a refresh token used a second time. */
  refreshTokenReuse?: 'allow' | 'reject'
  /** Graph allows 10 s for the subscription validation answer. */
  validationTimeoutMs?: number
  /** Delivery of change and lifecycle notifications (Graph: 2xx within 3 s, else retried). */
  notifier?: NotifierOptions
  /** Refuse http notification URLs as real Graph does (off: local receivers are http). */
  requireHttpsNotificationUrls?: boolean
  /** Concurrent requests per mailbox before 429 ApplicationThrottled (Outlook: 4); 0 disables. */
  mailboxConcurrencyLimit?: number
  /** Page size of events/calendarView lists without $top or odata.maxpagesize (Graph: 10). */
  defaultPageSize?: number
  /** Page size of delta rounds without odata.maxpagesize. */
  deltaPageSize?: number
  /** Report out-of-window changes as @removed in delta rounds, as Graph does (default true). */
  outOfWindowRemovals?: boolean
  /** Status of ErrorDuplicateTransactionId (unverified upstream: 400 by default). */
  transactionIdConflictStatus?: number
  /** Fastify logger; off by default. */
  logger?: boolean
}

/** Event fields in Graph's JSON shape plus where to put it and, for invitations, who organised it. */
export interface OwnerEventInput extends Record<string, unknown> {
  userId?: string
  calendarId?: string
  organizer?: EmailAddress
  responseStatus?: ResponseType
}

export type TimeInput = string | number | Date

export interface MicrosoftEmulator {
  app: FastifyInstance
  /** Tells the emulator where it listens (origin, e.g. http://127.0.0.1:4020), for absolute @odata links. */
  setBaseUrl(url: string): void
  /** `${origin}/v1.0` once setBaseUrl was called: what MICROSOFT_GRAPH_BASE_URL should be. */
  readonly graphBaseUrl: string | null
  /** `${origin}/common`: what MICROSOFT_AUTH_BASE_URL should be. */
  readonly authBaseUrl: string | null
  readonly tenantId: string
  readonly defaultUser: MailboxUser
  addUser(user: Partial<MailboxUser> & { mail: string }): MailboxUser
  addCalendar(name: string, opts?: { userId?: string }): { id: string; name: string }
  listCalendars(opts?: { userId?: string }): Array<{ id: string; name: string; isDefaultCalendar: boolean }>

  /** Acting as the mailbox owner in Outlook (these changes fire notifications like API writes do). */
  createEvent(input: OwnerEventInput): Record<string, unknown>
  getEvent(id: string, opts?: { userId?: string; timeZone?: string }): Record<string, unknown> | null
  listInstances(opts: {
    from: TimeInput
    to: TimeInput
    userId?: string
    calendarId?: string
    /** Only the occurrences and exceptions of this series. */
    seriesMasterId?: string
  }): Array<Record<string, unknown>>
  updateEvent(id: string, patch: Record<string, unknown>, opts?: { userId?: string }): Record<string, unknown>
  /** Moves an event or one occurrence (which becomes an exception); keeps the duration unless `end` is given. */
  moveEvent(
    id: string,
    to: { start: TimeInput; end?: TimeInput },
    opts?: { userId?: string },
  ): Record<string, unknown>
  deleteEvent(id: string, opts?: { userId?: string }): void
  declineEvent(id: string, opts?: { userId?: string }): Record<string, unknown>
  acceptEvent(id: string, opts?: { userId?: string }): Record<string, unknown>
  /** The organizer cancelled: the owner's copy stays, with isCancelled true. */
  cancelEvent(id: string, opts?: { userId?: string }): Record<string, unknown>

  /** OAuth: consent behaviour, revocation and expiry. */
  setConsentMode(mode: ConsentMode): void
  refuseNextAuthorization(count?: number): void
  setSignedInUser(idOrMail: string | null): void
  revokeGrant(filter?: { userId?: string; clientId?: string; accessTokens?: boolean }): number
  expireAccessTokens(filter?: { userId?: string; clientId?: string }): number
  expireRefreshTokens(filter?: { userId?: string; clientId?: string }): number
  /** Issues tokens without the browser leg (tests that are not about OAuth). */
  issueTokens(opts?: { userId?: string; clientId?: string; scope?: string }): {
    access_token: string
    refresh_token?: string
    expires_in: number
  }

  /** Delta: make current tokens fail (410 SyncStateNotFound by default). */
  invalidateDeltaTokens(opts?: { userId?: string; reason?: DeltaInvalidation }): number

  /** Subscriptions. */
  listSubscriptions(): Array<Record<string, unknown>>
  expireSubscription(id: string): boolean
  removeSubscription(id: string): boolean
  sendLifecycleNotification(id: string, event: LifecycleEvent): boolean
  notifications(): NotificationDelivery[]
  setNotificationDropRate(rate: number): void
  /** Resolves when no notification is in flight or waiting for a retry. */
  settle(): Promise<void>

  faults: Faults
  requestLog: RequestLog
  /** Empties all state (and seeds again when the emulator was created with seed, unless told otherwise). */
  reset(opts?: { seed?: boolean }): void
  close(): Promise<void>
}

const DEFAULT_USER: MailboxUser = {
  id: '8ee44408-0679-472c-bc2a-692812af3437',
  displayName: 'Megan Bowen',
  mail: 'meganb@contoso.test',
  timeZone: 'W. Europe Standard Time',
}

function toMillis(t: TimeInput): number {
  if (typeof t === 'number') return t
  if (t instanceof Date) return t.getTime()
  const dt = DateTime.fromISO(t, { zone: 'UTC' })
  if (!dt.isValid) throw new TypeError(`not an ISO time: ${t}`)
  return dt.toMillis()
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function createMicrosoftEmulator(
  opts: MicrosoftEmulatorOptions = {},
): Promise<MicrosoftEmulator> {
  const now = opts.now ?? Date.now
  const tenantId = opts.tenantId ?? '84bd8158-6d4d-4958-8b9f-9d6445542f95'
  const userSpec: MailboxUser = { ...DEFAULT_USER, ...opts.user }
  let origin: string | null = null

  const faults = createFaults()
  const requestLog = createRequestLog()
  const notifier = createNotifier({ timeoutMs: 3000, maxAttempts: 4, backoffMs: 250, ...opts.notifier })
  let subscriptions: ReturnType<typeof createSubscriptions> | null = null
  const store = createMailboxStore({ now, onChange: (change) => subscriptions?.notify(change) })
  subscriptions = createSubscriptions({
    store,
    notifier,
    now,
    tenantId,
    validationTimeoutMs: opts.validationTimeoutMs ?? 10_000,
    requireHttps: opts.requireHttpsNotificationUrls ?? false,
  })
  const subs = subscriptions
  const delta = createDeltaEngine({
    store,
    defaultPageSize: opts.deltaPageSize ?? 100,
    maxStates: 20_000,
    outOfWindowRemovals: opts.outOfWindowRemovals ?? true,
  })
  const oauth = createOAuth({
    store,
    now,
    tenantId,
    accessTokenTtlSeconds: opts.accessTokenTtlSeconds ?? 3599,
    refreshTokenIdleSeconds: 90 * 24 * 3600,
    refreshTokenReuse: opts.refreshTokenReuse ?? 'allow',
    consentMode: opts.consentMode ?? 'auto',
    ...(opts.clients ? { clients: opts.clients } : {}),
  })

  let defaultUser = store.addUser(userSpec)
  const populate = (seed: boolean) => {
    if (seed) seedMailbox(store, defaultUser, now())
  }
  populate(opts.seed ?? false)

  const app = Fastify({ logger: opts.logger ?? false, routerOptions: { ignoreTrailingSlash: true } })
  // The token endpoint is form-encoded (identity platform v2.0); no @fastify/formbody here.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))))
  })
  // Bodyless POSTs (reauthorize, accept) often still say application/json; Graph accepts them, Fastify would not.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body)
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(
        new GraphHttpError(
          400,
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        ),
        undefined,
      )
    }
  })
  // Graph tolerates bodyless POSTs (accept, cancel, reauthorize) whatever their content type says.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) =>
    done(null, String(body)),
  )

  const auths = new WeakMap<FastifyRequest, AuthContext>()
  const inFlight = new Map<string, number>()
  const counted = new WeakMap<FastifyRequest, string>()
  const delays = new WeakMap<FastifyRequest, number>()
  const opOf = (req: FastifyRequest) => (req.routeOptions.config as { op?: string } | undefined)?.op
  const isOAuth = (op: string | undefined) => op === 'token' || op === 'authorize'
  const originOf = (req: FastifyRequest) => origin ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`

  app.addHook('onRequest', async (req, reply) => {
    const op = opOf(req)
    if (op === undefined || op.startsWith('admin')) return
    const decision = faults.take(op)
    if (!decision) return
    if (decision.status === undefined) {
      // Pure latency is served inside the mailbox's concurrency accounting (preHandler), like a slow Outlook.
      if (isOAuth(op) && decision.latencyMs) await sleep(decision.latencyMs)
      else if (decision.latencyMs) delays.set(req, decision.latencyMs)
      return
    }
    if (decision.latencyMs) await sleep(decision.latencyMs)
    const headers: Record<string, string> =
      decision.retryAfterSeconds !== undefined ? { 'Retry-After': String(decision.retryAfterSeconds) } : {}
    if (isOAuth(op)) {
      const body = aadErrorBody(
        {
          error: 'temporarily_unavailable',
          aadsts: 90033,
          description: 'A transient error has occurred. Please try again.',
        },
        now(),
      )
      return reply.code(decision.status).headers(headers).send(body)
    }
    const { code, message } = faultError(decision.status)
    return sendGraphError(req, reply, now(), decision.status, code, message, headers)
  })

  app.addHook('preHandler', async (req, reply) => {
    const op = opOf(req)
    if (op === undefined || op.startsWith('admin') || isOAuth(op)) return
    const result = oauth.authenticate(req.headers.authorization)
    if (typeof result === 'string') {
      const message =
        result === 'missing'
          ? 'Access token is empty.'
          : result === 'expired'
            ? 'Access token has expired or is not yet valid.'
            : 'IDX14100: JWT is not well formed, there are no dots (.).'
      return sendGraphError(req, reply, now(), 401, 'InvalidAuthenticationToken', message, {
        'WWW-Authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
      })
    }
    auths.set(req, result)
    const limit = opts.mailboxConcurrencyLimit ?? 4
    const current = inFlight.get(result.userId) ?? 0
    if (limit > 0 && current >= limit) {
      // Outlook allows 4 concurrent requests per app and mailbox (providers.md B4).
      return sendGraphError(
        req,
        reply,
        now(),
        429,
        'ApplicationThrottled',
        'Application is over its MailboxConcurrency limit.',
        {
          'Retry-After': '1',
        },
      )
    }
    inFlight.set(result.userId, current + 1)
    counted.set(req, result.userId)
    const delay = delays.get(req)
    if (delay) await sleep(delay)
  })

  app.addHook('onResponse', async (req, reply) => {
    const userId = counted.get(req)
    if (userId !== undefined) inFlight.set(userId, Math.max(0, (inFlight.get(userId) ?? 1) - 1))
    const op = opOf(req) ?? 'unknown'
    if (op.startsWith('admin')) return
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string') headers[k] = k === 'authorization' ? v.replace(/\s.*/, ' [redacted]') : v
    }
    requestLog.record({
      method: req.method,
      path: req.url,
      route: op,
      status: reply.statusCode,
      at: now(),
      headers,
    })
  })

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof GraphHttpError) {
      return sendGraphError(req, reply, now(), err.status, err.code, err.message, err.headers)
    }
    if (err instanceof AadError) return reply.code(err.status).send(aadErrorBody(err, now()))
    const status = (err as { statusCode?: number }).statusCode ?? 500
    if (status < 500) {
      const code = status === 415 ? 'UnsupportedMediaType' : 'BadRequest'
      return sendGraphError(req, reply, now(), status, code, (err as Error).message)
    }
    req.log.error(err)
    return sendGraphError(req, reply, now(), 500, 'generalException', 'An internal server error occurred.')
  })

  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/v1.0/')) {
      const segment = req.url.split('?')[0]?.split('/').filter(Boolean).pop() ?? ''
      return sendGraphError(
        req,
        reply,
        now(),
        400,
        'BadRequest',
        `Resource not found for the segment '${segment}'.`,
      )
    }
    return reply.code(404).send({ error: 'not_found', message: `No route ${req.method} ${req.url}` })
  })

  registerGraphRoutes(app, {
    store,
    delta,
    subscriptions: subs,
    auth: (req) => {
      const a = auths.get(req)
      if (!a) throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token is empty.')
      return a
    },
    linkBase: (req) => `${originOf(req)}/v1.0`,
    defaultPageSize: opts.defaultPageSize ?? 10,
    transactionIdConflictStatus: opts.transactionIdConflictStatus ?? 400,
  })

  const html = (reply: FastifyReply, result: { redirect?: string; html?: string; status?: number }) => {
    if (result.redirect) return reply.redirect(result.redirect, 302)
    return reply
      .code(result.status ?? 200)
      .type('text/html; charset=utf-8')
      .send(result.html ?? '')
  }
  app.get('/:tenant/oauth2/v2.0/authorize', { config: { op: 'authorize' } as object }, async (req, reply) => {
    const { tenant } = req.params as { tenant: string }
    return html(reply, oauth.authorize(req.query as Record<string, string>, `/${tenant}`))
  })
  app.post(
    '/:tenant/oauth2/v2.0/authorize/consent',
    { config: { op: 'authorize' } as object },
    async (req, reply) => {
      const form = (req.body ?? {}) as Record<string, string>
      return html(reply, oauth.decide(form.request ?? '', form.decision ?? ''))
    },
  )
  app.post('/:tenant/oauth2/v2.0/token', { config: { op: 'token' } as object }, async (req, reply) => {
    const form = req.body
    if (typeof form !== 'object' || form === null) {
      throw new AadError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      )
    }
    reply.header('Cache-Control', 'no-store, no-cache').header('Pragma', 'no-cache')
    return oauth.token(form as Record<string, string>)
  })

  const userIdOf = (o?: { userId?: string }) => {
    if (o?.userId === undefined) return defaultUser.id
    const u = store.findUser(o.userId)
    if (!u) throw new GraphHttpError(404, 'ErrorInvalidUser', `The requested user '${o.userId}' is invalid.`)
    return u.id
  }
  const render = (ev: Parameters<typeof renderEvent>[0], timeZone?: string) =>
    renderEvent(ev, timeZone !== undefined ? { timeZone } : {})

  const emulator: MicrosoftEmulator = {
    app,
    setBaseUrl(url) {
      origin = url.replace(/\/+$/, '').replace(/\/v1\.0$/, '')
    },
    get graphBaseUrl() {
      return origin === null ? null : `${origin}/v1.0`
    },
    get authBaseUrl() {
      return origin === null ? null : `${origin}/common`
    },
    tenantId,
    get defaultUser() {
      return { ...defaultUser }
    },
    addUser: (u) => ({ ...store.addUser(u) }),
    addCalendar(name, o) {
      const cal = store.addCalendar(userIdOf(o), { name })
      return { id: cal.id, name: cal.name }
    },
    listCalendars: (o) =>
      store
        .listCalendars(userIdOf(o))
        .map((c: StoredCalendar) => ({ id: c.id, name: c.name, isDefaultCalendar: c.isDefaultCalendar })),

    createEvent(input) {
      const { userId, calendarId, organizer, responseStatus, ...fields } = input
      const uid = userIdOf(userId !== undefined ? { userId } : undefined)
      const cal = calendarId ?? store.defaultCalendar(uid).id
      return render(
        store.createEvent(uid, cal, fields, {
          ...(organizer ? { organizer } : {}),
          ...(responseStatus ? { responseStatus } : {}),
        }),
      )
    },
    getEvent(id, o) {
      try {
        const r = store.resolve(userIdOf(o), id)
        if (r.occurrenceStart === undefined) return render(r.event, o?.timeZone)
        return render(
          {
            id,
            type: 'occurrence',
            event: r.event,
            start: r.occurrenceStart,
            end: r.occurrenceStart + r.event.end - r.event.start,
            changeKey: r.event.seriesKey,
          },
          o?.timeZone,
        )
      } catch (err) {
        if (err instanceof GraphHttpError && err.status === 404) return null
        throw err
      }
    },
    listInstances(o) {
      const uid = userIdOf(o)
      const cal = o.calendarId ?? store.defaultCalendar(uid).id
      return store
        .instances(uid, cal, toMillis(o.from), toMillis(o.to), o.seriesMasterId)
        .map((i) => render(i))
    },
    updateEvent: (id, patch, o) => render(store.updateEvent(userIdOf(o), id, { ...patch })),
    moveEvent(id, to, o) {
      const uid = userIdOf(o)
      const r = store.resolve(uid, id)
      const duration = r.event.end - r.event.start
      const start = toMillis(to.start)
      const end = to.end !== undefined ? toMillis(to.end) : start + duration
      const zone = resolveZone(r.event.startZone) ?? 'UTC'
      const local = (ms: number) => ({
        dateTime: DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss"),
        timeZone: r.event.startZone,
      })
      return render(store.updateEvent(uid, id, { start: local(start), end: local(end) }))
    },
    deleteEvent: (id, o) => store.deleteEvent(userIdOf(o), id),
    declineEvent: (id, o) => render(store.respond(userIdOf(o), id, 'declined')),
    acceptEvent: (id, o) => render(store.respond(userIdOf(o), id, 'accepted')),
    cancelEvent: (id, o) => render(store.markCancelled(userIdOf(o), id)),

    setConsentMode: (mode) => oauth.setConsentMode(mode),
    refuseNextAuthorization: (count) => oauth.refuseNext(count),
    setSignedInUser: (u) => oauth.setSignedInUser(u),
    revokeGrant: (filter = {}) =>
      oauth.revoke(filter.userId !== undefined ? { ...filter, userId: userIdOf(filter) } : filter),
    expireAccessTokens: (filter = {}) => oauth.expireAccessTokens(filter),
    expireRefreshTokens: (filter = {}) => oauth.expireRefreshTokens(filter),
    issueTokens(o = {}) {
      const body = oauth.mint(userIdOf(o), o.clientId ?? 'officehours-sandbox-client', o.scope)
      return body as { access_token: string; refresh_token?: string; expires_in: number }
    },

    invalidateDeltaTokens: (o = {}) =>
      delta.invalidate(o.userId !== undefined ? userIdOf(o) : undefined, o.reason ?? 'syncStateNotFound'),

    listSubscriptions: () => subs.all(),
    expireSubscription: (id) => subs.expire(id),
    removeSubscription(id) {
      const existed = subs.all().some((s) => s.id === id)
      subs.lifecycle(id, 'subscriptionRemoved')
      return existed
    },
    sendLifecycleNotification: (id, event) => subs.lifecycle(id, event),
    notifications: () => subs.deliveries(),
    setNotificationDropRate: (rate) => notifier.setDropRate(rate),
    settle: () => notifier.settle(),

    faults,
    requestLog,
    reset(o = {}) {
      store.clear()
      delta.clear()
      subs.clear()
      oauth.clear()
      faults.clear()
      requestLog.clear()
      inFlight.clear()
      defaultUser = store.addUser(userSpec)
      populate(o.seed ?? opts.seed ?? false)
    },
    async close() {
      notifier.close()
      await app.close()
    },
  }

  registerAdminRoutes(app, emulator)
  return emulator
}

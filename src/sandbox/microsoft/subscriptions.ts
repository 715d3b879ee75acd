// Graph change-notification subscriptions: validation handshake, lifetime rules, notifications and lifecycle events.
import { randomUUID } from 'node:crypto'
import type { Notifier } from '../shared/notifier.js'
import { GraphHttpError } from './errors.js'
import type { EventChange, MailboxStore } from './store.js'
import { graphTimestamp } from './time.js'

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed'

export interface Subscription {
  id: string
  userId: string
  applicationId: string
  resource: string
  /** Null: every calendar of the mailbox (`/me/events`). */
  calendarId: string | null
  changeType: string
  clientState: string | null
  notificationUrl: string
  lifecycleNotificationUrl: string | null
  expiration: number
  latestSupportedTlsVersion: string
}

export interface NotificationDelivery {
  kind: 'change' | 'lifecycle'
  subscriptionId: string
  url: string
  at: number
  delivered?: boolean
  /** Never sent: lost to the drop rate. */
  dropped?: boolean
  status?: number
  attempts?: number
  error?: string
}

export interface SubscriptionsOptions {
  store: MailboxStore
  notifier: Notifier
  now: () => number
  tenantId: string
  validationTimeoutMs: number
  /** Real Graph refuses http notification URLs; local receivers need http, so this is off by default. */
  requireHttps: boolean
}

// Live Graph refuses more than 10,070 minutes for Outlook events and raises anything under 45 (providers.md §0.6, B1).
const MAX_MINUTES = 10_070
const MIN_MINUTES = 45
const CHANGE_TYPES = ['created', 'updated', 'deleted']

function bad(code: string, message: string): GraphHttpError {
  return new GraphHttpError(400, code, message)
}

export type SubscriptionsService = ReturnType<typeof createSubscriptions>

export function createSubscriptions(opts: SubscriptionsOptions) {
  const subs = new Map<string, Subscription>()
  const deliveries: NotificationDelivery[] = []

  const active = (s: Subscription) => s.expiration > opts.now()

  function record(d: NotificationDelivery) {
    deliveries.push(d)
    if (deliveries.length > 1000) deliveries.shift()
    return d
  }

  function render(s: Subscription) {
    return {
      id: s.id,
      resource: s.resource,
      applicationId: s.applicationId,
      changeType: s.changeType,
      clientState: s.clientState,
      notificationUrl: s.notificationUrl,
      notificationQueryOptions: null,
      notificationContentType: null,
      lifecycleNotificationUrl: s.lifecycleNotificationUrl,
      expirationDateTime: new Date(s.expiration).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      creatorId: s.userId,
      includeResourceData: null,
      latestSupportedTlsVersion: s.latestSupportedTlsVersion,
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    }
  }

  function parseResource(resource: string, userId: string): { userId: string; calendarId: string | null } {
    const parts = resource
      .replace(/^\/+/, '')
      .replace(/^v1\.0\//i, '')
      .split('/')
    let owner: string | undefined
    let rest: string[]
    if (parts[0]?.toLowerCase() === 'me') {
      owner = userId
      rest = parts.slice(1)
    } else if (parts[0]?.toLowerCase() === 'users' && parts[1]) {
      owner = opts.store.findUser(parts[1])?.id
      if (owner === undefined)
        throw new GraphHttpError(404, 'ResourceNotFound', `User '${parts[1]}' not found.`)
      rest = parts.slice(2)
    } else {
      throw bad('InvalidRequest', `The resource '${resource}' is not supported for subscriptions.`)
    }
    if (owner !== userId) {
      throw new GraphHttpError(
        403,
        'ExtensionError',
        'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied.]',
      )
    }
    const lower = rest.map((p) => p.toLowerCase())
    if (lower.length === 1 && lower[0] === 'events') return { userId: owner, calendarId: null }
    if (lower.length === 2 && lower[0] === 'calendar' && lower[1] === 'events') {
      return { userId: owner, calendarId: opts.store.defaultCalendar(owner).id }
    }
    if (lower.length === 3 && lower[0] === 'calendars' && lower[2] === 'events' && rest[1]) {
      return { userId: owner, calendarId: opts.store.getCalendar(owner, rest[1]).id }
    }
    throw bad('InvalidRequest', `The resource '${resource}' is not supported for subscriptions.`)
  }

  function expirationFrom(value: unknown): number {
    const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
    if (Number.isNaN(ms)) throw bad('InvalidRequest', "Invalid 'expirationDateTime' value.")
    const now = opts.now()
    if (ms <= now) throw bad('InvalidRequest', 'Subscription expiration can only be in the future.')
    if (ms > now + MAX_MINUTES * 60_000) {
      throw bad('ExtensionError', `Subscription expiration can only be ${MAX_MINUTES} minutes in the future.`)
    }
    return Math.max(ms, now + MIN_MINUTES * 60_000)
  }

  function checkUrl(name: string, value: unknown): string {
    if (typeof value !== 'string') throw bad('InvalidRequest', `'${name}' is required.`)
    let url: URL
    try {
      url = new URL(value)
    } catch {
      throw bad('InvalidRequest', `Invalid '${name}' value.`)
    }
    if (opts.requireHttps ? url.protocol !== 'https:' : !['http:', 'https:'].includes(url.protocol)) {
      throw bad('InvalidRequest', `The Url scheme must be https for '${name}'.`)
    }
    return value
  }

  /** Graph's handshake: POST ?validationToken=… and expect 200 text/plain echoing it, within the time limit. */
  async function validate(url: string): Promise<void> {
    // Real tokens are human-readable with spaces and colons, so an app that echoes the encoded form fails.
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`
    const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`
    let res: Response
    try {
      res = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '',
        signal: AbortSignal.timeout(opts.validationTimeoutMs),
      })
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
      throw bad(
        'ValidationError',
        timedOut
          ? 'Subscription validation request timed out.'
          : `Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.`,
      )
    }
    const body = await res.text().catch(() => '')
    if (res.status !== 200) {
      const reason = res.status === 400 ? 'BadRequest' : String(res.status)
      throw bad(
        'ValidationError',
        `Subscription validation request failed. Notification endpoint must respond with 200 OK to validation ` +
          `request. Response HTTP status code is '${reason}'.`,
      )
    }
    if (!(res.headers.get('content-type') ?? '').toLowerCase().startsWith('text/plain')) {
      throw bad(
        'ValidationError',
        'Subscription validation request failed. Must respond with Content-Type text/plain.',
      )
    }
    if (body !== token) {
      throw bad(
        'ValidationError',
        'Subscription validation request failed. Response must exactly match validationToken query parameter.',
      )
    }
  }

  async function create(input: Record<string, unknown>, auth: { userId: string; clientId: string }) {
    const changeType = String(input.changeType ?? '')
    const types = changeType.split(',').map((t) => t.trim())
    if (changeType === '' || types.some((t) => !CHANGE_TYPES.includes(t))) {
      throw bad('InvalidRequest', "Invalid 'changeType' value.")
    }
    const notificationUrl = checkUrl('notificationUrl', input.notificationUrl)
    const lifecycleNotificationUrl =
      input.lifecycleNotificationUrl === undefined || input.lifecycleNotificationUrl === null
        ? null
        : checkUrl('lifecycleNotificationUrl', input.lifecycleNotificationUrl)
    if (typeof input.resource !== 'string') throw bad('InvalidRequest', "'resource' is required.")
    const scope = parseResource(input.resource, auth.userId)
    const clientState =
      input.clientState === undefined || input.clientState === null ? null : String(input.clientState)
    if (clientState !== null && clientState.length > 128) {
      throw bad('InvalidRequest', 'clientState must be at most 128 characters.')
    }
    const expiration = expirationFrom(input.expirationDateTime)
    await validate(notificationUrl)
    if (lifecycleNotificationUrl !== null) await validate(lifecycleNotificationUrl)
    const sub: Subscription = {
      id: randomUUID(),
      userId: scope.userId,
      applicationId: auth.clientId,
      resource: input.resource,
      calendarId: scope.calendarId,
      changeType: types.join(','),
      clientState,
      notificationUrl,
      lifecycleNotificationUrl,
      expiration,
      latestSupportedTlsVersion: String(input.latestSupportedTlsVersion ?? 'v1_2'),
    }
    subs.set(sub.id, sub)
    return render(sub)
  }

  function owned(id: string, auth: { userId: string; clientId: string }): Subscription {
    const sub = subs.get(id)
    if (!sub || !active(sub) || sub.userId !== auth.userId || sub.applicationId !== auth.clientId) {
      throw new GraphHttpError(404, 'ResourceNotFound', `The object was not found. Subscription '${id}'.`)
    }
    return sub
  }

  async function update(
    id: string,
    input: Record<string, unknown>,
    auth: { userId: string; clientId: string },
  ) {
    const sub = owned(id, auth)
    if (Object.hasOwn(input, 'lifecycleNotificationUrl')) {
      throw bad(
        'InvalidRequest',
        'lifecycleNotificationUrl can only be set when the subscription is created.',
      )
    }
    const expiration = Object.hasOwn(input, 'expirationDateTime')
      ? expirationFrom(input.expirationDateTime)
      : undefined
    if (Object.hasOwn(input, 'notificationUrl')) {
      // Only a changed URL is validated again (providers.md B1 point 4: renewal re-validation is unclear).
      const url = checkUrl('notificationUrl', input.notificationUrl)
      if (url !== sub.notificationUrl) await validate(url)
      sub.notificationUrl = url
    }
    if (expiration !== undefined) sub.expiration = expiration
    return render(sub)
  }

  function notify(change: EventChange) {
    const now = opts.now()
    for (const sub of subs.values()) {
      if (!active(sub) || sub.userId !== change.userId) continue
      if (sub.calendarId !== null && sub.calendarId !== change.calendarId) continue
      if (!sub.changeType.split(',').includes(change.changeType)) continue
      const resource = `Users/${change.userId}/Events/${change.eventId}`
      const body = {
        value: [
          {
            subscriptionId: sub.id,
            subscriptionExpirationDateTime: new Date(sub.expiration).toISOString().replace('Z', '+00:00'),
            changeType: change.changeType,
            resource,
            resourceData: {
              '@odata.type': '#Microsoft.Graph.Event',
              '@odata.id': resource,
              '@odata.etag': `W/"${change.changeKey}"`,
              id: change.eventId,
            },
            clientState: sub.clientState,
            tenantId: opts.tenantId,
          },
        ],
      }
      send(sub, 'change', sub.notificationUrl, body, now)
    }
  }

  function send(
    sub: Subscription,
    kind: NotificationDelivery['kind'],
    url: string,
    body: unknown,
    at: number,
  ) {
    const entry = record({ kind, subscriptionId: sub.id, url, at })
    opts.notifier.send(url, {
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      onResult: (r) => {
        entry.delivered = r.delivered
        if (r.dropped) entry.dropped = true
        entry.attempts = r.attempts
        if (r.status !== undefined) entry.status = r.status
        if (r.error !== undefined) entry.error = r.error
      },
    })
  }

  /** Sends a lifecycle notification (admin); subscriptionRemoved also removes the subscription. */
  function lifecycle(id: string, event: LifecycleEvent): boolean {
    const sub = subs.get(id)
    if (!sub) return false
    if (event === 'subscriptionRemoved') subs.delete(id)
    if (sub.lifecycleNotificationUrl === null) return false
    const body = {
      value: [
        {
          subscriptionId: sub.id,
          subscriptionExpirationDateTime: graphTimestamp(sub.expiration),
          tenantId: opts.tenantId,
          clientState: sub.clientState,
          lifecycleEvent: event,
        },
      ],
    }
    send(sub, 'lifecycle', sub.lifecycleNotificationUrl, body, opts.now())
    return true
  }

  return {
    create,
    update,
    get: (id: string, auth: { userId: string; clientId: string }) => render(owned(id, auth)),
    list: (auth: { userId: string; clientId: string }) =>
      [...subs.values()].filter((s) => active(s) && s.applicationId === auth.clientId).map(render),
    remove(id: string, auth: { userId: string; clientId: string }) {
      subs.delete(owned(id, auth).id)
    },
    reauthorize(id: string, auth: { userId: string; clientId: string }) {
      owned(id, auth)
    },
    notify,
    lifecycle,
    /** Admin: every subscription, expired ones included. */
    all: () => [...subs.values()].map((s) => ({ ...render(s), active: active(s) })),
    expire(id: string): boolean {
      const sub = subs.get(id)
      if (!sub) return false
      sub.expiration = opts.now()
      return true
    },
    deliveries: () => [...deliveries],
    clear() {
      subs.clear()
      deliveries.length = 0
    },
  }
}

// events.watch push channels: validation, expiry, and the sync/exists notifications Google POSTs (providers.md A2).

import { randomToken } from '../shared/ids.js'
import type { DeliveryResult, Notifier } from '../shared/notifier.js'
import { errors, GoogleApiError } from './errors.js'
import type { CalendarRecord } from './store.js'

export interface Channel {
  id: string
  resourceId: string
  resourceUri: string
  calendarId: string
  address: string
  token?: string
  /** Epoch milliseconds. */
  expiration: number
  userEmail: string
  clientId: string
  messageNumber: number
  stopped: boolean
  createdAt: number
}

export interface Delivery {
  channelId: string
  state: 'sync' | 'exists'
  messageNumber: number
  at: number
  result?: DeliveryResult
}

export interface ChannelsOptions {
  now: () => number
  notifier: Notifier
  /** Longest channel life; Google's default ttl and practical maximum are 7 days (providers.md A2). */
  maxTtlSeconds?: number
  /** Google wants https addresses with a valid certificate; the sandbox accepts http unless told otherwise. */
  requireHttps?: boolean
  random?: () => number
}

const DEFAULT_TTL_SECONDS = 604_800

export function createChannels(opts: ChannelsOptions) {
  const { now, notifier } = opts
  const random = opts.random ?? Math.random
  const maxTtlMs = (opts.maxTtlSeconds ?? DEFAULT_TTL_SECONDS) * 1000
  const channels = new Map<string, Channel>()
  const resourceIds = new Map<string, string>()
  let deliveries: Delivery[] = []

  const active = (c: Channel) => !c.stopped && c.expiration > now()

  function resourceIdOf(calendarId: string): string {
    let id = resourceIds.get(calendarId)
    if (!id) {
      id = randomToken('', 18).replace(/[-_]/g, 'x')
      resourceIds.set(calendarId, id)
    }
    return id
  }

  function send(channel: Channel, state: 'sync' | 'exists'): void {
    const headers: Record<string, string> = {
      // An empty body that claims to be JSON, with a malformed charset parameter: exactly what Google sends (providers.md §0.4).
      'Content-Type': 'application/json; utf-8',
      'User-Agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
      'X-Goog-Channel-ID': channel.id,
      'X-Goog-Channel-Expiration': new Date(channel.expiration).toUTCString(),
      'X-Goog-Resource-ID': channel.resourceId,
      'X-Goog-Resource-URI': channel.resourceUri,
      'X-Goog-Resource-State': state,
      'X-Goog-Message-Number': String(channel.messageNumber),
    }
    if (channel.token !== undefined) headers['X-Goog-Channel-Token'] = channel.token
    const delivery: Delivery = {
      channelId: channel.id,
      state,
      messageNumber: channel.messageNumber,
      at: now(),
    }
    deliveries.push(delivery)
    if (deliveries.length > 5000) deliveries = deliveries.slice(-5000)
    notifier.send(channel.address, {
      headers,
      body: '',
      onResult: (result) => {
        delivery.result = result
      },
    })
  }

  /** POST .../events/watch: validates the channel and sends the `sync` message before answering. */
  function watch(
    cal: CalendarRecord,
    caller: { userEmail: string; clientId: string },
    body: unknown,
  ): Record<string, unknown> {
    if (typeof body !== 'object' || body === null) throw errors.parseError()
    const b = body as Record<string, unknown>
    const id = b['id']
    if (typeof id !== 'string' || id.length === 0) throw errors.required('Required', 'id')
    if (id.length > 64) throw errors.invalid('Channel id must be at most 64 characters.', 'id')
    const type = b['type']
    if (type !== 'web_hook' && type !== 'webhook') {
      throw errors.badRequest('invalid', `Unknown channel type: ${String(type ?? '')}`)
    }
    const address = b['address']
    if (typeof address !== 'string' || address.length === 0) throw errors.required('Required', 'address')
    let url: URL
    try {
      url = new URL(address)
    } catch {
      throw errors.badRequest('invalid', `Invalid notification address: ${address}`)
    }
    const okProtocol = opts.requireHttps ? url.protocol === 'https:' : /^https?:$/.test(url.protocol)
    if (!okProtocol)
      throw errors.badRequest('push.webhookUrlNotHttps', 'WebHook callback must be HTTPS: ' + address)
    const token = b['token']
    if (token !== undefined && (typeof token !== 'string' || token.length > 256)) {
      throw errors.invalid('Channel token must be a string of at most 256 characters.', 'token')
    }
    const t = now()
    let expiration = t + DEFAULT_TTL_SECONDS * 1000
    const params = b['params']
    const ttl =
      typeof params === 'object' && params !== null ? (params as Record<string, unknown>)['ttl'] : undefined
    if (ttl !== undefined) {
      const seconds = Number(ttl)
      if (!Number.isFinite(seconds) || seconds <= 0)
        throw errors.badRequest('pushInvalidTtl', `Invalid ttl value for channel ${String(ttl)}`)
      expiration = t + seconds * 1000
    }
    if (b['expiration'] !== undefined && b['expiration'] !== null) {
      const requested = Number(b['expiration'])
      // An expiration in the past (typically seconds sent instead of milliseconds) is refused (providers.md A2 ⚠ [obs]).
      if (!Number.isFinite(requested) || requested <= t) {
        throw errors.badRequest('pushInvalidTtl', `Invalid ttl value for channel ${String(b['expiration'])}`)
      }
      expiration = Math.min(expiration, requested)
    }
    expiration = Math.min(expiration, t + maxTtlMs)
    const existing = channels.get(id)
    if (existing && active(existing))
      throw errors.badRequest('channelIdNotUnique', `Channel id ${id} not unique`)
    const channel: Channel = {
      id,
      resourceId: resourceIdOf(cal.id),
      resourceUri: `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(cal.id)}/events?alt=json`,
      calendarId: cal.id,
      address,
      ...(typeof token === 'string' ? { token } : {}),
      expiration,
      userEmail: caller.userEmail,
      clientId: caller.clientId,
      messageNumber: 1,
      stopped: false,
      createdAt: t,
    }
    channels.set(id, channel)
    // The sync message goes out before the watch response, so receivers must accept a sync for an unknown channel.
    send(channel, 'sync')
    return {
      kind: 'api#channel',
      id,
      resourceId: channel.resourceId,
      resourceUri: channel.resourceUri,
      ...(channel.token !== undefined ? { token: channel.token } : {}),
      expiration: String(expiration),
    }
  }

  /** POST /channels/stop: only the creator (same user, same OAuth client) may stop a channel. */
  function stop(caller: { userEmail: string; clientId: string } | null, body: unknown): void {
    if (typeof body !== 'object' || body === null) throw errors.parseError()
    const b = body as Record<string, unknown>
    const id = b['id']
    const resourceId = b['resourceId']
    if (typeof id !== 'string') throw errors.required('Required', 'id')
    if (typeof resourceId !== 'string') throw errors.required('Required', 'resourceId')
    const c = channels.get(id)
    if (!c || c.stopped || c.resourceId !== resourceId) {
      throw new GoogleApiError(404, {
        domain: 'global',
        reason: 'notFound',
        message: `Channel '${id}' not found for project 'sandbox'`,
      })
    }
    if (caller && (c.userEmail !== caller.userEmail || c.clientId !== caller.clientId)) {
      throw errors.forbidden('Channel can only be stopped by its creator.')
    }
    c.stopped = true
  }

  /** Sends `exists` to every live channel of the calendar; Google reports creates, changes and deletes alike. */
  function notifyChange(calendarId: string): void {
    for (const c of channels.values()) {
      if (c.calendarId !== calendarId || !active(c)) continue
      // Rising but not consecutive numbers (providers.md A2), so receivers do not count on gaps meaning loss.
      c.messageNumber += 1 + Math.floor(random() * 3)
      send(c, 'exists')
    }
  }

  return {
    watch,
    stop,
    notifyChange,
    list: () => [...channels.values()].map((c) => ({ ...c, active: active(c) })),
    get: (id: string) => channels.get(id),
    /** Ends a channel's life now, as if its expiration had passed. */
    expire(id: string): boolean {
      const c = channels.get(id)
      if (!c) return false
      c.expiration = Math.min(c.expiration, now())
      return true
    },
    deliveries: () => [...deliveries],
    reset(): void {
      channels.clear()
      deliveries = []
    },
  }
}

export type Channels = ReturnType<typeof createChannels>

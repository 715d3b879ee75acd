// Microsoft adapter of the provider port: Graph v1.0 through @microsoft/microsoft-graph-client, OAuth v2.0 by fetch.
import { createHash } from 'node:crypto'
import type { Client } from '@microsoft/microsoft-graph-client'
import { DateTime } from 'luxon'
import { createGraphClient, graphPathFromLink } from './microsoft-client.js'
import type {
  CalendarSession,
  ChangeSet,
  EventDraft,
  ProviderAdapter,
  ProviderCalendar,
  ProviderEvent,
  ResponseStatus,
  ShowAs,
  TokenSet,
  WrittenEvent,
} from './provider.js'
import { ProviderError } from './provider.js'

export interface MicrosoftAdapterOptions {
  clientId: string
  clientSecret: string
  /** MICROSOFT_GRAPH_BASE_URL, version included. */
  graphBaseUrl: string
  /** MICROSOFT_AUTH_BASE_URL, tenant included; /oauth2/v2.0/... is appended. */
  authBaseUrl: string
  /** Delta page size (odata.maxpagesize). */
  pageSize?: number
  /** The SDK's RetryHandler: retries of 429/503/504 honouring Retry-After (providers.md §0.9). */
  retry?: { maxRetries?: number; delaySeconds?: number }
}

// offline_access is what yields a refresh token (providers.md B5).
export const MICROSOFT_SCOPES = ['offline_access', 'openid', 'email', 'User.Read', 'Calendars.ReadWrite']

function retryAfterOf(headers: unknown): { retryAfterSeconds?: number } {
  const raw =
    headers && typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(n: string): string | null }).get('retry-after')
      : undefined
  const n = raw == null ? Number.NaN : Number(raw)
  return Number.isFinite(n) ? { retryAfterSeconds: n } : {}
}

/** Turns a GraphError (or a failed fetch) into a ProviderError; messages carry Graph's code, never tokens. */
export function graphError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err
  const e = err as { statusCode?: number; code?: string | null; headers?: unknown }
  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined
  if (status === undefined) return new ProviderError('microsoft', 'unavailable', `${what}: no response`)
  const code = e.code ?? ''
  const msg = `${what}: ${status}${code ? ` ${code}` : ''}`
  if (status === 429)
    return new ProviderError('microsoft', 'rate_limited', msg, { status, ...retryAfterOf(e.headers) })
  if (status === 401 || status === 403) return new ProviderError('microsoft', 'auth', msg, { status })
  // 410 SyncStateNotFound / resyncRequired / a Location restart: start the delta round again (providers.md B2).
  if (status === 410 || /syncStateNotFound|resyncRequired/i.test(code))
    return new ProviderError('microsoft', 'cursor_expired', msg, { status })
  if (status === 404) return new ProviderError('microsoft', 'not_found', msg, { status })
  if (status === 409 || status === 412 || code === 'ErrorDuplicateTransactionId')
    return new ProviderError('microsoft', 'conflict', msg, { status, ...(code ? { code } : {}) })
  if (status >= 500)
    return new ProviderError('microsoft', 'unavailable', msg, { status, ...retryAfterOf(e.headers) })
  return new ProviderError('microsoft', 'invalid', msg, { status })
}

interface GraphDateTime {
  dateTime?: string
  timeZone?: string
}

interface GraphEvent {
  id?: string
  '@removed'?: unknown
  changeKey?: string
  iCalUId?: string
  seriesMasterId?: string | null
  type?: string
  isAllDay?: boolean
  isCancelled?: boolean
  isOrganizer?: boolean
  showAs?: string
  originalStartTimeZone?: string
  responseStatus?: { response?: string }
  start?: GraphDateTime
  end?: GraphDateTime
}

const SHOW_AS: Record<string, ShowAs> = {
  free: 'free',
  tentative: 'tentative',
  busy: 'busy',
  oof: 'oof',
  workingElsewhere: 'working_elsewhere',
  unknown: 'unknown',
}

const RESPONSE: Record<string, ResponseStatus> = {
  none: 'none',
  organizer: 'organizer',
  accepted: 'accepted',
  tentativelyAccepted: 'tentative',
  declined: 'declined',
  notResponded: 'needs_action',
}

function isZone(zone: string | undefined): zone is string {
  return zone !== undefined && DateTime.local().setZone(zone).isValid
}

function instantOf(t: GraphDateTime | undefined, allDay: boolean, zone: string): Date | null {
  if (!t?.dateTime) return null
  // All-day events are midnight dates (providers.md B3): the owner's local midnight to midnight.
  if (allDay) {
    const dt = DateTime.fromISO(t.dateTime.slice(0, 10), { zone })
    return dt.isValid ? dt.toJSDate() : null
  }
  // Asked for with Prefer: outlook.timezone="UTC", so dateTime is UTC without an offset.
  const tz = t.timeZone && t.timeZone !== 'UTC' && isZone(t.timeZone) ? t.timeZone : 'UTC'
  const dt = DateTime.fromISO(t.dateTime, { zone: tz })
  return dt.isValid ? dt.toJSDate() : null
}

export function normaliseGraphEvent(e: GraphEvent, fallbackZone: string): ProviderEvent | null {
  const allDay = Boolean(e.isAllDay)
  const zone = isZone(e.originalStartTimeZone) ? e.originalStartTimeZone : fallbackZone
  const start = instantOf(e.start, allDay, zone)
  const end = instantOf(e.end, allDay, zone)
  if (!e.id || !start || !end) return null
  return {
    providerEventId: e.id,
    recurringEventId: e.seriesMasterId ?? null,
    icalUid: e.iCalUId ?? null,
    etag: e.changeKey ?? null,
    start,
    end: new Date(Math.max(start.getTime(), end.getTime())),
    allDay,
    status: e.isCancelled ? 'cancelled' : 'confirmed',
    showAs: SHOW_AS[e.showAs ?? ''] ?? 'busy',
    responseStatus: e.isOrganizer ? 'organizer' : (RESPONSE[e.responseStatus?.response ?? ''] ?? 'none'),
  }
}

function graphTime(d: Date): GraphDateTime {
  return { dateTime: d.toISOString().replace(/Z$/, ''), timeZone: 'UTC' }
}

function eventBody(draft: EventDraft): Record<string, unknown> {
  return {
    subject: draft.title,
    body: { contentType: 'text', content: draft.description ?? '' },
    start: graphTime(draft.start),
    end: graphTime(draft.end),
    ...(draft.location !== undefined ? { location: { displayName: draft.location } } : {}),
    ...(draft.attendees
      ? {
          attendees: draft.attendees.map((a) => ({
            emailAddress: { address: a.email, ...(a.name ? { name: a.name } : {}) },
            type: 'required',
          })),
        }
      : {}),
  }
}

function written(e: GraphEvent): WrittenEvent {
  return { providerEventId: e.id ?? '', etag: e.changeKey ?? null, icalUid: e.iCalUId ?? null }
}

const enc = encodeURIComponent
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * The extended property our events carry: the hashed booking key (the transactionId of the first create), so a
 * create whose answer was lost can be found again (Graph: `$filter=singleValueExtendedProperties/Any(...)`).
 */
export const BOOKING_KEY_PROPERTY = 'String {8c4e1f57-2b0d-4f3a-9e61-5d7a0b3c9f12} Name officehoursBooking'

export function createMicrosoftAdapter(opts: MicrosoftAdapterOptions): ProviderAdapter {
  const pageSize = opts.pageSize ?? 100
  const tokenUrl = `${opts.authBaseUrl}/oauth2/v2.0/token`

  async function tokenRequest(form: Record<string, string>, what: string): Promise<Record<string, unknown>> {
    let res: Response
    try {
      res = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: opts.clientId,
          client_secret: opts.clientSecret,
          scope: MICROSOFT_SCOPES.join(' '),
          ...form,
        }),
      })
    } catch {
      throw new ProviderError('microsoft', 'unavailable', `${what}: no response`)
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>
    if (res.ok) return body
    const error = typeof body.error === 'string' ? body.error : ''
    const msg = `${what}: ${res.status} ${error}`
    if (error === 'invalid_grant')
      throw new ProviderError('microsoft', 'auth', msg, { status: res.status, invalidGrant: true })
    if (res.status === 401 || error === 'invalid_client')
      throw new ProviderError('microsoft', 'auth', msg, { status: res.status })
    if (res.status === 429)
      throw new ProviderError('microsoft', 'rate_limited', msg, {
        status: res.status,
        ...retryAfterOf(res.headers),
      })
    if (res.status >= 500) throw new ProviderError('microsoft', 'unavailable', msg, { status: res.status })
    throw new ProviderError('microsoft', 'invalid', msg, { status: res.status })
  }

  function tokenSet(body: Record<string, unknown>): TokenSet {
    if (typeof body.access_token !== 'string')
      throw new ProviderError('microsoft', 'invalid', 'token response without access_token')
    return {
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : null,
      expiresInSeconds: Number(body.expires_in ?? 3600),
    }
  }

  function client(getAccessToken: () => Promise<string>): Client {
    return createGraphClient({
      baseUrl: opts.graphBaseUrl,
      getAccessToken,
      ...(opts.retry ? { retry: opts.retry } : {}),
    })
  }

  return {
    name: 'microsoft',

    authorizationUrl({ state, redirectUri, loginHint }) {
      const url = new URL(`${opts.authBaseUrl}/oauth2/v2.0/authorize`)
      url.search = new URLSearchParams({
        client_id: opts.clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        response_mode: 'query',
        scope: MICROSOFT_SCOPES.join(' '),
        state,
        ...(loginHint ? { login_hint: loginHint } : {}),
      }).toString()
      return url.href
    },

    async exchangeCode(code, redirectUri) {
      const body = await tokenRequest(
        { grant_type: 'authorization_code', code, redirect_uri: redirectUri },
        'token exchange',
      )
      const tokens = tokenSet(body)
      let me: { id?: string; mail?: string | null; userPrincipalName?: string }
      try {
        me = await client(async () => tokens.accessToken)
          .api('/me')
          .get()
      } catch (err) {
        throw graphError(err, 'me')
      }
      return { tokens, account: { id: me.id ?? '', email: me.mail ?? me.userPrincipalName ?? null } }
    },

    async refresh(refreshToken) {
      // Entra rotates refresh tokens: the new one must replace the old (providers.md B5).
      return tokenSet(
        await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, 'token refresh'),
      )
    },

    async revoke() {
      // The identity platform has no per-grant revocation for delegated tokens; revokeSignInSessions would sign
      // the owner out of every app. Deleting our copy of the tokens is what we can do.
    },

    session(getAccessToken) {
      const graph = client(getAccessToken)
      const call = async <T>(what: string, fn: (c: Client) => Promise<T>): Promise<T> => {
        try {
          return await fn(graph)
        } catch (err) {
          throw graphError(err, what)
        }
      }

      const session: CalendarSession = {
        async listCalendars() {
          const out: ProviderCalendar[] = []
          let path: string | null = '/me/calendars?$top=100'
          while (path) {
            const p: string = path
            const res = (await call('calendars.list', (c) => c.api(p).get())) as {
              value?: Array<{ id?: string; name?: string; isDefaultCalendar?: boolean; canEdit?: boolean }>
              '@odata.nextLink'?: string
            }
            for (const cal of res.value ?? []) {
              if (!cal.id) continue
              out.push({
                id: cal.id,
                name: cal.name ?? cal.id,
                primary: Boolean(cal.isDefaultCalendar),
                timeZone: null,
                canWrite: cal.canEdit !== false,
              })
            }
            const next = res['@odata.nextLink']
            path = next ? graphPathFromLink(next, opts.graphBaseUrl) : null
          }
          return out
        },

        async fetchChanges(calendarId, { cursor, window, fallbackTimeZone }): Promise<ChangeSet> {
          // v1.0 delta exists only over a calendarView, so the window is part of the round (providers.md §0.7).
          let path = cursor
            ? graphPathFromLink(cursor, opts.graphBaseUrl)
            : `/me/calendars/${enc(calendarId)}/calendarView/delta?startDateTime=${enc(window.start.toISOString())}&endDateTime=${enc(window.end.toISOString())}`
          const events = new Map<string, ProviderEvent>()
          const deleted = new Set<string>()
          for (;;) {
            const p = path
            const res = (await call('delta', (c) =>
              c.api(p).header('Prefer', `outlook.timezone="UTC", odata.maxpagesize=${pageSize}`).get(),
            )) as { value?: GraphEvent[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }
            for (const item of res.value ?? []) {
              if (!item.id) continue
              const event = item['@removed'] ? null : normaliseGraphEvent(item, fallbackTimeZone)
              if (event) {
                events.set(item.id, event)
                deleted.delete(item.id)
              } else {
                events.delete(item.id)
                deleted.add(item.id)
              }
            }
            const next = res['@odata.nextLink']
            if (next) {
              path = graphPathFromLink(next, opts.graphBaseUrl)
              continue
            }
            const deltaLink = res['@odata.deltaLink']
            if (!deltaLink)
              throw new ProviderError('microsoft', 'invalid', 'delta round ended without deltaLink')
            return {
              full: cursor === null,
              events: [...events.values()],
              deletedIds: [...deleted],
              cursor: deltaLink,
            }
          }
        },

        async insertEvent(calendarId, idempotencyKey, draft) {
          // transactionId makes a retried create return the event made the first time (providers.md B3). When
          // the retry carries other times (the booking moved after a worker died with Graph's answer in hand),
          // Graph refuses it as ErrorDuplicateTransactionId; the event is then found by its extended property.
          const key = `oh-${sha256(idempotencyKey).slice(0, 32)}`
          const create = async (transactionId: string) =>
            written(
              (await call('events.create', (c) =>
                c.api(`/me/calendars/${enc(calendarId)}/events`).post({
                  ...eventBody(draft),
                  transactionId,
                  singleValueExtendedProperties: [{ id: BOOKING_KEY_PROPERTY, value: key }],
                }),
              )) as GraphEvent,
            )
          try {
            return await create(key)
          } catch (err) {
            if (!(err instanceof ProviderError && err.details.code === 'ErrorDuplicateTransactionId'))
              throw err
          }
          const found = (await call('events.find', (c) =>
            c
              .api(`/me/calendars/${enc(calendarId)}/events`)
              .filter(
                `singleValueExtendedProperties/Any(ep: ep/id eq '${BOOKING_KEY_PROPERTY}' and ep/value eq '${key}')`,
              )
              .select('id,changeKey,iCalUId')
              .get(),
          )) as { value?: GraphEvent[] }
          const event = found.value?.find((e) => e.id)
          if (event) return written(event)
          // Deleted by its owner meanwhile, its transactionId still taken: a create idempotent for these times.
          return create(
            `oh-${sha256(`${idempotencyKey} ${draft.start.toISOString()} ${draft.end.toISOString()}`).slice(0, 32)}`,
          )
        },

        async updateEvent(_calendarId, eventId, draft) {
          const res = (await call('events.update', (c) =>
            c.api(`/me/events/${enc(eventId)}`).patch(eventBody(draft)),
          )) as GraphEvent
          return written(res)
        },

        async deleteEvent(_calendarId, eventId) {
          try {
            await call('events.delete', (c) => c.api(`/me/events/${enc(eventId)}`).delete())
          } catch (err) {
            if (err instanceof ProviderError && err.reason === 'not_found') return
            throw err
          }
        },

        async getEvent(_calendarId, eventId, fallbackTimeZone) {
          try {
            const res = (await call('events.get', (c) =>
              c
                .api(`/me/events/${enc(eventId)}`)
                .header('Prefer', 'outlook.timezone="UTC"')
                .get(),
            )) as GraphEvent
            return res.isCancelled ? null : normaliseGraphEvent(res, fallbackTimeZone)
          } catch (err) {
            if (err instanceof ProviderError && err.reason === 'not_found') return null
            throw err
          }
        },

        async watch(calendarId, request) {
          const res = (await call('subscriptions.create', (c) =>
            c.api('/subscriptions').post({
              changeType: 'created,updated,deleted',
              notificationUrl: request.address,
              ...(request.lifecycleAddress ? { lifecycleNotificationUrl: request.lifecycleAddress } : {}),
              resource: `/me/calendars/${calendarId}/events`,
              expirationDateTime: request.expiresAt.toISOString(),
              clientState: request.secret,
            }),
          )) as { id?: string; expirationDateTime?: string }
          return {
            channelId: request.channelId,
            resourceId: res.id ?? '',
            expiresAt: new Date(res.expirationDateTime ?? request.expiresAt),
          }
        },

        async renewWatch(channel, expiresAt) {
          const res = (await call('subscriptions.update', (c) =>
            c
              .api(`/subscriptions/${enc(channel.resourceId)}`)
              .patch({ expirationDateTime: expiresAt.toISOString() }),
          )) as { expirationDateTime?: string }
          return { ...channel, expiresAt: new Date(res.expirationDateTime ?? expiresAt) }
        },

        async unwatch(channel) {
          try {
            await call('subscriptions.delete', (c) =>
              c.api(`/subscriptions/${enc(channel.resourceId)}`).delete(),
            )
          } catch (err) {
            if (err instanceof ProviderError && err.reason === 'not_found') return
            throw err
          }
        },
      }
      return session
    },
  }
}

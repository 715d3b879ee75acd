// Google adapter of the provider port: Calendar v3 through @googleapis/calendar, OAuth through google-auth-library.
import { createHash } from 'node:crypto'
import { calendar, type calendar_v3 } from '@googleapis/calendar'
import { OAuth2Client } from 'google-auth-library'
import { DateTime } from 'luxon'
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

export interface GoogleAdapterOptions {
  clientId: string
  clientSecret: string
  /** Origin of the Calendar API (GOOGLE_API_BASE_URL); only the origin counts (providers.md §0.3). */
  apiBaseUrl: string
  authUrl: string
  tokenUrl: string
  /** events.list page size (Google's default 250, max 2500). */
  pageSize?: number
}

export const GOOGLE_SCOPES = ['https://www.googleapis.com/auth/calendar', 'openid', 'email']

/** Marks our cursors as sync tokens of singleEvents=false listings (an older cursor means a full sync). */
const CURSOR_PREFIX = 'm1:'
/** events.instances calls in flight at once when series are expanded. */
const SERIES_CONCURRENCY = 4

type Headers = { get?: (name: string) => string | null } & Record<string, unknown>

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined
  const h = headers as Headers
  if (typeof h.get === 'function') return h.get(name) ?? undefined
  const v = h[name] ?? h[name.toLowerCase()]
  return v === undefined ? undefined : String(v)
}

/** Turns a gaxios failure into a ProviderError; the message names the status and Google's reason, never tokens. */
export function googleError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err
  const e = err as {
    status?: number
    response?: { status?: number; data?: unknown; headers?: unknown }
    code?: string
  }
  const status = e.response?.status ?? (typeof e.status === 'number' ? e.status : undefined)
  if (status === undefined) return new ProviderError('google', 'unavailable', `${what}: no response`)
  const data = e.response?.data as
    | {
        error?: string | { errors?: Array<{ reason?: string }>; message?: string }
        error_description?: string
      }
    | undefined
  const oauthError = typeof data?.error === 'string' ? data.error : undefined
  const reason = typeof data?.error === 'object' ? data.error.errors?.[0]?.reason : undefined
  const retryAfterRaw = header(e.response?.headers, 'retry-after')
  const retryAfter = retryAfterRaw !== undefined ? Number(retryAfterRaw) : undefined
  const retry =
    retryAfter !== undefined && Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}
  const msg = `${what}: ${status}${reason ? ` ${reason}` : oauthError ? ` ${oauthError}` : ''}`
  if (oauthError === 'invalid_grant')
    return new ProviderError('google', 'auth', msg, { status, invalidGrant: true })
  if (status === 429 || (status === 403 && /rateLimitExceeded|userRateLimitExceeded/.test(reason ?? '')))
    return new ProviderError('google', 'rate_limited', msg, { status, ...retry })
  if (status === 401 || status === 403 || oauthError === 'invalid_client')
    return new ProviderError('google', 'auth', msg, { status })
  // 410 on a sync token is fullSyncRequired / updatedMinTooLongAgo; 410 `deleted` is an event already gone.
  if (status === 410 && reason !== 'deleted')
    return new ProviderError('google', 'cursor_expired', msg, { status })
  if (status === 404 || status === 410) return new ProviderError('google', 'not_found', msg, { status })
  if (status === 409 || status === 412) return new ProviderError('google', 'conflict', msg, { status })
  if (status >= 500) return new ProviderError('google', 'unavailable', msg, { status, ...retry })
  return new ProviderError('google', 'invalid', msg, { status })
}

/** A Google event id for an idempotency key: base32hex (a–v, 0–9), 5–1024 characters (providers.md A1, D). */
export function googleEventId(idempotencyKey: string): string {
  return `oh${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`
}

function decodeIdToken(idToken: string | null | undefined): { sub?: string; email?: string } {
  const payload = idToken?.split('.')[1]
  if (!payload) return {}
  try {
    // Straight from the token endpoint over TLS, so the signature need not be checked (OIDC Core 3.1.3.7).
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return {}
  }
}

function tokenSet(credentials: {
  access_token?: string | null
  refresh_token?: string | null
  expiry_date?: number | null
}): TokenSet {
  if (!credentials.access_token)
    throw new ProviderError('google', 'invalid', 'token response without access_token')
  // google-auth-library turns expires_in into expiry_date with Date.now(); turn it back so our clock decides.
  const expiresIn = credentials.expiry_date ? Math.round((credentials.expiry_date - Date.now()) / 1000) : 3600
  return {
    accessToken: credentials.access_token,
    refreshToken: credentials.refresh_token ?? null,
    expiresInSeconds: Math.max(0, expiresIn),
  }
}

function showAsOf(e: calendar_v3.Schema$Event): ShowAs {
  if (e.transparency === 'transparent') return 'free'
  if (e.eventType === 'outOfOffice') return 'oof'
  if (e.eventType === 'workingLocation') return 'working_elsewhere'
  return 'busy'
}

function responseOf(e: calendar_v3.Schema$Event): ResponseStatus {
  if (e.organizer?.self) return 'organizer'
  const self = e.attendees?.find((a) => a.self)
  switch (self?.responseStatus) {
    case 'accepted':
      return 'accepted'
    case 'declined':
      return 'declined'
    case 'tentative':
      return 'tentative'
    case 'needsAction':
      return 'needs_action'
    default:
      return e.attendees?.length ? 'none' : 'organizer'
  }
}

function instantOf(t: calendar_v3.Schema$EventDateTime | undefined, zone: string): Date | null {
  if (t?.dateTime) return new Date(t.dateTime)
  // All-day: a date in the calendar's zone, midnight to midnight of the owner's local day.
  if (t?.date) {
    const dt = DateTime.fromISO(t.date, { zone })
    return dt.isValid ? dt.toJSDate() : null
  }
  return null
}

export function normaliseGoogleEvent(e: calendar_v3.Schema$Event, zone: string): ProviderEvent | null {
  const start = instantOf(e.start, zone)
  const end = instantOf(e.end, zone)
  if (!e.id || !start || !end) return null
  const status = e.status === 'tentative' ? 'tentative' : e.status === 'cancelled' ? 'cancelled' : 'confirmed'
  return {
    providerEventId: e.id,
    recurringEventId: e.recurringEventId ?? null,
    icalUid: e.iCalUID ?? null,
    etag: e.etag ?? null,
    start,
    end: new Date(Math.max(start.getTime(), end.getTime())),
    allDay: Boolean(e.start?.date),
    status,
    showAs: showAsOf(e),
    responseStatus: responseOf(e),
  }
}

function eventBody(draft: EventDraft): calendar_v3.Schema$Event {
  return {
    summary: draft.title,
    ...(draft.description !== undefined ? { description: draft.description } : {}),
    ...(draft.location !== undefined ? { location: draft.location } : {}),
    start: { dateTime: draft.start.toISOString(), timeZone: draft.timeZone },
    end: { dateTime: draft.end.toISOString(), timeZone: draft.timeZone },
    ...(draft.attendees
      ? {
          attendees: draft.attendees.map((a) => ({
            email: a.email,
            ...(a.name ? { displayName: a.name } : {}),
          })),
        }
      : {}),
  }
}

function written(e: calendar_v3.Schema$Event): WrittenEvent {
  return { providerEventId: e.id ?? '', etag: e.etag ?? null, icalUid: e.iCalUID ?? null }
}

export function createGoogleAdapter(opts: GoogleAdapterOptions): ProviderAdapter {
  // Google's largest page: a 10,000-event calendar's first sync takes 5 round trips instead of 40.
  const pageSize = opts.pageSize ?? 2500
  const rootUrl = `${new URL(opts.apiBaseUrl).origin}/`
  // Google's revoke endpoint sits next to its token endpoint (oauth2.googleapis.com/revoke; the sandbox's /revoke).
  const revokeUrl = opts.tokenUrl.replace(/\/token$/, '/revoke')
  const oauthClient = (redirectUri?: string) =>
    new OAuth2Client({
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      ...(redirectUri ? { redirectUri } : {}),
      endpoints: {
        oauth2AuthBaseUrl: opts.authUrl,
        oauth2TokenUrl: opts.tokenUrl,
        oauth2RevokeUrl: revokeUrl,
      },
    })

  return {
    name: 'google',

    authorizationUrl({ state, redirectUri, loginHint }) {
      // prompt=consent: Google sends a refresh token only on first consent otherwise (providers.md D, OAuth).
      return oauthClient(redirectUri).generateAuthUrl({
        access_type: 'offline',
        prompt: 'consent',
        include_granted_scopes: true,
        scope: GOOGLE_SCOPES,
        state,
        ...(loginHint ? { login_hint: loginHint } : {}),
      })
    },

    async exchangeCode(code, redirectUri) {
      try {
        const { tokens } = await oauthClient(redirectUri).getToken({ code, redirect_uri: redirectUri })
        const claims = decodeIdToken(tokens.id_token)
        return { tokens: tokenSet(tokens), account: { id: claims.sub ?? '', email: claims.email ?? null } }
      } catch (err) {
        throw googleError(err, 'token exchange')
      }
    },

    async refresh(refreshToken) {
      const client = oauthClient()
      client.setCredentials({ refresh_token: refreshToken })
      try {
        await client.getAccessToken()
      } catch (err) {
        throw googleError(err, 'token refresh')
      }
      // Google sends no new refresh token on refresh; google-auth-library keeps the old one in credentials.
      return { ...tokenSet(client.credentials), refreshToken: null }
    },

    async revoke(token) {
      try {
        await oauthClient().revokeToken(token)
      } catch (err) {
        throw googleError(err, 'revoke')
      }
    },

    session(getAccessToken) {
      const auth = oauthClient()
      const api = calendar({ version: 'v3', rootUrl, auth })
      const call = async <T>(what: string, fn: (cal: calendar_v3.Calendar) => Promise<T>): Promise<T> => {
        auth.setCredentials({ access_token: await getAccessToken() })
        try {
          return await fn(api)
        } catch (err) {
          throw googleError(err, what)
        }
      }

      /**
       * The instances of `series` inside the window, fetched whole with events.instances (four series at a time):
       * they replace whatever `events` held of those series. A series found gone (404, 410) has no instance.
       */
      const expandSeries = async (
        calendarId: string,
        window: { start: Date; end: Date },
        fallbackTimeZone: string,
        series: Set<string>,
        events: Map<string, ProviderEvent>,
      ): Promise<void> => {
        for (const e of [...events.values()])
          if (e.recurringEventId !== null && series.has(e.recurringEventId)) events.delete(e.providerEventId)
        const expandOne = async (seriesId: string) => {
          let pageToken: string | undefined
          do {
            let res: { data: calendar_v3.Schema$Events }
            try {
              res = await call('events.instances', (cal) =>
                cal.events.instances({
                  calendarId,
                  eventId: seriesId,
                  timeMin: window.start.toISOString(),
                  timeMax: window.end.toISOString(),
                  maxResults: pageSize,
                  ...(pageToken ? { pageToken } : {}),
                }),
              )
            } catch (err) {
              // The series itself is gone (404, 410 deleted): so are all its instances.
              if (err instanceof ProviderError && err.reason === 'not_found') return
              throw err
            }
            const zone = res.data.timeZone ?? fallbackTimeZone
            for (const item of res.data.items ?? []) {
              const event = item.status === 'cancelled' ? null : normaliseGoogleEvent(item, zone)
              if (event) events.set(event.providerEventId, event)
            }
            pageToken = res.data.nextPageToken ?? undefined
          } while (pageToken)
        }
        const queue = [...series]
        const lane = async () => {
          for (let id = queue.shift(); id !== undefined; id = queue.shift()) await expandOne(id)
        }
        await Promise.all(Array.from({ length: Math.min(SERIES_CONCURRENCY, queue.length) }, lane))
      }

      const session: CalendarSession = {
        async listCalendars() {
          const out: ProviderCalendar[] = []
          let pageToken: string | undefined
          do {
            const res = await call('calendarList.list', (cal) =>
              cal.calendarList.list({ maxResults: 250, ...(pageToken ? { pageToken } : {}) }),
            )
            for (const c of res.data.items ?? []) {
              if (!c.id) continue
              out.push({
                id: c.id,
                name: c.summaryOverride ?? c.summary ?? c.id,
                primary: Boolean(c.primary),
                timeZone: c.timeZone ?? null,
                canWrite: c.accessRole === 'owner' || c.accessRole === 'writer',
              })
            }
            pageToken = res.data.nextPageToken ?? undefined
          } while (pageToken)
          return out
        },

        /**
         * Rounds list series masters, not instances (singleEvents=false), and each series listed is expanded by
         * events.instances inside the window. With singleEvents=true a sync token reports a changed series only
         * through its instances inside the window of the full sync (providers.md A1: the token remembers it), and
         * never says that the old instances are gone: a series moved or reshaped so that none of its instances
         * fall in the window went unnoticed until the next full sync. Without singleEvents the changed master
         * itself is listed, whatever its instances, and its instances replace the stored ones
         * (ChangeSet.replacedSeries); a deleted master is a cancelled entry, whose id takes along every stored
         * instance (they carry it as their recurringEventId).
         */
        async fetchChanges(calendarId, { cursor, window, fallbackTimeZone }): Promise<ChangeSet> {
          // A cursor from before (a singleEvents=true token) cannot be used with singleEvents=false: resync.
          if (cursor !== null && !cursor.startsWith(CURSOR_PREFIX))
            throw new ProviderError('google', 'cursor_expired', 'sync token of a singleEvents listing')
          const syncToken = cursor?.slice(CURSOR_PREFIX.length)
          // A sync token forbids timeMin/timeMax and remembers those of its full sync (providers.md A1).
          const base = syncToken
            ? { calendarId, singleEvents: false, maxResults: pageSize, syncToken }
            : {
                calendarId,
                singleEvents: false,
                maxResults: pageSize,
                timeMin: window.start.toISOString(),
                timeMax: window.end.toISOString(),
              }
          const events = new Map<string, ProviderEvent>()
          const deleted = new Set<string>()
          const series = new Set<string>()
          // Single events listed by a round: one may have been a series until its owner took the recurrence off,
          // and its stored instances (which carry its id as their recurringEventId) must go.
          const singles = new Set<string>()
          let pageToken: string | undefined
          for (;;) {
            const res = await call('events.list', (cal) =>
              cal.events.list({ ...base, ...(pageToken ? { pageToken } : {}) }),
            )
            const zone = res.data.timeZone ?? fallbackTimeZone
            for (const item of res.data.items ?? []) {
              if (!item.id) continue
              if (item.recurrence?.length) {
                // A live series master: its instances come from events.instances.
                series.add(item.id)
                deleted.delete(item.id)
              } else if (item.recurringEventId) {
                // An exception (an instance moved, changed or cancelled): its series is fetched again. A full
                // listing shows cancelled ones too (providers.md A1), which its series' instances already omit.
                if (syncToken || item.status !== 'cancelled') series.add(item.recurringEventId)
              } else {
                const event = item.status === 'cancelled' ? null : normaliseGoogleEvent(item, zone)
                if (event) {
                  events.set(item.id, event)
                  deleted.delete(item.id)
                  singles.add(item.id)
                } else {
                  events.delete(item.id)
                  deleted.add(item.id)
                }
              }
            }
            if (res.data.nextPageToken) {
              pageToken = res.data.nextPageToken
              continue
            }
            if (!res.data.nextSyncToken)
              throw new ProviderError('google', 'invalid', 'events.list ended without nextSyncToken')
            // A deleted series (its master cancelled, its exceptions with it) needs no expanding.
            for (const id of deleted) series.delete(id)
            await expandSeries(calendarId, window, fallbackTimeZone, series, events)
            return {
              full: !syncToken,
              events: [...events.values()],
              deletedIds: [...deleted],
              ...(syncToken && series.size + singles.size ? { replacedSeries: [...series, ...singles] } : {}),
              cursor: `${CURSOR_PREFIX}${res.data.nextSyncToken}`,
            }
          }
        },

        async insertEvent(calendarId, idempotencyKey, draft) {
          const id = googleEventId(idempotencyKey)
          try {
            const res = await call('events.insert', (cal) =>
              cal.events.insert({ calendarId, requestBody: { ...eventBody(draft), id } }),
            )
            return written(res.data)
          } catch (err) {
            // 409 duplicate: an earlier attempt made it (the worker died before recording it). Same event.
            if (err instanceof ProviderError && err.reason === 'conflict') {
              const res = await call('events.get', (cal) => cal.events.get({ calendarId, eventId: id }))
              return written(res.data)
            }
            throw err
          }
        },

        async updateEvent(calendarId, eventId, draft) {
          const res = await call('events.patch', (cal) =>
            cal.events.patch({ calendarId, eventId, requestBody: eventBody(draft) }),
          )
          return written(res.data)
        },

        async deleteEvent(calendarId, eventId) {
          try {
            await call('events.delete', (cal) => cal.events.delete({ calendarId, eventId }))
          } catch (err) {
            if (err instanceof ProviderError && err.reason === 'not_found') return
            throw err
          }
        },

        async getEvent(calendarId, eventId, fallbackTimeZone) {
          try {
            const res = await call('events.get', (cal) => cal.events.get({ calendarId, eventId }))
            return res.data.status === 'cancelled' ? null : normaliseGoogleEvent(res.data, fallbackTimeZone)
          } catch (err) {
            if (err instanceof ProviderError && err.reason === 'not_found') return null
            throw err
          }
        },

        async watch(calendarId, request) {
          const res = await call('events.watch', (cal) =>
            cal.events.watch({
              calendarId,
              requestBody: {
                id: request.channelId,
                type: 'web_hook',
                address: request.address,
                token: request.secret,
                expiration: String(request.expiresAt.getTime()),
              },
            }),
          )
          return {
            channelId: request.channelId,
            resourceId: res.data.resourceId ?? '',
            expiresAt: new Date(Number(res.data.expiration ?? request.expiresAt.getTime())),
          }
        },

        // A channel's expiration cannot be changed (providers.md): the caller makes a new one.
        async renewWatch() {
          return null
        },

        async unwatch(channel) {
          try {
            await call('channels.stop', (cal) =>
              cal.channels.stop({ requestBody: { id: channel.channelId, resourceId: channel.resourceId } }),
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

// Use cases of calendar connections: OAuth start and callback, tokens kept fresh, calendars chosen, syncs run.
import { randomBytes } from 'node:crypto'
import type { Owner } from '../db/repositories/calendars.js'
import {
  connectionSyncHealth,
  deleteChannel,
  listCalendarChannels,
  type SyncMode,
} from '../db/repositories/channels.js'
import * as repo from '../db/repositories/connections.js'
import { findAssistant, findClient } from '../db/repositories/people.js'
import type { Deps } from '../deps.js'
import { ConflictError, DomainError, type FieldProblem, NotFoundError, ValidationError } from '../errors.js'
import { newId } from '../ids.js'
import { decryptSecret, deriveKey, encryptSecret, signPayload, verifyPayload } from '../sync/crypto.js'
import { type SyncResult, syncCalendar } from '../sync/engine.js'
import { type CalendarSession, ProviderError, type ProviderName } from '../sync/provider.js'

/** Tokens are refreshed when they expire within this long, so no call starts with a token about to die. */
export const REFRESH_MARGIN_MS = 5 * 60_000
const STATE_TTL_MS = 10 * 60_000

export type ConnectionView = repo.Connection & {
  channelExpiresAt: Date | null
  /** How calendar changes reach us (SPEC 2.3); null until the worker set up the busy calendars' channels. */
  syncMode: SyncMode | null
}

export interface CalendarView {
  id: string
  name: string
  primary: boolean
  busy: boolean
  destination: boolean
  timeZone: string | null
  canWrite: boolean
  syncedAt: Date | null
}

/** A callback that cannot complete; `code` tells the page what to say. Never a 5xx. */
export class OAuthCallbackError extends DomainError {}

export class ReauthRequiredError extends ConflictError {
  constructor() {
    super(
      'reauth_required',
      'The calendar owner must connect this calendar again: the provider revoked our access.',
    )
  }
}

function view(
  c: repo.Connection,
  health: { mode: SyncMode | null; channelExpiresAt: Date | null },
): ConnectionView {
  const {
    id,
    owner,
    provider,
    status,
    providerAccountId,
    accountEmail,
    tokenExpiresAt,
    lastSyncedAt,
    lastError,
    lastErrorAt,
    createdAt,
    updatedAt,
  } = c
  return {
    id,
    owner,
    provider,
    status,
    providerAccountId,
    accountEmail,
    tokenExpiresAt,
    lastSyncedAt,
    lastError,
    lastErrorAt,
    createdAt,
    updatedAt,
    channelExpiresAt: health.channelExpiresAt,
    syncMode: health.mode,
  }
}

function calendarView(c: repo.ConnectionCalendar): CalendarView {
  return {
    id: c.calendarId,
    name: c.name,
    primary: c.isPrimary,
    busy: c.isBusy,
    destination: c.isDestination,
    timeZone: c.timeZone,
    canWrite: c.canWrite,
    syncedAt: c.syncedAt,
  }
}

export function callbackUrl(deps: Deps, provider: ProviderName): string {
  return `${deps.config.publicBaseUrl}/oauth/${provider}/callback`
}

async function ownerTimeZone(deps: Deps, accountId: string, owner: Owner): Promise<string | null> {
  const person =
    owner.type === 'client'
      ? await findClient(deps.db, accountId, owner.id)
      : await findAssistant(deps.db, accountId, owner.id)
  return person?.timeZone ?? null
}

// OAuth start and callback

interface StatePayload {
  v: 1
  a: string
  ot: Owner['type']
  oi: string
  p: ProviderName
  n: string
  e: number
}

const stateKey = (deps: Deps) => deriveKey(deps.encryptionKey(), 'oauth-state')

export async function startConnection(
  deps: Deps,
  accountId: string,
  owner: Owner,
  provider: ProviderName,
): Promise<{ authorizationUrl: string }> {
  if ((await ownerTimeZone(deps, accountId, owner)) === null)
    throw new NotFoundError(owner.type === 'client' ? 'Client' : 'Assistant')
  const payload: StatePayload = {
    v: 1,
    a: accountId,
    ot: owner.type,
    oi: owner.id,
    p: provider,
    n: randomBytes(16).toString('base64url'),
    e: deps.clock.now().getTime() + STATE_TTL_MS,
  }
  const state = signPayload(stateKey(deps), payload)
  return {
    authorizationUrl: deps.providers[provider].authorizationUrl({
      state,
      redirectUri: callbackUrl(deps, provider),
    }),
  }
}

function readState(deps: Deps, provider: ProviderName, state: string | undefined): StatePayload {
  const payload = state ? (verifyPayload(stateKey(deps), state) as StatePayload | null) : null
  if (payload?.v !== 1 || payload.p !== provider || typeof payload.a !== 'string')
    throw new OAuthCallbackError(
      'invalid_state',
      'This sign-in link is not valid. Start connecting again from the app.',
    )
  if (payload.e < deps.clock.now().getTime())
    throw new OAuthCallbackError(
      'expired_state',
      'This sign-in link has expired. Start connecting again from the app.',
    )
  return payload
}

export interface CallbackQuery {
  code?: string | undefined
  state?: string | undefined
  error?: string | undefined
}

/** The OAuth callback: exchange the code, store the tokens encrypted, list calendars, import busy time. */
export async function completeConnection(
  deps: Deps,
  provider: ProviderName,
  query: CallbackQuery,
): Promise<{ connectionId: string; accountEmail: string | null }> {
  const state = readState(deps, provider, query.state)
  if (query.error) {
    throw new OAuthCallbackError(
      query.error === 'access_denied' ? 'access_denied' : 'authorization_failed',
      query.error === 'access_denied'
        ? 'Access was declined, so no calendar was connected.'
        : 'The provider did not authorize the connection. Try again.',
    )
  }
  if (!query.code) throw new OAuthCallbackError('invalid_request', 'The provider sent no authorization code.')
  const accountId = state.a
  const owner: Owner = { type: state.ot, id: state.oi }
  const zone = await ownerTimeZone(deps, accountId, owner)
  if (zone === null)
    throw new OAuthCallbackError('owner_gone', 'The person this calendar was for no longer exists.')

  const adapter = deps.providers[provider]
  let exchanged: Awaited<ReturnType<typeof adapter.exchangeCode>>
  try {
    exchanged = await adapter.exchangeCode(query.code, callbackUrl(deps, provider))
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err
    deps.log.warn({ provider, reason: err.reason, status: err.details.status }, 'OAuth code exchange failed')
    throw new OAuthCallbackError(
      'exchange_failed',
      err.reason === 'auth' || err.reason === 'invalid'
        ? 'The authorization code was not accepted (used already or expired). Start connecting again.'
        : 'The provider could not be reached. Try connecting again in a moment.',
    )
  }
  const key = deps.encryptionKey()
  const now = deps.clock.now()
  const tokens = {
    accessTokenEnc: encryptSecret(key, exchanged.tokens.accessToken),
    refreshTokenEnc: exchanged.tokens.refreshToken ? encryptSecret(key, exchanged.tokens.refreshToken) : null,
    tokenExpiresAt: new Date(now.getTime() + exchanged.tokens.expiresInSeconds * 1000),
  }
  const providerAccountId = exchanged.account.id || exchanged.account.email || ''
  const existing = providerAccountId
    ? await repo.findConnectionOfProviderAccount(deps.db, accountId, owner, provider, providerAccountId)
    : null
  const connectionId = existing?.id ?? newId()
  if (existing) {
    await repo.updateConnectionTokens(
      deps.db,
      accountId,
      connectionId,
      { ...tokens, accountEmail: exchanged.account.email },
      now,
    )
  } else {
    await repo.insertAuthorizedConnection(
      deps.db,
      accountId,
      connectionId,
      { owner, provider, providerAccountId, accountEmail: exchanged.account.email, ...tokens },
      now,
    )
  }
  // The initial import. A provider failure here leaves the connection in `error` with the reason, not the page.
  await refreshCalendarsAndSync(deps, accountId, connectionId, { full: true, firstTime: !existing }).catch(
    (err: unknown) => {
      if (!(err instanceof ProviderError || err instanceof ReauthRequiredError)) throw err
    },
  )
  return { connectionId, accountEmail: exchanged.account.email }
}

// Tokens

async function findLive(deps: Deps, accountId: string, id: string): Promise<repo.StoredConnection> {
  const connection = await repo.findConnection(deps.db, accountId, id)
  if (!connection) throw new NotFoundError('Connection')
  return connection
}

async function markReauthRequired(
  deps: Deps,
  accountId: string,
  connection: repo.StoredConnection,
  why: string,
) {
  await repo.setConnectionStatus(deps.db, accountId, connection.id, 'reauth_required', why, deps.clock.now())
  connection.status = 'reauth_required'
  await deps.hooks.onReauthRequired(
    { accountId, connectionId: connection.id, owner: connection.owner, provider: connection.provider },
    deps.db,
  )
}

/** Refreshes the access token now; a dead grant (`invalid_grant`) marks the connection reauth_required. */
async function refreshTokens(
  deps: Deps,
  accountId: string,
  connection: repo.StoredConnection,
): Promise<string> {
  const key = deps.encryptionKey()
  if (!connection.refreshTokenEnc) {
    await markReauthRequired(deps, accountId, connection, 'No refresh token: the owner must connect again.')
    throw new ReauthRequiredError()
  }
  let tokens: Awaited<ReturnType<Deps['providers'][ProviderName]['refresh']>>
  try {
    tokens = await deps.providers[connection.provider].refresh(decryptSecret(key, connection.refreshTokenEnc))
  } catch (err) {
    if (err instanceof ProviderError && err.reason === 'auth') {
      await markReauthRequired(deps, accountId, connection, err.message)
      throw new ReauthRequiredError()
    }
    throw err
  }
  const now = deps.clock.now()
  const update = {
    accessTokenEnc: encryptSecret(key, tokens.accessToken),
    // Microsoft rotates refresh tokens (keep the new one); Google sends none (keep ours).
    refreshTokenEnc: tokens.refreshToken ? encryptSecret(key, tokens.refreshToken) : undefined,
    tokenExpiresAt: new Date(now.getTime() + tokens.expiresInSeconds * 1000),
  }
  await repo.updateConnectionTokens(deps.db, accountId, connection.id, update, now)
  connection.accessTokenEnc = update.accessTokenEnc
  if (update.refreshTokenEnc) connection.refreshTokenEnc = update.refreshTokenEnc
  connection.tokenExpiresAt = update.tokenExpiresAt
  connection.status = 'active'
  return tokens.accessToken
}

async function accessToken(
  deps: Deps,
  accountId: string,
  connection: repo.StoredConnection,
): Promise<string> {
  if (connection.status === 'reauth_required') throw new ReauthRequiredError()
  const expires = connection.tokenExpiresAt?.getTime() ?? 0
  if (!connection.accessTokenEnc || expires - deps.clock.now().getTime() <= REFRESH_MARGIN_MS)
    return refreshTokens(deps, accountId, connection)
  return decryptSecret(deps.encryptionKey(), connection.accessTokenEnc)
}

/**
 * Runs `fn` with a session on the connection's calendars. A 401 despite a fresh-looking token (revoked early)
 * gets one refresh and one retry; a second `auth` failure is the provider's final word.
 */
export async function withSession<T>(
  deps: Deps,
  accountId: string,
  connection: repo.StoredConnection,
  fn: (session: CalendarSession) => Promise<T>,
): Promise<T> {
  let token: string | null = null
  const session = deps.providers[connection.provider].session(async () => {
    token ??= await accessToken(deps, accountId, connection)
    return token
  })
  try {
    return await fn(session)
  } catch (err) {
    if (!(err instanceof ProviderError && err.reason === 'auth' && !err.details.invalidGrant)) throw err
    token = await refreshTokens(deps, accountId, connection)
    return fn(session)
  }
}

// Calendars and syncs

async function recordFailure(deps: Deps, accountId: string, connection: repo.StoredConnection, err: unknown) {
  if (err instanceof ReauthRequiredError) return
  if (!(err instanceof ProviderError)) throw err
  deps.log.warn(
    { connectionId: connection.id, reason: err.reason, status: err.details.status },
    'calendar sync failed',
  )
  const status = err.reason === 'auth' ? 'reauth_required' : 'error'
  if (status === 'reauth_required') await markReauthRequired(deps, accountId, connection, err.message)
  else
    await repo.setConnectionStatus(deps.db, accountId, connection.id, 'error', err.message, deps.clock.now())
}

/**
 * One failed sync in officehours_calendar_syncs_total, of the kind asked for. The import, the API's sync and newly
 * busy calendars count theirs here and in syncCalendars; the worker's sync job counts its own (src/sync/inbound.ts).
 */
function countFailedSync(deps: Deps, connection: repo.StoredConnection, full: boolean): void {
  deps.metrics.calendarSyncs.inc({
    provider: connection.provider,
    kind: full ? 'full' : 'incremental',
    outcome: 'failed',
  })
}

async function syncCalendars(
  deps: Deps,
  accountId: string,
  connection: repo.StoredConnection,
  session: CalendarSession,
  calendars: readonly repo.ConnectionCalendar[],
  full: boolean,
  options: { countOk: boolean },
): Promise<SyncResult[]> {
  const ownerZone = (await ownerTimeZone(deps, accountId, connection.owner)) ?? 'UTC'
  const results: SyncResult[] = []
  for (const calendar of calendars) {
    const result = await syncCalendar(
      {
        db: deps.db,
        accountId,
        connectionId: connection.id,
        key: deps.encryptionKey(),
        now: deps.clock.now(),
        ownerTimeZone: ownerZone,
      },
      session,
      calendar,
      { full },
    )
    // An expired cursor turns an incremental sync into a full one: the kind is what ran.
    if (options.countOk)
      deps.metrics.calendarSyncs.inc({
        provider: connection.provider,
        kind: result.full ? 'full' : 'incremental',
        outcome: 'ok',
      })
    results.push(result)
  }
  await repo.markConnectionSynced(deps.db, accountId, connection.id, deps.clock.now())
  connection.status = 'active'
  return results
}

/** Lists the provider's calendars (the primary one busy and destination on first connect), then syncs busy ones. */
async function refreshCalendarsAndSync(
  deps: Deps,
  accountId: string,
  connectionId: string,
  options: { full: boolean; firstTime: boolean },
): Promise<void> {
  const connection = await findLive(deps, accountId, connectionId)
  try {
    await withSession(deps, accountId, connection, async (session) => {
      const listed = await session.listCalendars()
      await repo.upsertListedCalendars(
        deps.db,
        accountId,
        connectionId,
        listed.map((c) => ({
          calendarId: c.id,
          name: c.name,
          isPrimary: c.primary,
          timeZone: c.timeZone,
          canWrite: c.canWrite,
          isBusy: options.firstTime && c.primary,
          isDestination: options.firstTime && c.primary,
        })),
      )
      const busy = (await repo.listConnectionCalendars(deps.db, accountId, connectionId)).filter(
        (c) => c.isBusy,
      )
      await syncCalendars(deps, accountId, connection, session, busy, options.full, { countOk: true })
    })
  } catch (err) {
    countFailedSync(deps, connection, options.full)
    await recordFailure(deps, accountId, connection, err)
    throw err
  }
}

export async function listConnections(
  deps: Deps,
  accountId: string,
  owner: Owner,
): Promise<{ data: ConnectionView[] }> {
  if ((await ownerTimeZone(deps, accountId, owner)) === null)
    throw new NotFoundError(owner.type === 'client' ? 'Client' : 'Assistant')
  const data: ConnectionView[] = []
  for (const c of await repo.listConnectionsOfOwner(deps.db, accountId, owner))
    data.push(view(c, await connectionSyncHealth(deps.db, accountId, c.id)))
  return { data }
}

export async function getConnection(deps: Deps, accountId: string, id: string): Promise<ConnectionView> {
  const connection = await findLive(deps, accountId, id)
  return view(connection, await connectionSyncHealth(deps.db, accountId, id))
}

export async function listCalendars(
  deps: Deps,
  accountId: string,
  id: string,
): Promise<{ data: CalendarView[] }> {
  await findLive(deps, accountId, id)
  return { data: (await repo.listConnectionCalendars(deps.db, accountId, id)).map(calendarView) }
}

export interface ConnectionPatch {
  busyCalendarIds?: string[] | undefined
  destinationCalendarId?: string | null | undefined
}

export async function updateConnection(
  deps: Deps,
  accountId: string,
  id: string,
  patch: ConnectionPatch,
): Promise<ConnectionView> {
  const connection = await findLive(deps, accountId, id)
  const calendars = await repo.listConnectionCalendars(deps.db, accountId, id)
  const byId = new Map(calendars.map((c) => [c.calendarId, c]))
  const problems: FieldProblem[] = []
  patch.busyCalendarIds?.forEach((calendarId, i) => {
    if (!byId.has(calendarId))
      problems.push({
        pointer: `/body/busyCalendarIds/${i}`,
        message: 'is not a calendar of this connection',
      })
  })
  const destination = patch.destinationCalendarId
  if (destination !== undefined && destination !== null) {
    const cal = byId.get(destination)
    if (!cal)
      problems.push({
        pointer: '/body/destinationCalendarId',
        message: 'is not a calendar of this connection',
      })
    else if (!cal.canWrite)
      problems.push({
        pointer: '/body/destinationCalendarId',
        message: 'is a calendar the owner cannot write to',
      })
  }
  if (problems.length) throw new ValidationError(problems)

  const busyIds = patch.busyCalendarIds ?? calendars.filter((c) => c.isBusy).map((c) => c.calendarId)
  const destinationId =
    destination === undefined ? (calendars.find((c) => c.isDestination)?.calendarId ?? null) : destination
  const newlyBusy = [...new Set(busyIds)].filter((calendarId) => !byId.get(calendarId)?.isBusy)
  await deps.db
    .transaction()
    .execute((trx) => repo.setCalendarRoles(trx, accountId, id, [...new Set(busyIds)], destinationId))
  if (newlyBusy.length) {
    const fresh = (await repo.listConnectionCalendars(deps.db, accountId, id)).filter((c) =>
      newlyBusy.includes(c.calendarId),
    )
    try {
      await withSession(deps, accountId, connection, (session) =>
        syncCalendars(deps, accountId, connection, session, fresh, true, { countOk: true }),
      )
    } catch (err) {
      countFailedSync(deps, connection, true)
      await recordFailure(deps, accountId, connection, err)
    }
  }
  return getConnection(deps, accountId, id)
}

/** Syncs every busy calendar now: incremental from each cursor; an expired cursor falls back to a full sync. */
export async function syncConnection(deps: Deps, accountId: string, id: string): Promise<ConnectionView> {
  const connection = await findLive(deps, accountId, id)
  if (connection.status === 'reauth_required') throw new ReauthRequiredError()
  const busy = (await repo.listConnectionCalendars(deps.db, accountId, id)).filter((c) => c.isBusy)
  try {
    await withSession(deps, accountId, connection, (session) =>
      syncCalendars(deps, accountId, connection, session, busy, false, { countOk: true }),
    )
  } catch (err) {
    countFailedSync(deps, connection, false)
    await recordFailure(deps, accountId, connection, err)
    if (err instanceof ReauthRequiredError || (err instanceof ProviderError && err.reason === 'auth'))
      throw new ReauthRequiredError()
  }
  return getConnection(deps, accountId, id)
}

/**
 * Syncs one busy calendar (the inbound sync job, SPEC 2.3): incremental from its cursor, full when `full` or the
 * cursor expired. Null when there is nothing to sync (connection gone or needing reauth, calendar not busy).
 * Failures are recorded on the connection (its `lastError`) and rethrown for the job's retry.
 */
export async function syncBusyCalendar(
  deps: Deps,
  accountId: string,
  connectionId: string,
  calendarId: string,
  options: { full?: boolean } = {},
): Promise<{ result: SyncResult; connection: repo.StoredConnection } | null> {
  const connection = await repo.findConnection(deps.db, accountId, connectionId)
  if (!connection || connection.status === 'reauth_required') return null
  const calendar = (await repo.listConnectionCalendars(deps.db, accountId, connectionId)).find(
    (c) => c.calendarId === calendarId,
  )
  if (!calendar?.isBusy) return null
  try {
    const [result] = await withSession(deps, accountId, connection, (session) =>
      // Counted by the worker's sync job, which also counts failures outside this call.
      syncCalendars(deps, accountId, connection, session, [calendar], options.full ?? false, {
        countOk: false,
      }),
    )
    return result ? { result, connection } : null
  } catch (err) {
    await recordFailure(deps, accountId, connection, err)
    throw err
  }
}

/** Stops every push channel of the connection (best effort: an unstopped one expires) and forgets them all. */
async function stopChannels(deps: Deps, accountId: string, connection: repo.StoredConnection): Promise<void> {
  for (const ch of await listCalendarChannels(deps.db, accountId, connection.id)) {
    const resourceId = ch.resourceId
    if (ch.mode === 'push' && resourceId && connection.status !== 'reauth_required') {
      try {
        await withSession(deps, accountId, connection, (session) =>
          session.unwatch({ channelId: ch.id, resourceId, expiresAt: ch.expiresAt ?? new Date(0) }),
        )
      } catch (err) {
        deps.log.warn(
          { connectionId: connection.id, reason: err instanceof ProviderError ? err.reason : 'error' },
          'stopping a push channel failed; it will expire',
        )
      }
    }
    await deleteChannel(deps.db, accountId, ch.id)
  }
}

/** Revokes the grant (best effort), forgets the tokens and the imported events; the connection is soft-deleted. */
export async function deleteConnection(deps: Deps, accountId: string, id: string): Promise<void> {
  const connection = await findLive(deps, accountId, id)
  // Channels first: stopping them needs the tokens that the revocation below ends.
  await stopChannels(deps, accountId, connection)
  const secret = connection.refreshTokenEnc ?? connection.accessTokenEnc
  if (secret) {
    try {
      await deps.providers[connection.provider].revoke(decryptSecret(deps.encryptionKey(), secret))
    } catch (err) {
      deps.log.warn(
        { connectionId: id, reason: err instanceof ProviderError ? err.reason : 'error' },
        'token revocation failed; deleting our copy anyway',
      )
    }
  }
  const deleted = await deps.db
    .transaction()
    .execute((trx) => repo.softDeleteConnection(trx, accountId, id, deps.clock.now()))
  if (!deleted) throw new NotFoundError('Connection')
}

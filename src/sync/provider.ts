// The provider port: what the sync engine and services need from Google and Microsoft, in our own types only.
// Adapters (google.ts, microsoft.ts) translate; nothing of googleapis or Graph leaks past them (STYLE habit 10).

export type ProviderName = 'google' | 'microsoft'
export const PROVIDERS: readonly ProviderName[] = ['google', 'microsoft']

export type EventStatus = 'confirmed' | 'tentative' | 'cancelled'
export type ShowAs = 'busy' | 'free' | 'tentative' | 'oof' | 'working_elsewhere' | 'unknown'
export type ResponseStatus = 'none' | 'organizer' | 'accepted' | 'tentative' | 'declined' | 'needs_action'

/**
 * Why a provider call failed. `invalid` (a request the provider refuses as malformed) is not in STYLE's list:
 * it is our bug, not a state to retry or resync, so it must not hide among `unavailable`.
 */
export type ProviderErrorReason =
  | 'auth'
  | 'rate_limited'
  | 'cursor_expired'
  | 'not_found'
  | 'conflict'
  | 'unavailable'
  | 'invalid'

/** The one failure type of the port. Its message never carries a token. */
export class ProviderError extends Error {
  constructor(
    readonly provider: ProviderName,
    readonly reason: ProviderErrorReason,
    message: string,
    readonly details: {
      status?: number
      /** Seconds the provider asked us to wait (rate_limited, unavailable). */
      retryAfterSeconds?: number
      /** The provider's own error code, where it has one (Graph's `error.code`). */
      code?: string
      /** The refresh token is dead (OAuth `invalid_grant`): only the owner can fix it by reconnecting. */
      invalidGrant?: boolean
    } = {},
  ) {
    super(`${provider}: ${message}`)
    this.name = 'ProviderError'
  }
}

export interface TokenSet {
  accessToken: string
  /** Null when the provider did not send one (Google sends none on refresh: keep the old one). */
  refreshToken: string | null
  expiresInSeconds: number
}

export interface ProviderAccount {
  /** The provider's stable user id (Google `sub`, Graph user id). */
  id: string
  email: string | null
}

export interface ProviderCalendar {
  id: string
  name: string
  primary: boolean
  /** IANA zone of the calendar when the provider says (Google does; Graph calendars have none). */
  timeZone: string | null
  canWrite: boolean
}

/** One event instance, normalised to the columns of `calendar_events`. Titles are deliberately absent. */
export interface ProviderEvent {
  providerEventId: string
  recurringEventId: string | null
  icalUid: string | null
  etag: string | null
  start: Date
  end: Date
  allDay: boolean
  status: EventStatus
  showAs: ShowAs
  responseStatus: ResponseStatus
}

/** The time range a sync covers; recurring events are expanded into instances inside it. */
export interface SyncWindow {
  start: Date
  end: Date
}

/**
 * The sync window: 30 days back (recently past events still explain bookings) to 180 days ahead (beyond any
 * booking horizon of 60 days by default and 730 at most is rare; widen here if that changes). A cursor keeps the
 * window of its full sync (Google's sync token remembers timeMin/timeMax, a Graph delta link its calendarView
 * range), so a calendar needs a full resync now and then to move its window forward.
 */
export const SYNC_WINDOW_DAYS_BACK = 30
export const SYNC_WINDOW_DAYS_AHEAD = 180

export function syncWindow(now: Date): SyncWindow {
  const day = 86_400_000
  return {
    start: new Date(now.getTime() - SYNC_WINDOW_DAYS_BACK * day),
    end: new Date(now.getTime() + SYNC_WINDOW_DAYS_AHEAD * day),
  }
}

export interface FetchChangesInput {
  /** The cursor of the previous sync; null for a full sync. */
  cursor: string | null
  window: SyncWindow
  /** Zone for all-day events when the provider gives none for the calendar (the owner's zone). */
  fallbackTimeZone: string
}

export interface ChangeSet {
  /** True when `events` is the whole calendar inside the window (a full sync): anything else stored is gone. */
  full: boolean
  /** New and changed instances, each exactly once. */
  events: ProviderEvent[]
  /** Instances (or series) removed since the cursor. */
  deletedIds: string[]
  /**
   * Series whose stored instances all give way to the instances of them in `events` (incremental only): Google
   * gives a reshaped series new instance ids without reporting the old ones as gone, nor the instances of a
   * series turned into a single event (whose id is then listed here too).
   */
  replacedSeries?: string[]
  /** Where the next incremental sync starts. A secret on real providers (it carries tokens): store encrypted. */
  cursor: string
}

export interface EventDraft {
  title: string
  description?: string
  location?: string
  start: Date
  end: Date
  /** IANA zone the event is shown in. */
  timeZone: string
  attendees?: Array<{ email: string; name?: string }>
}

export interface WrittenEvent {
  providerEventId: string
  etag: string | null
  icalUid: string | null
}

export interface WatchRequest {
  /** Our random channel id (Google `id`, echoed in X-Goog-Channel-ID). */
  channelId: string
  /** A secret echoed on every notification (Google channel token, Graph clientState). */
  secret: string
  address: string
  /** Graph only: where lifecycle events go. */
  lifecycleAddress?: string
  expiresAt: Date
}

export interface Channel {
  channelId: string
  /** Google `resourceId`, Graph subscription id: needed to stop the channel. */
  resourceId: string
  expiresAt: Date
}

/** Calls on one connection's calendars, authorised by whatever `getAccessToken` returns at call time. */
export interface CalendarSession {
  listCalendars(): Promise<ProviderCalendar[]>
  /** Every page of one sync round, so each change arrives exactly once. `cursor_expired` → full sync. */
  fetchChanges(calendarId: string, input: FetchChangesInput): Promise<ChangeSet>
  /**
   * Creates an event exactly once per `idempotencyKey` (e.g. a booking id): Google gets a client-supplied id derived
   * from the key, Microsoft a `transactionId`. A retry after a crash returns the event already made.
   */
  insertEvent(calendarId: string, idempotencyKey: string, draft: EventDraft): Promise<WrittenEvent>
  updateEvent(calendarId: string, eventId: string, draft: EventDraft): Promise<WrittenEvent>
  /** Deleting an event that is already gone succeeds. */
  deleteEvent(calendarId: string, eventId: string): Promise<void>
  /**
   * One event as it is now, wherever it lies in time; null when it is deleted or cancelled. A delta's `@removed`
   * does not say which: Graph also reports events moved out of the window as removed (providers.md).
   */
  getEvent(calendarId: string, eventId: string, fallbackTimeZone: string): Promise<ProviderEvent | null>
  watch(calendarId: string, request: WatchRequest): Promise<Channel>
  /**
   * Extends a channel in place where the provider can (Graph: PATCH expirationDateTime, capped at 10,070 minutes);
   * null where it cannot (Google: a channel's expiry is fixed, so a new channel is made and the old one stopped).
   */
  renewWatch(channel: Channel, expiresAt: Date): Promise<Channel | null>
  unwatch(channel: Channel): Promise<void>
}

export interface ProviderAdapter {
  readonly name: ProviderName
  /** The consent page: offline access (a refresh token) and calendar read/write scopes. */
  authorizationUrl(input: { state: string; redirectUri: string; loginHint?: string }): string
  exchangeCode(code: string, redirectUri: string): Promise<{ tokens: TokenSet; account: ProviderAccount }>
  /** `auth` with `invalidGrant` when the grant was revoked or expired. */
  refresh(refreshToken: string): Promise<TokenSet>
  /** Best effort: revokes the grant where the provider allows it. */
  revoke(token: string): Promise<void>
  session(getAccessToken: () => Promise<string>): CalendarSession
}

export type Providers = { readonly [P in ProviderName]: ProviderAdapter }

/** Exhaustiveness guard for switches over ProviderName and the other unions here. */
export function unreachable(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`)
}

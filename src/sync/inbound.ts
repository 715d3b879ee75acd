// Inbound sync (SPEC 2.3): push channels or polling per busy calendar, one incremental sync per calendar at a time,
// and the effects of calendar changes on bookings (moved → rescheduled, deleted → cancelled, overlaps → conflict).
import { randomBytes, randomUUID } from 'node:crypto'
import { isIP } from 'node:net'
import PgBoss from 'pg-boss'
import type { Database } from '../db/connect.js'
import {
  insertOutboxEvent,
  listBookingsWithoutEventId,
  listCalendarBookingEvents,
  listHostBookingsOverlapping,
} from '../db/repositories/bookings.js'
import * as channels from '../db/repositories/channels.js'
import {
  findConnection,
  listConnectionCalendars,
  type StoredConnection,
} from '../db/repositories/connections.js'
import { inTransaction } from '../db/transaction.js'
import type { Deps } from '../deps.js'
import { DomainError } from '../errors.js'
import { newId } from '../ids.js'
import { ensureQueue, poolExecutor, workDraining } from '../jobs/queue.js'
import { onLocalWork, wakeWorkers } from '../jobs/wake.js'
import { hashToken } from '../secrets.js'
import { cancelBooking, rescheduleBooking } from '../services/bookings.js'
import { syncBusyCalendar, withSession } from '../services/connections.js'
import { isPrivateAddress } from '../services/webhook-urls.js'
import type { SyncResult } from './engine.js'
import { type Channel, ProviderError, type ProviderEvent, type ProviderName, syncWindow } from './provider.js'
import { sandboxProviders } from './providers.js'

export const INBOUND_QUEUES = {
  /** Sync one busy calendar from its cursor (stately: one running and one waiting per calendar). */
  calendarSync: 'calendar-sync',
  /** Create, renew or stop one calendar's channel (stately per calendar). */
  calendarChannel: 'calendar-channel',
} as const

export interface CalendarSyncJob {
  accountId: string
  connectionId: string
  calendarId: string
  /** A full resync (Graph `missed` lifecycle event): the calendar's busy data replaced atomically. */
  full?: boolean
  /**
   * When a webhook route accepted the notification behind this job (epoch ms, wall clock), for the lag metric.
   * Notifications arriving while this job waits are dropped by the queue, so it stays the earliest pending one.
   */
  notifiedAt?: number
}

export interface CalendarChannelJob {
  accountId: string
  connectionId: string
  calendarId: string
}

/** Google channels live up to 7 days; Graph subscriptions on events up to 10,070 minutes (providers.md). */
export const GOOGLE_CHANNEL_TTL_MS = 7 * 86_400_000
export const MICROSOFT_CHANNEL_TTL_MS = 10_070 * 60_000
/** Channels are renewed this long before they expire: a day of slack for a worker that was down. */
export const RENEW_BEFORE_MS = 86_400_000
/** After channel creation was refused, push is tried again this much later (polling meanwhile). */
export const PUSH_RETRY_MS = 3_600_000

export interface InboundOptions {
  /** Asked-for channel life (tests shorten it); capped by each provider's maximum. */
  channelTtlMs?: number
  renewBeforeMs?: number
  /** How often channels are checked (created, renewed, stopped). */
  channelIntervalMs?: number
  /** How often calendars without push are synced. */
  pollIntervalMs?: number
  /** How often the sync queue is polled when nothing wakes the worker (default 0.5 s; tests lengthen it). */
  queuePollingIntervalSeconds?: number
}

function syncKey(job: CalendarSyncJob): string {
  return `${job.connectionId}:${job.calendarId}${job.full ? ':full' : ''}`
}

/**
 * The database each job sender sends to, so that enqueueSync can wake a sync worker (src/jobs/wake.ts): pg-boss
 * polls at best every 0.5 s and, after each job, waits out the rest of that interval, so a notification waited up
 * to 0.5 s before its sync started (nearly all of it in a stream of edits, bench/inbound.ts).
 */
const senderDatabases = new WeakMap<PgBoss, Database>()

/** Sends an inbound job; a duplicate of one already waiting is dropped by the queue (that is the coalescing). */
export async function enqueueSync(boss: PgBoss, job: CalendarSyncJob): Promise<void> {
  await boss.send(INBOUND_QUEUES.calendarSync, job, { singletonKey: syncKey(job) })
  const database = senderDatabases.get(boss)
  if (database) wakeWorkers(database, 'sync')
}

export async function enqueueChannelWork(boss: PgBoss, job: CalendarChannelJob): Promise<void> {
  await boss.send(INBOUND_QUEUES.calendarChannel, job, {
    singletonKey: `${job.connectionId}:${job.calendarId}`,
  })
}

export async function createInboundQueues(boss: PgBoss, jobTimeoutSeconds: number): Promise<void> {
  for (const name of Object.values(INBOUND_QUEUES)) {
    await ensureQueue(boss, {
      name,
      policy: 'stately',
      retryLimit: 3,
      retryDelay: 2,
      retryBackoff: true,
      expireInSeconds: jobTimeoutSeconds,
    })
  }
}

/**
 * A sender for the webhook handlers: pg-boss on the app's pool, never started (sending needs no polling). The
 * queues exist once a worker ran; until then a send fails and the provider retries (we answer 5xx).
 */
export function createJobSender(database: Database): PgBoss {
  const boss = new PgBoss({
    db: poolExecutor(database),
    schedule: false,
    supervise: false,
    migrate: false,
  })
  boss.on('error', () => {})
  senderDatabases.set(boss, database)
  return boss
}

// Where channels point, and whether the provider can reach it

/**
 * Push needs the provider to reach PUBLIC_BASE_URL. The built-in emulators run next to us, so any URL works for
 * them; a real provider needs a public https origin (Google refuses http channel addresses, Graph http
 * notification URLs: providers.md), so loopback, private and `.local`/`localhost` hosts mean polling.
 */
export function pushReachable(config: Deps['config'], provider: ProviderName): boolean {
  if (sandboxProviders(config)[provider]) return true
  let url: URL
  try {
    url = new URL(config.publicBaseUrl)
  } catch {
    return false
  }
  if (url.protocol !== 'https:') return false
  // `localhost.` is `localhost`; brackets wrap an IPv6 literal. Address literals are judged by their range (a name
  // like fdic.gov or fcbarcelona.com is not an IPv6 prefix), IPv4-mapped IPv6 (which URL writes in hex) as its IPv4.
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase()
  if (isIP(host) !== 0) return !isPrivateAddress(unmapIPv4(host))
  return !(host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local'))
}

/** `::ffff:7f00:1` → `127.0.0.1`; any other address unchanged. */
function unmapIPv4(host: string): string {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host)
  if (!m) return host
  const [hi, lo] = [Number.parseInt(m[1] ?? '0', 16), Number.parseInt(m[2] ?? '0', 16)]
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
}

export function webhookAddresses(config: Deps['config'], provider: ProviderName, channelId: string) {
  const base = config.publicBaseUrl.replace(/\/$/, '')
  if (provider === 'google') return { address: `${base}/webhooks/google` }
  // Our channel id rides along in the query (Graph keeps it): a notification sent before the subscription id
  // reached us still finds its channel.
  const q = `?channel=${encodeURIComponent(channelId)}`
  return {
    address: `${base}/webhooks/microsoft${q}`,
    lifecycleAddress: `${base}/webhooks/microsoft/lifecycle${q}`,
  }
}

// Channels

const ttlOf = (provider: ProviderName, options: InboundOptions) =>
  Math.min(
    options.channelTtlMs ?? Number.POSITIVE_INFINITY,
    provider === 'google' ? GOOGLE_CHANNEL_TTL_MS : MICROSOFT_CHANNEL_TTL_MS - 60_000,
  )

/** Renewal starts a day before expiry, or halfway through a shorter life (tests shorten channels to seconds). */
const renewBeforeOf = (options: InboundOptions, ttlMs: number) =>
  Math.min(options.renewBeforeMs ?? RENEW_BEFORE_MS, ttlMs / 2)

const asChannel = (c: channels.CalendarChannel): Channel => ({
  channelId: c.id,
  resourceId: c.resourceId ?? '',
  expiresAt: c.expiresAt ?? new Date(0),
})

/**
 * Brings one calendar's channels to what it needs: none when the calendar is not busy (or the connection gone),
 * else one live push channel, or a polling row when push is impossible. Channel times are the providers' wall
 * clock (Date.now), not the business clock: the provider decides when a channel ends.
 */
export async function maintainCalendarChannel(
  deps: Deps,
  boss: PgBoss,
  job: CalendarChannelJob,
  options: InboundOptions = {},
): Promise<void> {
  const { accountId, connectionId, calendarId } = job
  const connection = await findConnection(deps.db, accountId, connectionId)
  const calendar = connection
    ? (await listConnectionCalendars(deps.db, accountId, connectionId)).find(
        (c) => c.calendarId === calendarId,
      )
    : undefined
  let existing = await channels.listCalendarChannels(deps.db, accountId, connectionId, calendarId)
  const stop = async (c: channels.CalendarChannel) => {
    if (c.mode === 'push' && c.resourceId && connection && connection.status !== 'reauth_required') {
      try {
        await withSession(deps, accountId, connection, (s) => s.unwatch(asChannel(c)))
      } catch (err) {
        deps.log.warn(
          { connectionId, reason: reasonOf(err) },
          'stopping a push channel failed; it will expire',
        )
      }
    }
    await channels.deleteChannel(deps.db, accountId, c.id)
  }

  if (!connection || !calendar?.isBusy || connection.status === 'reauth_required') {
    for (const c of existing) await stop(c)
    return
  }

  const now = Date.now()
  const provider = connection.provider
  const renewBefore = renewBeforeOf(options, ttlOf(provider, options))
  if (!pushReachable(deps.config, provider)) {
    if (existing.some((c) => c.mode === 'polling')) return
    await channels.insertChannel(
      deps.db,
      accountId,
      {
        id: randomUUID(),
        connectionId,
        calendarId,
        provider,
        mode: 'polling',
        secretHash: null,
        expiresAt: null,
      },
      deps.clock.now(),
    )
    for (const c of existing) await stop(c)
    return
  }
  // Push was refused a short while ago: poll until that row expires (PUSH_RETRY_MS). A job queued meanwhile (upkeep
  // saw the calendar between the refused channel's removal and the polling row's insertion) must not ask again.
  const refusedLately = existing.some(
    (c) => c.mode === 'polling' && c.expiresAt !== null && c.expiresAt.getTime() > now,
  )
  if (refusedLately) return

  const live = existing.filter(
    (c) => c.mode === 'push' && c.resourceId && c.expiresAt && c.expiresAt.getTime() - now > renewBefore,
  )
  if (live.length > 0) {
    for (const c of existing) if (!live.includes(c)) await stop(c)
    return
  }
  const expiresAt = new Date(now + ttlOf(provider, options))

  // Graph extends a subscription in place; a gone one (404) is made anew below.
  const renewable = existing.find((c) => c.mode === 'push' && c.resourceId && provider === 'microsoft')
  if (renewable) {
    try {
      const renewed = await withSession(deps, accountId, connection, (s) =>
        s.renewWatch(asChannel(renewable), expiresAt),
      )
      if (renewed) {
        await channels.setChannelResource(
          deps.db,
          accountId,
          renewable.id,
          renewed.resourceId,
          renewed.expiresAt,
          deps.clock.now(),
        )
        for (const c of existing) if (c !== renewable) await stop(c)
        return
      }
    } catch (err) {
      if (!(err instanceof ProviderError && err.reason === 'not_found')) {
        deps.log.warn({ connectionId, reason: reasonOf(err) }, 'renewing a subscription failed')
        throw err
      }
      await channels.deleteChannel(deps.db, accountId, renewable.id)
      existing = existing.filter((c) => c !== renewable)
    }
  }

  // A new channel, stored (secret hashed) before the provider is asked: Google sends `sync` before it answers.
  const id = randomUUID()
  const secret = randomBytes(32).toString('base64url')
  await channels.insertChannel(
    deps.db,
    accountId,
    { id, connectionId, calendarId, provider, mode: 'push', secretHash: hashToken(secret), expiresAt },
    deps.clock.now(),
  )
  try {
    const made = await withSession(deps, accountId, connection, (s) =>
      s.watch(calendarId, {
        channelId: id,
        secret,
        expiresAt,
        ...webhookAddresses(deps.config, provider, id),
      }),
    )
    await channels.setChannelResource(
      deps.db,
      accountId,
      id,
      made.resourceId,
      made.expiresAt,
      deps.clock.now(),
    )
  } catch (err) {
    await channels.deleteChannel(deps.db, accountId, id)
    if (
      err instanceof ProviderError &&
      (err.reason === 'invalid' || err.reason === 'not_found' || err.reason === 'conflict')
    ) {
      // Refused (e.g. an address the provider cannot validate): poll, and try push again later.
      deps.log.warn({ connectionId, reason: err.reason, status: err.details.status }, 'push refused; polling')
      if (!existing.some((c) => c.mode === 'polling'))
        await channels.insertChannel(
          deps.db,
          accountId,
          {
            id: randomUUID(),
            connectionId,
            calendarId,
            provider,
            mode: 'polling',
            secretHash: null,
            expiresAt: new Date(now + PUSH_RETRY_MS),
          },
          deps.clock.now(),
        )
      return
    }
    throw err
  }
  // The old channel goes only now that the new one listens (Google: new, then stop old).
  for (const c of existing) await stop(c)
  // Changes between the last sync and the channel's start were heard by nobody.
  await enqueueSync(boss, { accountId, connectionId, calendarId })
}

function reasonOf(err: unknown): string {
  return err instanceof ProviderError ? err.reason : err instanceof Error ? err.name : 'error'
}

/** One pass of channel upkeep: hands every calendar needing work to the channel queue. */
export async function reconcileChannels(
  deps: Deps,
  boss: PgBoss,
  options: InboundOptions = {},
): Promise<number> {
  const now = new Date()
  const work = await channels.listChannelWork(
    deps.db,
    now,
    new Date(now.getTime() + renewBeforeOf(options, options.channelTtlMs ?? Number.POSITIVE_INFINITY)),
    500,
  )
  for (const w of work) await enqueueChannelWork(boss, w)
  return work.length
}

/** One polling round: an incremental sync of every calendar without push. */
export async function pollCalendars(deps: Deps, boss: PgBoss): Promise<number> {
  const calendars = await channels.listPollingCalendars(deps.db, 5000)
  for (const c of calendars) await enqueueSync(boss, c)
  return calendars.length
}

// The sync job and its effects on bookings

/** Runs one calendar's sync and applies what changed to the bookings whose events live there. */
export async function runCalendarSync(deps: Deps, job: CalendarSyncJob): Promise<SyncResult | null> {
  let synced: Awaited<ReturnType<typeof syncBusyCalendar>>
  try {
    synced = await syncBusyCalendar(deps, job.accountId, job.connectionId, job.calendarId, {
      full: job.full ?? false,
    })
  } catch (err) {
    await countFailedSync(deps, job)
    throw err
  }
  if (!synced) return null
  const provider = synced.connection.provider
  // An expired cursor turns an incremental job into a full sync: the kind is what ran.
  deps.metrics.calendarSyncs.inc({
    provider,
    kind: synced.result.full ? 'full' : 'incremental',
    outcome: 'ok',
  })
  await applyToBookings(deps, job, synced.result, synced.connection)
  if (job.notifiedAt !== undefined)
    deps.metrics.notificationSyncLag.observe({ provider }, Math.max(0, Date.now() - job.notifiedAt) / 1000)
  return synced.result
}

async function countFailedSync(deps: Deps, job: CalendarSyncJob): Promise<void> {
  const connection = await findConnection(deps.db, job.accountId, job.connectionId).catch(() => null)
  deps.metrics.calendarSyncs.inc({
    provider: connection?.provider ?? 'unknown',
    kind: job.full ? 'full' : 'incremental',
    outcome: 'failed',
  })
}

const sameInstant = (a: Date, b: Date) => a.getTime() === b.getTime()

/**
 * Bookings follow their events: an event moved by someone else reschedules the booking (source `calendar`, rules
 * not re-checked: the client decided), a deleted or cancelled one cancels it. Our own writes come back with the
 * etag/changeKey we stored, or with the booking's own times while our write is still being recorded: no change
 * either way, so no ping-pong. Other busy events overlapping a booking are reported once as `booking.conflict`.
 */
async function applyToBookings(
  deps: Deps,
  job: CalendarSyncJob,
  result: SyncResult,
  connection: StoredConnection,
): Promise<void> {
  const { accountId, connectionId, calendarId } = job
  const owner = connection.owner
  // Read before the links: an id recorded in between is then in one or the other, never in neither.
  const withoutEventId = await listBookingsWithoutEventId(deps.db, accountId, connectionId, calendarId)
  const linked = await listCalendarBookingEvents(deps.db, accountId, connectionId, calendarId)
  const byEvent = new Map(linked.map((l) => [l.providerEventId, l]))
  const changed = new Map(result.changed.map((e) => [e.providerEventId, e]))
  const deleted = new Set(result.deletedIds)
  const window = syncWindow(deps.clock.now())

  for (const link of linked) {
    // Only settled links: a booking whose write is pending is being changed by us right now.
    if (link.status !== 'confirmed' || link.state !== 'synced') continue
    let event = changed.get(link.providerEventId)
    if (!event && deleted.has(link.providerEventId)) {
      // Graph also reports an event moved out of the sync window as removed: ask for the event itself before
      // cancelling its booking. If the provider cannot answer now, the booking stays as it is.
      try {
        event =
          (await withSession(deps, accountId, connection, (s) =>
            s.getEvent(calendarId, link.providerEventId, 'UTC'),
          )) ?? undefined
      } catch (err) {
        deps.log.warn(
          { bookingId: link.bookingId, reason: err instanceof ProviderError ? err.reason : 'error' },
          'could not confirm that a booked event was deleted; booking kept',
        )
        continue
      }
    }
    const gone =
      (deleted.has(link.providerEventId) && !event) ||
      event?.status === 'cancelled' ||
      // A full sync lists everything in the window: a booking inside it whose event is absent was deleted.
      (result.full && !event && link.start < window.end && link.end > window.start)
    try {
      if (gone) {
        await cancelBooking(
          deps,
          accountId,
          link.bookingId,
          { reason: 'The event was deleted from the calendar.' },
          'calendar',
        )
        continue
      }
      if (!event) continue
      if (event.etag !== null && event.etag === link.etag) continue
      if (sameInstant(event.start, link.start) && sameInstant(event.end, link.end)) continue
      await rescheduleBooking(
        deps,
        accountId,
        link.bookingId,
        { start: event.start.toISOString() },
        'calendar',
        { skipRules: true, end: event.end },
      )
    } catch (err) {
      // Another booking holds the new time (the one rule the database enforces): report, keep the booking.
      if (!(err instanceof DomainError)) throw err
      deps.log.warn({ bookingId: link.bookingId, code: err.code }, 'calendar change not applied to booking')
      if (event) await reportConflict(deps, accountId, connectionId, link.bookingId, event.providerEventId)
    }
  }

  // Other events now overlapping a booking this owner attends. Our own event can come back before its write was
  // recorded (the notification outruns the provider's answer, or the worker died in between): at the booking's
  // own times on this calendar, with no event id recorded for it here, it is that booking's event, not a conflict.
  for (const event of result.changed) {
    if (byEvent.has(event.providerEventId) || !isBusy(event)) continue
    const overlapping = await listHostBookingsOverlapping(deps.db, accountId, owner, event)
    for (const booking of overlapping) {
      const own =
        withoutEventId.has(booking.id) &&
        sameInstant(event.start, booking.start) &&
        sameInstant(event.end, booking.end)
      if (own) continue
      await reportConflict(deps, accountId, connectionId, booking.id, event.providerEventId)
    }
  }
}

function isBusy(e: ProviderEvent): boolean {
  return (
    e.status !== 'cancelled' &&
    e.showAs !== 'free' &&
    e.showAs !== 'working_elsewhere' &&
    e.responseStatus !== 'declined'
  )
}

async function reportConflict(
  deps: Deps,
  accountId: string,
  connectionId: string,
  bookingId: string,
  providerEventId: string,
): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    const now = deps.clock.now()
    if (!(await channels.recordConflict(trx, accountId, { bookingId, connectionId, providerEventId }, now)))
      return
    await insertOutboxEvent(
      trx,
      accountId,
      {
        id: newId(),
        type: 'booking.conflict',
        bookingId,
        source: 'calendar',
        // The provider's event id only: titles and attendees of the owner's other meetings are not ours to share.
        payload: { bookingId, connectionId, providerEventId },
      },
      now,
    )
  })
}

// The worker's part

export interface Inbound {
  stop(): Promise<void>
}

/** Starts the inbound jobs and the channel/polling loop on a running pg-boss (the worker's). */
export async function startInbound(
  deps: Deps,
  boss: PgBoss,
  jobTimeoutSeconds: number,
  options: InboundOptions = {},
): Promise<Inbound> {
  await createInboundQueues(boss, jobTimeoutSeconds)
  const syncWorker = await workDraining<CalendarSyncJob>(
    boss,
    INBOUND_QUEUES.calendarSync,
    1,
    async ([job]) => {
      if (job) await runCalendarSync(deps, job.data)
    },
    options.queuePollingIntervalSeconds,
  )
  // Woken by enqueueSync (webhook routes, channel upkeep) in this process, or in another through the worker's
  // listener (src/jobs/wake.ts).
  const unregister = onLocalWork(deps.database, 'sync', () => boss.notifyWorker(syncWorker))
  senderDatabases.set(boss, deps.database)
  await workDraining<CalendarChannelJob>(boss, INBOUND_QUEUES.calendarChannel, 1, async ([job]) => {
    if (job) await maintainCalendarChannel(deps, boss, job.data, options)
  })
  let stopped = false
  const channelEvery = options.channelIntervalMs ?? 5_000
  const pollEvery = options.pollIntervalMs ?? 60_000
  let lastPoll = Date.now()
  const loop = async () => {
    while (!stopped) {
      try {
        await reconcileChannels(deps, boss, options)
        if (Date.now() - lastPoll >= pollEvery) {
          lastPoll = Date.now()
          await pollCalendars(deps, boss)
        }
      } catch (err) {
        deps.log.warn({ reason: reasonOf(err) }, 'channel upkeep failed; retrying')
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(channelEvery, pollEvery)))
    }
  }
  const running = loop()
  return {
    async stop() {
      stopped = true
      unregister()
      await running
    },
  }
}

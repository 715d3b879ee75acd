// Outbound sync (SPEC 2.2): bookings written to calendars. The dispatcher turns committed outbox rows into queue
// jobs inside one transaction; a job writes one booking's event to one connection's destination calendar,
// exactly once (Google: an event id derived from the booking; Microsoft: transactionId), retrying with
// exponential backoff that honours Retry-After, and marks the booking's sync state `failed` when it gives up.
import type PgBoss from 'pg-boss'
import * as bookings from '../db/repositories/bookings.js'
import { findConnection } from '../db/repositories/connections.js'
import { findMeetingType } from '../db/repositories/meeting-types.js'
import { findClient, findContact } from '../db/repositories/people.js'
import { inTransaction } from '../db/transaction.js'
import type { Deps } from '../deps.js'
import { newId } from '../ids.js'
import { QUEUES, transactionExecutor } from '../jobs/queue.js'
import { bookingManageUrl } from '../services/bookings.js'
import { ReauthRequiredError, withSession } from '../services/connections.js'
import { enqueueDeliveries } from '../services/webhook-delivery.js'
import { type EventDraft, ProviderError } from './provider.js'

export interface CalendarWriteJob {
  accountId: string
  bookingId: string
  connectionId: string
}

/** Attempts per write before the booking's sync state becomes `failed` (about 40 minutes of backoff in all). */
export const MAX_WRITE_ATTEMPTS = 8
export const BASE_BACKOFF_SECONDS = 5
export const MAX_BACKOFF_SECONDS = 15 * 60

/** Exponential backoff with jitter, never sooner than the provider's Retry-After. */
export function retryDelaySeconds(
  attempt: number,
  retryAfterSeconds: number | undefined,
  baseSeconds = BASE_BACKOFF_SECONDS,
): number {
  const exponential = Math.min(MAX_BACKOFF_SECONDS, baseSeconds * 2 ** attempt)
  const jittered = exponential * (0.75 + Math.random() * 0.5)
  return Math.max(jittered, retryAfterSeconds ?? 0)
}

function jobOptions(job: CalendarWriteJob): PgBoss.SendOptions {
  return { singletonKey: `${job.bookingId}:${job.connectionId}` }
}

const BOOKING_CHANGES = new Set(['booking.created', 'booking.rescheduled', 'booking.cancelled'])

/**
 * Hands committed outbox rows to the queue: calendar writes for booking changes, and one app webhook delivery per
 * subscribed endpoint for every event. Returns how many outbox rows it took.
 */
export async function dispatchOutbox(deps: Deps, boss: PgBoss, limit = 100): Promise<number> {
  const rows = await deps.db.transaction().execute(async (trx) => {
    const rows = await bookings.claimUndispatchedOutbox(trx, limit)
    const db = transactionExecutor(trx)
    const now = deps.clock.now()
    for (const row of rows) {
      await enqueueDeliveries(
        trx,
        boss,
        {
          id: row.id,
          accountId: row.account_id,
          type: row.type,
          payload: row.payload,
          createdAt: row.created_at,
        },
        now,
      )
      if (!row.booking_id || !BOOKING_CHANGES.has(row.type)) continue
      for (const connectionId of await bookings.listPendingSyncStates(trx, row.account_id, row.booking_id)) {
        const job: CalendarWriteJob = { accountId: row.account_id, bookingId: row.booking_id, connectionId }
        await boss.send(QUEUES.calendarWrite, job, { ...jobOptions(job), db })
      }
    }
    await bookings.markOutboxDispatched(
      trx,
      rows.map((r) => r.id),
      now,
    )
    return rows
  })
  // Counted after the commit, once per outbox row: every committed booking change, whichever instance made it.
  for (const row of rows) {
    if (BOOKING_CHANGES.has(row.type))
      deps.metrics.bookingEvents.inc({ type: row.type.slice('booking.'.length), source: row.source ?? 'api' })
  }
  return rows.length
}

/**
 * Re-queues pending writes whose job is gone (retries exhausted by repeated crashes, a lost queue row). The
 * queue drops a duplicate of a job still waiting, so this is safe to run anywhere, any time.
 */
export async function requeueStalePending(deps: Deps, boss: PgBoss, staleAfterMs: number): Promise<number> {
  const stale = await bookings.listStalePendingSyncStates(
    deps.db,
    new Date(deps.clock.now().getTime() - staleAfterMs),
    500,
  )
  for (const row of stale) {
    const job: CalendarWriteJob = {
      accountId: row.account_id,
      bookingId: row.booking_id,
      connectionId: row.connection_id,
    }
    await boss.send(QUEUES.calendarWrite, job, jobOptions(job))
  }
  return stale.length
}

/** The event a booking shows in its calendars (exported for the tests that play a worker that died). */
export async function eventDraft(
  deps: Deps,
  accountId: string,
  booking: bookings.Booking,
): Promise<EventDraft> {
  const meetingType = await findMeetingType(deps.db, accountId, booking.meetingTypeId)
  const client = await findClient(deps.db, accountId, booking.clientId)
  const contact = await findContact(deps.db, accountId, booking.clientId, booking.contactId)
  const manageUrl = bookingManageUrl(deps, booking)
  const description = [booking.notes, manageUrl ? `Reschedule or cancel: ${manageUrl}` : null]
    .filter(Boolean)
    .join('\n\n')
  return {
    title: `${meetingType?.name ?? 'Meeting'} with ${contact?.name ?? 'a contact'}`,
    ...(description ? { description } : {}),
    start: booking.start,
    end: booking.end,
    timeZone: client?.timeZone ?? 'UTC',
    attendees: contact ? [{ email: contact.email, name: contact.name }] : [],
  }
}

function describe(err: unknown): string {
  if (err instanceof ProviderError) return `${err.reason}: ${err.message}`
  return err instanceof Error ? err.message : String(err)
}

/** Writes the current version of one booking to one calendar; safe to run twice (after a crash, or a burst). */
export async function writeBookingEvent(
  deps: Deps,
  boss: PgBoss,
  job: CalendarWriteJob,
  backoffBaseSeconds = BASE_BACKOFF_SECONDS,
): Promise<void> {
  const { accountId, bookingId, connectionId } = job
  const booking = await bookings.findBooking(deps.db, accountId, bookingId)
  const state = booking && (await bookings.findSyncState(deps.db, accountId, bookingId, connectionId))
  if (!booking || !state || state.state !== 'pending') return
  const previousAttempts = await bookings.startSyncAttempt(deps.db, accountId, bookingId, connectionId)
  if (previousAttempts === null) return
  const finish = (change: SyncOutcome, db: Deps['db'] = deps.db) =>
    bookings.finishSyncAttempt(
      db,
      accountId,
      bookingId,
      connectionId,
      booking.sequence,
      change,
      deps.clock.now(),
    )

  const connection = await findConnection(deps.db, accountId, connectionId)
  if (!connection) {
    await fail(deps, job, booking, finish, 'the calendar connection was removed')
    deps.metrics.calendarWrites.inc({ provider: 'unknown', outcome: 'failed' })
    return
  }
  const count = (outcome: 'synced' | 'retry' | 'failed') =>
    deps.metrics.calendarWrites.inc({ provider: connection.provider, outcome })
  try {
    const draft = await eventDraft(deps, accountId, booking)
    const written = await withSession(deps, accountId, connection, async (session) => {
      if (booking.status === 'confirmed') {
        if (state.providerEventId) return session.updateEvent(state.calendarId, state.providerEventId, draft)
        const made = await session.insertEvent(state.calendarId, booking.id, draft)
        // A retry can find the event a dead worker made for an earlier version of the booking (Google answers the
        // insert with that event): bring it to this version.
        return previousAttempts > 0
          ? session.updateEvent(state.calendarId, made.providerEventId, draft)
          : made
      }
      let eventId = state.providerEventId
      // A worker that died between the provider's insert and our record left an event behind; the same
      // idempotent insert finds it. Never attempted before: nothing can be there.
      if (!eventId && previousAttempts > 0)
        eventId = (await session.insertEvent(state.calendarId, booking.id, draft)).providerEventId
      if (eventId) await session.deleteEvent(state.calendarId, eventId)
      return null
    })
    await finish({
      state: 'synced',
      providerEventId: written ? written.providerEventId : state.providerEventId,
      etag: written?.etag ?? null,
      lastError: null,
      resetAttempts: true,
    })
    count('synced')
  } catch (err) {
    const retryable =
      !(err instanceof ReauthRequiredError) &&
      (!(err instanceof ProviderError) ||
        err.reason === 'rate_limited' ||
        err.reason === 'unavailable' ||
        (err.reason === 'auth' && !err.details.invalidGrant))
    const attempts = previousAttempts + 1
    deps.log.warn(
      { bookingId, connectionId, attempts, retryable, error: describe(err) },
      'calendar write failed',
    )
    if (!retryable || attempts >= MAX_WRITE_ATTEMPTS) {
      await fail(deps, job, booking, finish, describe(err))
      count('failed')
      return
    }
    await finish({ state: 'pending', lastError: describe(err) })
    count('retry')
    const retryAfter = err instanceof ProviderError ? err.details.retryAfterSeconds : undefined
    await boss.send(QUEUES.calendarWrite, job, {
      ...jobOptions(job),
      startAfter: new Date(
        Date.now() + retryDelaySeconds(previousAttempts, retryAfter, backoffBaseSeconds) * 1000,
      ),
    })
  }
}

type SyncOutcome = Parameters<typeof bookings.finishSyncAttempt>[5]

/** Gives up on a write: the sync state becomes `failed` and the outbox says so, in one transaction. */
async function fail(
  deps: Deps,
  job: CalendarWriteJob,
  booking: bookings.Booking,
  finish: (change: SyncOutcome, db: Deps['db']) => Promise<boolean>,
  error: string,
): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    if (!(await finish({ state: 'failed', lastError: error }, trx))) return
    await bookings.insertOutboxEvent(
      trx,
      job.accountId,
      {
        id: newId(),
        type: 'booking.sync_failed',
        bookingId: booking.id,
        source: booking.source,
        payload: { bookingId: booking.id, connectionId: job.connectionId, error },
      },
      deps.clock.now(),
    )
  })
}

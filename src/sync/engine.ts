// The sync engine: one calendar's changes from the provider into calendar_events, and its cursor kept encrypted.
import type { Kysely } from 'kysely'
import { type CalendarEventInput, upsertCalendarEvents } from '../db/repositories/calendars.js'
import * as repo from '../db/repositories/connections.js'
import type { DB } from '../db/schema.js'
import { newId } from '../ids.js'
import { decryptSecret, encryptSecret } from './crypto.js'
import {
  type CalendarSession,
  type ChangeSet,
  ProviderError,
  type ProviderEvent,
  syncWindow,
} from './provider.js'

export interface SyncContext {
  db: Kysely<DB>
  accountId: string
  connectionId: string
  key: Buffer
  now: Date
  /** The owner's zone, for all-day events of calendars without one. */
  ownerTimeZone: string
}

export interface SyncResult {
  calendarId: string
  full: boolean
  upserted: number
  deleted: number
  /** What the provider reported, for the effects on bookings: changed instances (in the window or not)... */
  changed: ProviderEvent[]
  /** ...and ids reported deleted (incremental only; a full sync's deletions are whatever `changed` lacks). */
  deletedIds: string[]
}

function toInput(e: ProviderEvent): CalendarEventInput {
  return { id: newId(), ...e }
}

/**
 * Syncs one calendar: incremental from its cursor, or full without one. An expired cursor (Google 410, Graph
 * SyncStateNotFound) is the one path to a full resync (STYLE habit 10). A full result replaces the calendar's
 * events in one transaction, so readers never see it empty.
 */
export async function syncCalendar(
  ctx: SyncContext,
  session: CalendarSession,
  calendar: Pick<repo.ConnectionCalendar, 'calendarId' | 'syncCursorEnc' | 'timeZone'>,
  options: { full?: boolean } = {},
): Promise<SyncResult> {
  const window = syncWindow(ctx.now)
  const input = { window, fallbackTimeZone: calendar.timeZone ?? ctx.ownerTimeZone }
  let cursor = options.full || !calendar.syncCursorEnc ? null : decryptSecret(ctx.key, calendar.syncCursorEnc)
  let changes: ChangeSet
  try {
    changes = await session.fetchChanges(calendar.calendarId, { ...input, cursor })
  } catch (err) {
    if (!(err instanceof ProviderError && err.reason === 'cursor_expired' && cursor !== null)) throw err
    cursor = null
    changes = await session.fetchChanges(calendar.calendarId, { ...input, cursor })
  }

  // An incremental round may report events outside the window (a sync token has no timeMin): they are not ours
  // to keep, and an event moved out of the window must leave.
  const inWindow = (e: ProviderEvent) => e.end > window.start && e.start < window.end
  const keep = changes.events.filter(inWindow)
  const gone = [
    ...changes.deletedIds,
    ...changes.events.filter((e) => !inWindow(e)).map((e) => e.providerEventId),
    // deleteCalendarEvents also matches recurring_event_id: every stored instance of these series goes, and the
    // fresh ones in `keep` are upserted in the same transaction.
    ...(changes.replacedSeries ?? []),
  ]
  const { accountId, connectionId } = ctx
  await ctx.db.transaction().execute(async (trx) => {
    if (changes.full) {
      await repo.replaceCalendarEvents(
        trx,
        accountId,
        connectionId,
        calendar.calendarId,
        keep.map(toInput),
        ctx.now,
      )
    } else {
      await repo.deleteCalendarEvents(trx, accountId, connectionId, calendar.calendarId, gone)
      await upsertCalendarEvents(
        trx,
        accountId,
        connectionId,
        calendar.calendarId,
        keep.map(toInput),
        ctx.now,
      )
    }
    await repo.saveCalendarCursor(
      trx,
      accountId,
      connectionId,
      calendar.calendarId,
      encryptSecret(ctx.key, changes.cursor),
      ctx.now,
    )
  })
  return {
    calendarId: calendar.calendarId,
    full: changes.full,
    upserted: keep.length,
    deleted: changes.full ? 0 : gone.length,
    changed: changes.events,
    deletedIds: changes.deletedIds,
  }
}

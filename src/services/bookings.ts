// Booking use cases: create, reschedule, cancel. Each re-checks every rule of SPEC 1.2 inside one transaction,
// serialised per client (and per assistant when the assistant must attend); the exclusion constraints of the
// bookings table are the last word on overlaps.
import { sql, type Transaction } from 'kysely'
import { explainSlot } from '../availability/index.js'
import type { Reason } from '../availability/types.js'
import * as repo from '../db/repositories/bookings.js'
import type { Owner } from '../db/repositories/calendars.js'
import {
  type Contact,
  findContact,
  findContactByEmail,
  insertContact,
  updateContact,
} from '../db/repositories/people.js'
import type { DB } from '../db/schema.js'
import { afterCommit, inTransaction } from '../db/transaction.js'
import type { Deps } from '../deps.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { newId } from '../ids.js'
import { wakeWorkers } from '../jobs/wake.js'
import { generateToken, hashToken } from '../secrets.js'
import { decryptSecret, EncryptionKeyMissingError, encryptSecret } from '../sync/crypto.js'
import { busyData, engineInput, loadSchedulingContext, type SchedulingContext } from './availability.js'

const MINUTE = 60_000

export interface InlineContact {
  name: string
  email: string
  timeZone?: string | null | undefined
}

export interface CreateBookingInput {
  meetingTypeId: string
  start: string
  contactId?: string | undefined
  contact?: InlineContact | undefined
  notes?: string | null | undefined
}

export interface CreateOptions {
  source: 'api' | 'link'
  bookingLinkId?: string | null
}

export interface CreatedBooking {
  booking: repo.Booking
  /** Every booking gets one: the contact's way to reschedule or cancel (shown in links and calendar events). */
  manageToken: string
}

/** The manage token sealed for storage; null when no encryption key is configured (the link is then not shown). */
function sealManageToken(deps: Deps, token: string): string | null {
  try {
    return encryptSecret(deps.encryptionKey(), token)
  } catch (err) {
    if (err instanceof EncryptionKeyMissingError) return null
    throw err
  }
}

/** `{PUBLIC_BASE_URL}/m/{token}` of a booking, when its token could be stored. */
export function bookingManageUrl(deps: Deps, booking: repo.Booking): string | null {
  if (!booking.manageTokenEnc) return null
  try {
    return `${deps.config.publicBaseUrl}/m/${decryptSecret(deps.encryptionKey(), booking.manageTokenEnc)}`
  } catch {
    return null
  }
}

function slotUnavailable(reasons: Reason[]): ConflictError {
  return new ConflictError('slot_unavailable', 'The time is not bookable.', {
    reasons: reasons.map((r) => ({
      ...r,
      start: r.start === undefined ? undefined : new Date(r.start).toISOString(),
      end: r.end === undefined ? undefined : new Date(r.end).toISOString(),
    })),
  })
}

function isExclusionViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23P01'
}

/** Serialises writers of one client's (and the assistant's) bookings; always client first, so no deadlock. */
async function lockHosts(trx: Transaction<DB>, ctx: SchedulingContext): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`client:${ctx.client.id}`}, 0))`.execute(trx)
  if (ctx.meetingType.hosts !== 'client') {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`assistant:${ctx.assistant.id}`}, 0))`.execute(
      trx,
    )
  }
}

/** Every rule a start fails, with the hosts' busy data read inside the transaction. */
async function recheck(
  trx: Transaction<DB>,
  deps: Deps,
  accountId: string,
  ctx: SchedulingContext,
  start: number,
  contactTimeZone: string | null,
  excludeBookingId: string | null,
): Promise<Reason[]> {
  const slot = { start, end: start + ctx.meetingType.durationMinutes * MINUTE }
  const data = await busyData(trx, accountId, ctx, slot, excludeBookingId)
  return explainSlot(engineInput(ctx, slot, deps.clock.now().getTime(), contactTimeZone, data), start)
}

function syncOwners(ctx: SchedulingContext, needsAssistant: boolean): Owner[] {
  const owners: Owner[] = [{ type: 'client', id: ctx.client.id }]
  if (needsAssistant) owners.push({ type: 'assistant', id: ctx.assistant.id })
  return owners
}

async function resolveContact(
  trx: Transaction<DB>,
  deps: Deps,
  accountId: string,
  ctx: SchedulingContext,
  input: CreateBookingInput,
  pointerBase: string,
): Promise<Contact> {
  if (input.contactId && input.contact) {
    throw new ValidationError([
      { pointer: `${pointerBase}/contact`, message: 'give either contactId or contact, not both' },
    ])
  }
  if (input.contactId) {
    const contact = await findContact(trx, accountId, ctx.client.id, input.contactId)
    if (!contact)
      throw new ValidationError([
        { pointer: `${pointerBase}/contactId`, message: 'is not a contact of this client' },
      ])
    return contact
  }
  if (!input.contact) {
    throw new ValidationError([{ pointer: `${pointerBase}/contactId`, message: 'give contactId or contact' }])
  }
  const given = input.contact
  const now = deps.clock.now()
  const existing = await findContactByEmail(trx, accountId, ctx.client.id, given.email)
  if (existing) {
    // A contact who tells us their zone for the first time keeps it for next time.
    if (!existing.timeZone && given.timeZone) {
      return (
        (await updateContact(
          trx,
          accountId,
          ctx.client.id,
          existing.id,
          { ...existing, timeZone: given.timeZone },
          now,
        )) ?? existing
      )
    }
    return existing
  }
  return insertContact(
    trx,
    accountId,
    ctx.client.id,
    newId(),
    {
      name: given.name,
      email: given.email,
      timeZone: given.timeZone ?? null,
    },
    now,
  )
}

export async function createBooking(
  deps: Deps,
  accountId: string,
  input: CreateBookingInput,
  options: CreateOptions = { source: 'api' },
  pointerBase = '/body',
): Promise<CreatedBooking> {
  const start = Date.parse(input.start)
  return inTransaction(deps.db, async (trx) => {
    const ctx = await loadSchedulingContext(trx, accountId, input.meetingTypeId)
    const contact = await resolveContact(trx, deps, accountId, ctx, input, pointerBase)
    await lockHosts(trx, ctx)
    const reasons = await recheck(trx, deps, accountId, ctx, start, contact.timeZone, null)
    if (reasons.length > 0) throw slotUnavailable(reasons)

    const now = deps.clock.now()
    const mt = ctx.meetingType
    const manageToken = generateToken('manage')
    const needsAssistant = mt.hosts !== 'client'
    const id = newId()
    const draft: repo.NewBooking = {
      id,
      meetingTypeId: mt.id,
      clientId: ctx.client.id,
      assistantId: ctx.assistant.id,
      contactId: contact.id,
      bookingLinkId: options.bookingLinkId ?? null,
      start: new Date(start),
      end: new Date(start + mt.durationMinutes * MINUTE),
      bufferBeforeMinutes: mt.bufferBeforeMinutes,
      bufferAfterMinutes: mt.bufferAfterMinutes,
      needsAssistant,
      source: options.source,
      notes: input.notes ?? null,
      manageTokenHash: hashToken(manageToken),
      manageTokenEnc: sealManageToken(deps, manageToken),
    }
    let booking: repo.Booking
    try {
      booking = await repo.insertBookingWithEffects(
        trx,
        accountId,
        draft,
        syncOwners(ctx, needsAssistant),
        {
          id: newId(),
          type: 'booking.created',
          payload: eventPayload({ ...draft, status: 'confirmed', sequence: 0 }),
        },
        now,
      )
    } catch (err) {
      if (isExclusionViolation(err))
        throw slotUnavailable([{ code: 'booking_conflict', detail: 'another booking holds this time' }])
      throw err
    }
    wakeDispatcherAfterCommit(deps, trx)
    return { booking, manageToken }
  })
}

export async function getBooking(deps: Deps, accountId: string, id: string): Promise<repo.Booking> {
  const booking = await repo.findBooking(deps.db, accountId, id)
  if (!booking) throw new NotFoundError('Booking')
  return booking
}

export function listBookings(
  deps: Deps,
  accountId: string,
  filter: repo.BookingFilter,
  page: { cursor?: string; limit?: number },
) {
  return repo.listBookings(deps.db, accountId, filter, page)
}

export interface RescheduleOptions {
  /**
   * The client moved the event in their own calendar (SPEC 2.3): the time is theirs to choose, so the rules are
   * not re-checked (`explain` can still show why it is unusual). Other bookings still cannot overlap.
   */
  skipRules?: boolean
  /** The end the calendar event has, when it is not the meeting type's duration. */
  end?: Date
}

export async function rescheduleBooking(
  deps: Deps,
  accountId: string,
  id: string,
  input: { start: string },
  source: 'api' | 'link' | 'calendar' = 'api',
  options: RescheduleOptions = {},
): Promise<repo.Booking> {
  const start = Date.parse(input.start)
  return inTransaction(deps.db, async (trx) => {
    const current = await repo.lockBooking(trx, accountId, id)
    if (!current) throw new NotFoundError('Booking')
    if (current.status !== 'confirmed')
      throw new ConflictError('booking_cancelled', 'A cancelled booking cannot be rescheduled.')
    const ctx = await loadSchedulingContext(trx, accountId, current.meetingTypeId)
    const contact = await findContact(trx, accountId, current.clientId, current.contactId)
    await lockHosts(trx, ctx)
    if (!options.skipRules) {
      const reasons = await recheck(trx, deps, accountId, ctx, start, contact?.timeZone ?? null, current.id)
      if (reasons.length > 0) throw slotUnavailable(reasons)
    }
    const now = deps.clock.now()
    try {
      await repo.moveBooking(
        trx,
        accountId,
        id,
        {
          start: new Date(start),
          end: options.end ?? new Date(start + ctx.meetingType.durationMinutes * MINUTE),
        },
        source,
        now,
      )
    } catch (err) {
      if (isExclusionViolation(err))
        throw slotUnavailable([{ code: 'booking_conflict', detail: 'another booking holds this time' }])
      throw err
    }
    await repo.queueBookingSync(trx, accountId, id, syncOwners(ctx, current.needsAssistant), now)
    const moved = (await repo.findBooking(trx, accountId, id))!
    await repo.insertOutboxEvent(
      trx,
      accountId,
      {
        id: newId(),
        type: 'booking.rescheduled',
        bookingId: id,
        source,
        payload: {
          ...eventPayload(moved),
          previousStart: current.start.toISOString(),
          previousEnd: current.end.toISOString(),
        },
      },
      now,
    )
    wakeDispatcherAfterCommit(deps, trx)
    return moved
  })
}

/** Cancels a confirmed booking; cancelling a cancelled booking changes nothing and answers the same. */
export async function cancelBooking(
  deps: Deps,
  accountId: string,
  id: string,
  input: { reason?: string | null | undefined },
  source: 'api' | 'link' | 'calendar' = 'api',
): Promise<repo.Booking> {
  return inTransaction(deps.db, async (trx) => {
    const current = await repo.lockBooking(trx, accountId, id)
    if (!current) throw new NotFoundError('Booking')
    if (current.status === 'cancelled') return (await repo.findBooking(trx, accountId, id))!
    const now = deps.clock.now()
    await repo.markBookingCancelled(trx, accountId, id, input.reason ?? null, source, now)
    const owners: Owner[] = [{ type: 'client', id: current.clientId }]
    if (current.needsAssistant) owners.push({ type: 'assistant', id: current.assistantId })
    await repo.queueBookingSync(trx, accountId, id, owners, now)
    const cancelled = (await repo.findBooking(trx, accountId, id))!
    await repo.insertOutboxEvent(
      trx,
      accountId,
      { id: newId(), type: 'booking.cancelled', bookingId: id, source, payload: eventPayload(cancelled) },
      now,
    )
    wakeDispatcherAfterCommit(deps, trx)
    return cancelled
  })
}

/**
 * The booking's outbox event is written in `trx`: once it is committed, the worker's dispatcher is woken to hand
 * it to the calendar writes and webhooks at once rather than at its next poll (src/jobs/wake.ts). Not a NOTIFY
 * inside the transaction: that would serialize the commits of all bookings.
 */
function wakeDispatcherAfterCommit(deps: Deps, trx: Transaction<DB>): void {
  afterCommit(trx, () => wakeWorkers(deps.database, 'outbox'))
}

/** What consumers of the outbox (calendar sync, app webhooks) get: the booking as the API shows it. */
function eventPayload(
  b: Pick<
    repo.Booking,
    | 'id'
    | 'meetingTypeId'
    | 'clientId'
    | 'assistantId'
    | 'contactId'
    | 'start'
    | 'end'
    | 'status'
    | 'source'
    | 'sequence'
  >,
) {
  return {
    id: b.id,
    meetingTypeId: b.meetingTypeId,
    clientId: b.clientId,
    assistantId: b.assistantId,
    contactId: b.contactId,
    start: b.start.toISOString(),
    end: b.end.toISOString(),
    status: b.status,
    source: b.source,
    sequence: b.sequence,
  }
}

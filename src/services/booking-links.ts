// Booking links and the public side of booking: what a contact holding a link or a manage token may see and do.
// Contacts see free slots and their own booking, never anything else of the client's calendar.
import { computeSlots, isValidTimeZone } from '../availability/index.js'
import * as links from '../db/repositories/booking-links.js'
import { type Booking, findBooking, findBookingByManageToken } from '../db/repositories/bookings.js'
import { findMeetingType } from '../db/repositories/meeting-types.js'
import { findClient, findContact } from '../db/repositories/people.js'
import { inTransaction } from '../db/transaction.js'
import type { Deps } from '../deps.js'
import { DomainError, NotFoundError, ValidationError } from '../errors.js'
import { newId } from '../ids.js'
import { generateToken, hashToken } from '../secrets.js'
import {
  busyData,
  engineInput,
  loadSchedulingContext,
  parseWindow,
  type WindowQuery,
} from './availability.js'
import { cancelBooking, createBooking, rescheduleBooking } from './bookings.js'
import { bookingIcs } from './ics.js'

export class LinkUnavailableError extends DomainError {}

export function linkUrl(deps: Deps, token: string): string {
  return `${deps.config.publicBaseUrl}/b/${token}`
}

export function manageUrl(deps: Deps, token: string): string {
  return `${deps.config.publicBaseUrl}/m/${token}`
}

// Admin side (API keys)

export interface CreateLinkInput {
  meetingTypeId: string
  contactId?: string | undefined
  expiresAt?: string | undefined
  maxUses?: number | undefined
}

export async function createBookingLink(deps: Deps, accountId: string, input: CreateLinkInput) {
  const meetingType = await findMeetingType(deps.db, accountId, input.meetingTypeId)
  if (!meetingType)
    throw new ValidationError([
      { pointer: '/body/meetingTypeId', message: 'is not a meeting type of this account' },
    ])
  if (input.contactId && !(await findContact(deps.db, accountId, meetingType.clientId, input.contactId))) {
    throw new ValidationError([
      { pointer: '/body/contactId', message: 'is not a contact of the meeting type’s client' },
    ])
  }
  const now = deps.clock.now()
  if (input.expiresAt && Date.parse(input.expiresAt) <= now.getTime()) {
    throw new ValidationError([{ pointer: '/body/expiresAt', message: 'must be in the future' }])
  }
  const token = generateToken('link', 24)
  const link = await links.insertBookingLink(
    deps.db,
    accountId,
    {
      id: newId(),
      meetingTypeId: meetingType.id,
      contactId: input.contactId ?? null,
      tokenHash: hashToken(token),
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      maxUses: input.maxUses ?? null,
    },
    now,
  )
  return { ...link, token, url: linkUrl(deps, token) }
}

export async function getBookingLink(deps: Deps, accountId: string, id: string) {
  const link = await links.findBookingLink(deps.db, accountId, id)
  if (!link) throw new NotFoundError('Booking link')
  return link
}

export function listBookingLinks(
  deps: Deps,
  accountId: string,
  filter: { meetingTypeId?: string | undefined },
) {
  return links.listBookingLinks(deps.db, accountId, filter)
}

export async function revokeBookingLink(deps: Deps, accountId: string, id: string): Promise<void> {
  if (!(await links.revokeBookingLink(deps.db, accountId, id, deps.clock.now())))
    throw new NotFoundError('Booking link')
}

// Public side (a token is the only credential)

/** The link a token opens, or why it cannot be used. */
async function openLink(deps: Deps, token: string) {
  const link = await links.findBookingLinkByToken(deps.db, hashToken(token))
  if (!link) throw new LinkUnavailableError('link_not_found', 'This booking link does not exist.')
  if (link.revokedAt) throw new LinkUnavailableError('link_revoked', 'This booking link was withdrawn.')
  if (link.expiresAt && link.expiresAt.getTime() <= deps.clock.now().getTime()) {
    throw new LinkUnavailableError('link_expired', 'This booking link has expired.')
  }
  if (link.maxUses !== null && link.uses >= link.maxUses) {
    throw new LinkUnavailableError('link_used_up', 'This booking link has been used up.')
  }
  let ctx: Awaited<ReturnType<typeof loadSchedulingContext>>
  try {
    ctx = await loadSchedulingContext(deps.db, link.accountId, link.meetingTypeId)
  } catch {
    throw new LinkUnavailableError('link_not_found', 'This booking link does not exist.')
  }
  const contact = link.contactId
    ? await findContact(deps.db, link.accountId, ctx.client.id, link.contactId)
    : null
  return { link, ctx, contact, accountId: link.accountId }
}

export async function publicLink(deps: Deps, token: string) {
  const { ctx, contact, link } = await openLink(deps, token)
  return {
    meeting: { name: ctx.meetingType.name, durationMinutes: ctx.meetingType.durationMinutes },
    client: { name: ctx.client.name, timeZone: ctx.client.timeZone },
    contact: contact ? { name: contact.name, email: contact.email, timeZone: contact.timeZone } : null,
    expiresAt: link.expiresAt,
    horizonDays: ctx.meetingType.horizonDays,
  }
}

function browserZone(timeZone: string | undefined): string | null {
  if (timeZone === undefined) return null
  if (!isValidTimeZone(timeZone))
    throw new ValidationError([{ pointer: '/query/timeZone', message: 'is not an IANA time zone' }])
  return timeZone
}

function slotsOut(slots: { start: number; end: number }[]) {
  return slots.map((s) => ({ start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString() }))
}

/** Free slots only: no calendars, no reasons. The contact's zone (known, or the browser's) applies contact hours. */
export async function publicLinkSlots(
  deps: Deps,
  token: string,
  query: WindowQuery & { timeZone?: string | undefined },
) {
  const window = parseWindow(query)
  const { ctx, contact, accountId } = await openLink(deps, token)
  const zone = contact?.timeZone ?? browserZone(query.timeZone)
  const data = await busyData(deps.db, accountId, ctx, window)
  return { slots: slotsOut(computeSlots(engineInput(ctx, window, deps.clock.now().getTime(), zone, data))) }
}

export interface PublicBookingInput {
  start: string
  name: string
  email: string
  timeZone?: string | undefined
  notes?: string | undefined
}

export async function bookThroughLink(deps: Deps, token: string, input: PublicBookingInput) {
  if (input.timeZone !== undefined && !isValidTimeZone(input.timeZone)) {
    throw new ValidationError([{ pointer: '/body/timeZone', message: 'is not an IANA time zone' }])
  }
  const { link, accountId, contact } = await openLink(deps, token)
  const created = await inTransaction(deps.db, async (trx) => {
    const tdeps = { ...deps, db: trx }
    // Counted in the booking's transaction: a booking that fails gives the use back.
    if (!(await links.useBookingLink(trx, accountId, link.id, deps.clock.now()))) await openLink(tdeps, token)
    return createBooking(
      tdeps,
      accountId,
      {
        meetingTypeId: link.meetingTypeId,
        start: input.start,
        ...(contact
          ? { contactId: contact.id }
          : { contact: { name: input.name, email: input.email, timeZone: input.timeZone ?? null } }),
        notes: input.notes ?? null,
      },
      { source: 'link', bookingLinkId: link.id },
    )
  })
  const manageToken = created.manageToken
  return {
    booking: await publicBooking(deps, accountId, created.booking),
    manageToken,
    manageUrl: manageUrl(deps, manageToken),
    icsUrl: `${deps.config.publicBaseUrl}/public/v1/manage/${manageToken}/booking.ics`,
  }
}

/** A booking as its contact may see it. */
async function publicBooking(deps: Deps, accountId: string, booking: Booking) {
  const meetingType = await findMeetingType(deps.db, accountId, booking.meetingTypeId)
  const client = await findClient(deps.db, accountId, booking.clientId)
  const contact = await findContact(deps.db, accountId, booking.clientId, booking.contactId)
  return {
    id: booking.id,
    status: booking.status,
    start: booking.start,
    end: booking.end,
    meeting: { name: meetingType?.name ?? 'Meeting', durationMinutes: meetingType?.durationMinutes ?? 0 },
    client: { name: client?.name ?? '', timeZone: client?.timeZone ?? 'UTC' },
    contact: { name: contact?.name ?? '', email: contact?.email ?? '', timeZone: contact?.timeZone ?? null },
  }
}

async function openManage(deps: Deps, token: string) {
  const found = await findBookingByManageToken(deps.db, hashToken(token))
  if (!found) throw new LinkUnavailableError('link_not_found', 'This manage link does not exist.')
  const booking = await findBooking(deps.db, found.accountId, found.id)
  if (!booking) throw new LinkUnavailableError('link_not_found', 'This manage link does not exist.')
  return { accountId: found.accountId, booking }
}

export async function publicManage(deps: Deps, token: string) {
  const { accountId, booking } = await openManage(deps, token)
  return publicBooking(deps, accountId, booking)
}

export async function publicManageSlots(
  deps: Deps,
  token: string,
  query: WindowQuery & { timeZone?: string | undefined },
) {
  const window = parseWindow(query)
  const { accountId, booking } = await openManage(deps, token)
  if (booking.status !== 'confirmed') return { slots: [] }
  const ctx = await loadSchedulingContext(deps.db, accountId, booking.meetingTypeId)
  const contact = await findContact(deps.db, accountId, booking.clientId, booking.contactId)
  const zone = contact?.timeZone ?? browserZone(query.timeZone)
  // The booking's own time is free for its move.
  const data = await busyData(deps.db, accountId, ctx, window, booking.id)
  return { slots: slotsOut(computeSlots(engineInput(ctx, window, deps.clock.now().getTime(), zone, data))) }
}

export async function rescheduleThroughManage(deps: Deps, token: string, input: { start: string }) {
  const { accountId, booking } = await openManage(deps, token)
  const moved = await rescheduleBooking(deps, accountId, booking.id, input, 'link')
  return publicBooking(deps, accountId, moved)
}

export async function cancelThroughManage(deps: Deps, token: string, input: { reason?: string | undefined }) {
  const { accountId, booking } = await openManage(deps, token)
  const cancelled = await cancelBooking(deps, accountId, booking.id, input, 'link')
  return publicBooking(deps, accountId, cancelled)
}

export async function manageIcs(deps: Deps, token: string): Promise<string> {
  const { accountId, booking } = await openManage(deps, token)
  return icsFor(deps, accountId, booking, manageUrl(deps, token))
}

export async function icsFor(
  deps: Deps,
  accountId: string,
  booking: Booking,
  manage: string | null,
): Promise<string> {
  const meetingType = await findMeetingType(deps.db, accountId, booking.meetingTypeId)
  const client = await findClient(deps.db, accountId, booking.clientId)
  const contact = await findContact(deps.db, accountId, booking.clientId, booking.contactId)
  return bookingIcs({
    booking,
    meetingName: meetingType?.name ?? 'Meeting',
    client: { name: client?.name ?? 'Client', email: client?.email ?? 'client@invalid' },
    contact: { name: contact?.name ?? 'Contact', email: contact?.email ?? 'contact@invalid' },
    manageUrl: manage,
  })
}

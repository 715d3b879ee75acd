// Booking links: secret URLs for one meeting type (optionally one contact). Only the token's hash is stored.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../schema.js'
import { stampOnce } from '../stamp.js'

export interface BookingLink {
  id: string
  meetingTypeId: string
  contactId: string | null
  expiresAt: Date | null
  maxUses: number | null
  uses: number
  revokedAt: Date | null
  createdAt: Date
}

type Row = import('kysely').Selectable<DB['booking_links']>

function rowToLink(row: Row): BookingLink {
  return {
    id: row.id,
    meetingTypeId: row.meeting_type_id,
    contactId: row.contact_id,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
  }
}

export async function insertBookingLink(
  db: Kysely<DB>,
  accountId: string,
  link: {
    id: string
    meetingTypeId: string
    contactId: string | null
    tokenHash: string
    expiresAt: Date | null
    maxUses: number | null
  },
  at: Date,
): Promise<BookingLink> {
  const row = await db
    .insertInto('booking_links')
    .values({
      id: link.id,
      account_id: accountId,
      meeting_type_id: link.meetingTypeId,
      contact_id: link.contactId,
      token_hash: link.tokenHash,
      expires_at: link.expiresAt,
      max_uses: link.maxUses,
      created_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return rowToLink(row)
}

export async function findBookingLink(
  db: Kysely<DB>,
  accountId: string,
  id: string,
): Promise<BookingLink | null> {
  const row = await db
    .selectFrom('booking_links')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? rowToLink(row) : null
}

export async function listBookingLinks(
  db: Kysely<DB>,
  accountId: string,
  filter: { meetingTypeId?: string | undefined },
): Promise<BookingLink[]> {
  let query = db.selectFrom('booking_links').selectAll().where('account_id', '=', accountId)
  if (filter.meetingTypeId) query = query.where('meeting_type_id', '=', filter.meetingTypeId)
  return (await query.orderBy('id').limit(500).execute()).map(rowToLink)
}

export function revokeBookingLink(db: Kysely<DB>, accountId: string, id: string, at: Date): Promise<boolean> {
  return stampOnce(db, 'booking_links', 'revoked_at', accountId, id, at)
}

/** The link a token opens, with its account: the public pages' one lookup not scoped by account. */
export async function findBookingLinkByToken(
  db: Kysely<DB>,
  tokenHash: string,
): Promise<(BookingLink & { accountId: string }) | null> {
  const row = await db
    .selectFrom('booking_links')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst()
  return row ? { ...rowToLink(row), accountId: row.account_id } : null
}

/** Counts one use, only while the link is live and not used up; false when it could not. */
export async function useBookingLink(
  trx: Transaction<DB>,
  accountId: string,
  id: string,
  at: Date,
): Promise<boolean> {
  const result = await trx
    .updateTable('booking_links')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
    .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

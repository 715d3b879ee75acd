// Meeting types: how one kind of a client's meetings is booked.
import type { Kysely } from 'kysely'
import type { LocalInterval } from '../../availability/types.js'
import { type Page, type PageRequest, paginate } from '../pagination.js'
import type { DB, MeetingTypeRow } from '../schema.js'
import { stampOnce } from '../stamp.js'

export type Hosts = 'client' | 'assistant' | 'both'

export interface MeetingTypeFields {
  clientId: string
  name: string
  durationMinutes: number
  slotIntervalMinutes: number
  bufferBeforeMinutes: number
  bufferAfterMinutes: number
  minimumNoticeMinutes: number
  horizonDays: number
  maxPerDay: number | null
  hosts: Hosts
  requireAssistantHours: boolean
  contactHours: LocalInterval | null
}

export interface MeetingType extends MeetingTypeFields {
  id: string
  createdAt: Date
  updatedAt: Date
}

export function rowToMeetingType(row: MeetingTypeRow): MeetingType {
  return {
    id: row.id,
    clientId: row.client_id,
    name: row.name,
    durationMinutes: row.duration_minutes,
    slotIntervalMinutes: row.slot_interval_minutes,
    bufferBeforeMinutes: row.buffer_before_minutes,
    bufferAfterMinutes: row.buffer_after_minutes,
    minimumNoticeMinutes: row.minimum_notice_minutes,
    horizonDays: row.horizon_days,
    maxPerDay: row.max_per_day,
    hosts: row.hosts,
    requireAssistantHours: row.require_assistant_hours,
    contactHours: (row.contact_hours as LocalInterval | null) ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function toColumns(fields: MeetingTypeFields) {
  return {
    client_id: fields.clientId,
    name: fields.name,
    duration_minutes: fields.durationMinutes,
    slot_interval_minutes: fields.slotIntervalMinutes,
    buffer_before_minutes: fields.bufferBeforeMinutes,
    buffer_after_minutes: fields.bufferAfterMinutes,
    minimum_notice_minutes: fields.minimumNoticeMinutes,
    horizon_days: fields.horizonDays,
    max_per_day: fields.maxPerDay,
    hosts: fields.hosts,
    require_assistant_hours: fields.requireAssistantHours,
    contact_hours: fields.contactHours ? JSON.stringify(fields.contactHours) : null,
  }
}

export async function findMeetingType(
  db: Kysely<DB>,
  accountId: string,
  id: string,
): Promise<MeetingType | null> {
  const row = await db
    .selectFrom('meeting_types')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return row ? rowToMeetingType(row) : null
}

export async function listMeetingTypes(
  db: Kysely<DB>,
  accountId: string,
  filter: { clientId?: string | undefined },
  page: PageRequest,
): Promise<Page<MeetingType>> {
  let query = db
    .selectFrom('meeting_types')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('deleted_at', 'is', null)
  if (filter.clientId) query = query.where('client_id', '=', filter.clientId)
  const result = await paginate(query, 'meeting_types', page)
  return { data: result.data.map(rowToMeetingType), nextCursor: result.nextCursor }
}

export async function insertMeetingType(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  fields: MeetingTypeFields,
  at: Date,
): Promise<MeetingType> {
  const row = await db
    .insertInto('meeting_types')
    .values({ id, account_id: accountId, ...toColumns(fields), created_at: at, updated_at: at })
    .returningAll()
    .executeTakeFirstOrThrow()
  return rowToMeetingType(row)
}

export async function updateMeetingType(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  fields: MeetingTypeFields,
  at: Date,
): Promise<MeetingType | null> {
  const row = await db
    .updateTable('meeting_types')
    .set({ ...toColumns(fields), updated_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
  return row ? rowToMeetingType(row) : null
}

export function softDeleteMeetingType(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  at: Date,
): Promise<boolean> {
  return stampOnce(db, 'meeting_types', 'deleted_at', accountId, id, at)
}

// Assistants, clients and contacts: the people of an account. Soft-deleted rows are invisible here.
import type { Kysely, Transaction } from 'kysely'
import type { Schedule } from '../../availability/types.js'
import { type Page, type PageRequest, paginate } from '../pagination.js'
import type { AssistantRow, ClientRow, ContactRow, DB } from '../schema.js'
import { stampOnce } from '../stamp.js'

export interface Assistant {
  id: string
  name: string
  email: string
  timeZone: string
  officeHours: Schedule
  createdAt: Date
  updatedAt: Date
}

export interface Client {
  id: string
  assistantId: string
  name: string
  email: string
  timeZone: string
  businessHours: Schedule
  createdAt: Date
  updatedAt: Date
}

export interface Contact {
  id: string
  clientId: string
  name: string
  email: string
  timeZone: string | null
  createdAt: Date
  updatedAt: Date
}

export function rowToAssistant(row: AssistantRow): Assistant {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    timeZone: row.time_zone,
    officeHours: row.office_hours as Schedule,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export function rowToClient(row: ClientRow): Client {
  return {
    id: row.id,
    assistantId: row.assistant_id,
    name: row.name,
    email: row.email,
    timeZone: row.time_zone,
    businessHours: row.business_hours as Schedule,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export function rowToContact(row: ContactRow): Contact {
  return {
    id: row.id,
    clientId: row.client_id,
    name: row.name,
    email: row.email,
    timeZone: row.time_zone,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

// Assistants

export async function findAssistant(
  db: Kysely<DB>,
  accountId: string,
  id: string,
): Promise<Assistant | null> {
  const row = await db
    .selectFrom('assistants')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return row ? rowToAssistant(row) : null
}

export async function listAssistants(
  db: Kysely<DB>,
  accountId: string,
  page: PageRequest,
): Promise<Page<Assistant>> {
  const query = db
    .selectFrom('assistants')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('deleted_at', 'is', null)
  const result = await paginate(query, 'assistants', page)
  return { data: result.data.map(rowToAssistant), nextCursor: result.nextCursor }
}

export interface AssistantFields {
  name: string
  email: string
  timeZone: string
  officeHours: Schedule
}

export async function insertAssistant(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  fields: AssistantFields,
  at: Date,
): Promise<Assistant> {
  const row = await db
    .insertInto('assistants')
    .values({
      id,
      account_id: accountId,
      name: fields.name,
      email: fields.email,
      time_zone: fields.timeZone,
      office_hours: JSON.stringify(fields.officeHours),
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return rowToAssistant(row)
}

export async function updateAssistant(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  fields: AssistantFields,
  at: Date,
): Promise<Assistant | null> {
  const row = await db
    .updateTable('assistants')
    .set({
      name: fields.name,
      email: fields.email,
      time_zone: fields.timeZone,
      office_hours: JSON.stringify(fields.officeHours),
      updated_at: at,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
  return row ? rowToAssistant(row) : null
}

export function softDeleteAssistant(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  at: Date,
): Promise<boolean> {
  return stampOnce(db, 'assistants', 'deleted_at', accountId, id, at)
}

export async function countClientsOfAssistant(
  db: Kysely<DB>,
  accountId: string,
  assistantId: string,
): Promise<number> {
  const row = await db
    .selectFrom('clients')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('assistant_id', '=', assistantId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

// Clients

export async function findClient(db: Kysely<DB>, accountId: string, id: string): Promise<Client | null> {
  const row = await db
    .selectFrom('clients')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return row ? rowToClient(row) : null
}

export async function listClients(
  db: Kysely<DB>,
  accountId: string,
  filter: { assistantId?: string | undefined },
  page: PageRequest,
): Promise<Page<Client>> {
  let query = db
    .selectFrom('clients')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('deleted_at', 'is', null)
  if (filter.assistantId) query = query.where('assistant_id', '=', filter.assistantId)
  const result = await paginate(query, 'clients', page)
  return { data: result.data.map(rowToClient), nextCursor: result.nextCursor }
}

export interface ClientFields {
  assistantId: string
  name: string
  email: string
  timeZone: string
  businessHours: Schedule
}

export async function insertClient(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  fields: ClientFields,
  at: Date,
): Promise<Client> {
  const row = await db
    .insertInto('clients')
    .values({
      id,
      account_id: accountId,
      assistant_id: fields.assistantId,
      name: fields.name,
      email: fields.email,
      time_zone: fields.timeZone,
      business_hours: JSON.stringify(fields.businessHours),
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return rowToClient(row)
}

export async function updateClient(
  db: Kysely<DB>,
  accountId: string,
  id: string,
  fields: ClientFields,
  at: Date,
): Promise<Client | null> {
  const row = await db
    .updateTable('clients')
    .set({
      assistant_id: fields.assistantId,
      name: fields.name,
      email: fields.email,
      time_zone: fields.timeZone,
      business_hours: JSON.stringify(fields.businessHours),
      updated_at: at,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
  return row ? rowToClient(row) : null
}

/** Soft-deletes a client with its contacts and meeting types; bookings and history stay. */
export async function softDeleteClient(
  trx: Transaction<DB>,
  accountId: string,
  id: string,
  at: Date,
): Promise<boolean> {
  if (!(await stampOnce(trx, 'clients', 'deleted_at', accountId, id, at))) return false
  for (const table of ['contacts', 'meeting_types'] as const) {
    await trx
      .updateTable(table)
      .set({ deleted_at: at })
      .where('account_id', '=', accountId)
      .where('client_id', '=', id)
      .where('deleted_at', 'is', null)
      .execute()
  }
  return true
}

// Contacts

export async function findContact(
  db: Kysely<DB>,
  accountId: string,
  clientId: string,
  id: string,
): Promise<Contact | null> {
  const row = await db
    .selectFrom('contacts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('client_id', '=', clientId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return row ? rowToContact(row) : null
}

export async function findContactByEmail(
  db: Kysely<DB>,
  accountId: string,
  clientId: string,
  email: string,
): Promise<Contact | null> {
  const row = await db
    .selectFrom('contacts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('client_id', '=', clientId)
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return row ? rowToContact(row) : null
}

export async function listContacts(
  db: Kysely<DB>,
  accountId: string,
  clientId: string,
  page: PageRequest,
): Promise<Page<Contact>> {
  const query = db
    .selectFrom('contacts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('client_id', '=', clientId)
    .where('deleted_at', 'is', null)
  const result = await paginate(query, 'contacts', page)
  return { data: result.data.map(rowToContact), nextCursor: result.nextCursor }
}

export interface ContactFields {
  name: string
  email: string
  timeZone: string | null
}

export async function insertContact(
  db: Kysely<DB>,
  accountId: string,
  clientId: string,
  id: string,
  fields: ContactFields,
  at: Date,
): Promise<Contact> {
  const row = await db
    .insertInto('contacts')
    .values({
      id,
      account_id: accountId,
      client_id: clientId,
      name: fields.name,
      email: fields.email,
      time_zone: fields.timeZone,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return rowToContact(row)
}

export async function updateContact(
  db: Kysely<DB>,
  accountId: string,
  clientId: string,
  id: string,
  fields: ContactFields,
  at: Date,
): Promise<Contact | null> {
  const row = await db
    .updateTable('contacts')
    .set({ name: fields.name, email: fields.email, time_zone: fields.timeZone, updated_at: at })
    .where('account_id', '=', accountId)
    .where('client_id', '=', clientId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
  return row ? rowToContact(row) : null
}

export function softDeleteContact(
  db: Kysely<DB>,
  accountId: string,
  clientId: string,
  id: string,
  at: Date,
): Promise<boolean> {
  return stampOnce(db, 'contacts', 'deleted_at', accountId, id, at, { clientId })
}

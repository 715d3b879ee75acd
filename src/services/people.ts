// Use cases for assistants, clients and contacts: validation beyond the schema, defaults, soft deletion.

import { isValidTimeZone } from '../availability/index.js'
import type { PageRequest } from '../db/pagination.js'
import * as repo from '../db/repositories/people.js'
import { inTransaction } from '../db/transaction.js'
import type { Deps } from '../deps.js'
import { ConflictError, type FieldProblem, NotFoundError } from '../errors.js'
import { newId } from '../ids.js'
import { normalizeSchedule, type ScheduleInput, scheduleProblems, throwIfProblems } from './schedules.js'

function zoneProblems(zone: string | null | undefined, pointer: string): FieldProblem[] {
  return zone == null || isValidTimeZone(zone)
    ? []
    : [{ pointer, message: `is not an IANA time zone: ${zone}` }]
}

// Assistants

export interface AssistantInput {
  name: string
  email: string
  timeZone: string
  officeHours: ScheduleInput
}

function checkedAssistant(input: AssistantInput): repo.AssistantFields {
  const officeHours = normalizeSchedule(input.officeHours, input.timeZone)
  throwIfProblems([
    ...zoneProblems(input.timeZone, '/body/timeZone'),
    ...scheduleProblems(officeHours, '/body/officeHours'),
  ])
  return { name: input.name, email: input.email, timeZone: input.timeZone, officeHours }
}

export async function createAssistant(
  deps: Deps,
  accountId: string,
  input: AssistantInput,
): Promise<repo.Assistant> {
  return repo.insertAssistant(deps.db, accountId, newId(), checkedAssistant(input), deps.clock.now())
}

export async function getAssistant(deps: Deps, accountId: string, id: string): Promise<repo.Assistant> {
  const assistant = await repo.findAssistant(deps.db, accountId, id)
  if (!assistant) throw new NotFoundError('Assistant')
  return assistant
}

export function listAssistants(deps: Deps, accountId: string, page: PageRequest) {
  return repo.listAssistants(deps.db, accountId, page)
}

export async function updateAssistant(
  deps: Deps,
  accountId: string,
  id: string,
  patch: Partial<AssistantInput>,
): Promise<repo.Assistant> {
  const current = await getAssistant(deps, accountId, id)
  const fields = checkedAssistant({
    name: patch.name ?? current.name,
    email: patch.email ?? current.email,
    timeZone: patch.timeZone ?? current.timeZone,
    officeHours: patch.officeHours ?? current.officeHours,
  })
  const updated = await repo.updateAssistant(deps.db, accountId, id, fields, deps.clock.now())
  if (!updated) throw new NotFoundError('Assistant')
  return updated
}

export async function deleteAssistant(deps: Deps, accountId: string, id: string): Promise<void> {
  await getAssistant(deps, accountId, id)
  const clients = await repo.countClientsOfAssistant(deps.db, accountId, id)
  if (clients > 0) {
    throw new ConflictError(
      'assistant_in_use',
      `The assistant is in charge of ${clients} client(s); give them another assistant first.`,
    )
  }
  if (!(await repo.softDeleteAssistant(deps.db, accountId, id, deps.clock.now())))
    throw new NotFoundError('Assistant')
}

// Clients

export interface ClientInput {
  assistantId: string
  name: string
  email: string
  timeZone: string
  businessHours: ScheduleInput
}

async function checkedClient(deps: Deps, accountId: string, input: ClientInput): Promise<repo.ClientFields> {
  const businessHours = normalizeSchedule(input.businessHours, input.timeZone)
  const problems = [
    ...zoneProblems(input.timeZone, '/body/timeZone'),
    ...scheduleProblems(businessHours, '/body/businessHours'),
  ]
  if (!(await repo.findAssistant(deps.db, accountId, input.assistantId))) {
    problems.push({ pointer: '/body/assistantId', message: 'is not an assistant of this account' })
  }
  throwIfProblems(problems)
  return {
    assistantId: input.assistantId,
    name: input.name,
    email: input.email,
    timeZone: input.timeZone,
    businessHours,
  }
}

export async function createClient(deps: Deps, accountId: string, input: ClientInput): Promise<repo.Client> {
  const fields = await checkedClient(deps, accountId, input)
  return repo.insertClient(deps.db, accountId, newId(), fields, deps.clock.now())
}

export async function getClient(deps: Deps, accountId: string, id: string): Promise<repo.Client> {
  const client = await repo.findClient(deps.db, accountId, id)
  if (!client) throw new NotFoundError('Client')
  return client
}

export function listClients(
  deps: Deps,
  accountId: string,
  filter: { assistantId?: string | undefined },
  page: PageRequest,
) {
  return repo.listClients(deps.db, accountId, filter, page)
}

export async function updateClient(
  deps: Deps,
  accountId: string,
  id: string,
  patch: Partial<ClientInput>,
): Promise<repo.Client> {
  const current = await getClient(deps, accountId, id)
  const fields = await checkedClient(deps, accountId, {
    assistantId: patch.assistantId ?? current.assistantId,
    name: patch.name ?? current.name,
    email: patch.email ?? current.email,
    timeZone: patch.timeZone ?? current.timeZone,
    businessHours: patch.businessHours ?? current.businessHours,
  })
  const updated = await repo.updateClient(deps.db, accountId, id, fields, deps.clock.now())
  if (!updated) throw new NotFoundError('Client')
  return updated
}

/** Soft delete: the client, its contacts and meeting types disappear from the API; bookings stay on record. */
export async function deleteClient(deps: Deps, accountId: string, id: string): Promise<void> {
  const deleted = await inTransaction(deps.db, (trx) =>
    repo.softDeleteClient(trx, accountId, id, deps.clock.now()),
  )
  if (!deleted) throw new NotFoundError('Client')
}

// Contacts

export interface ContactInput {
  name: string
  email: string
  timeZone?: string | null | undefined
}

function checkedContact(input: ContactInput): repo.ContactFields {
  throwIfProblems(zoneProblems(input.timeZone, '/body/timeZone'))
  return { name: input.name, email: input.email, timeZone: input.timeZone ?? null }
}

function duplicateEmail(err: unknown): boolean {
  return (err as { code?: string }).code === '23505'
}

const emailTaken = () =>
  new ConflictError('contact_exists', 'This client already has a contact with that email.')

export async function createContact(
  deps: Deps,
  accountId: string,
  clientId: string,
  input: ContactInput,
): Promise<repo.Contact> {
  await getClient(deps, accountId, clientId)
  try {
    return await repo.insertContact(
      deps.db,
      accountId,
      clientId,
      newId(),
      checkedContact(input),
      deps.clock.now(),
    )
  } catch (err) {
    if (duplicateEmail(err)) throw emailTaken()
    throw err
  }
}

export async function getContact(
  deps: Deps,
  accountId: string,
  clientId: string,
  id: string,
): Promise<repo.Contact> {
  const contact = await repo.findContact(deps.db, accountId, clientId, id)
  if (!contact) throw new NotFoundError('Contact')
  return contact
}

export async function listContacts(deps: Deps, accountId: string, clientId: string, page: PageRequest) {
  await getClient(deps, accountId, clientId)
  return repo.listContacts(deps.db, accountId, clientId, page)
}

export async function updateContact(
  deps: Deps,
  accountId: string,
  clientId: string,
  id: string,
  patch: Partial<ContactInput>,
): Promise<repo.Contact> {
  const current = await getContact(deps, accountId, clientId, id)
  const fields = checkedContact({
    name: patch.name ?? current.name,
    email: patch.email ?? current.email,
    timeZone: patch.timeZone === undefined ? current.timeZone : patch.timeZone,
  })
  try {
    const updated = await repo.updateContact(deps.db, accountId, clientId, id, fields, deps.clock.now())
    if (!updated) throw new NotFoundError('Contact')
    return updated
  } catch (err) {
    if (duplicateEmail(err)) throw emailTaken()
    throw err
  }
}

export async function deleteContact(
  deps: Deps,
  accountId: string,
  clientId: string,
  id: string,
): Promise<void> {
  if (!(await repo.softDeleteContact(deps.db, accountId, clientId, id, deps.clock.now())))
    throw new NotFoundError('Contact')
}

// Use cases for meeting types: defaults (SPEC 1.5) and the checks a schema cannot express.

import type { PageRequest } from '../db/pagination.js'
import * as repo from '../db/repositories/meeting-types.js'
import { findClient } from '../db/repositories/people.js'
import type { Deps } from '../deps.js'
import { NotFoundError } from '../errors.js'
import { newId } from '../ids.js'
import { localIntervalProblems, throwIfProblems } from './schedules.js'

export type MeetingTypeInput = Pick<repo.MeetingTypeFields, 'clientId' | 'name'> &
  Partial<Omit<repo.MeetingTypeFields, 'clientId' | 'name'>>

export const MEETING_TYPE_DEFAULTS = {
  durationMinutes: 30,
  slotIntervalMinutes: 15,
  bufferBeforeMinutes: 0,
  bufferAfterMinutes: 0,
  minimumNoticeMinutes: 60,
  horizonDays: 60,
  maxPerDay: null,
  hosts: 'client',
  requireAssistantHours: true,
  contactHours: null,
} as const satisfies Omit<repo.MeetingTypeFields, 'clientId' | 'name'>

async function checked(
  deps: Deps,
  accountId: string,
  fields: repo.MeetingTypeFields,
): Promise<repo.MeetingTypeFields> {
  const problems = fields.contactHours ? localIntervalProblems(fields.contactHours, '/body/contactHours') : []
  if (!(await findClient(deps.db, accountId, fields.clientId))) {
    problems.push({ pointer: '/body/clientId', message: 'is not a client of this account' })
  }
  throwIfProblems(problems)
  return fields
}

export async function createMeetingType(
  deps: Deps,
  accountId: string,
  input: MeetingTypeInput,
): Promise<repo.MeetingType> {
  const fields = await checked(deps, accountId, { ...MEETING_TYPE_DEFAULTS, ...input })
  return repo.insertMeetingType(deps.db, accountId, newId(), fields, deps.clock.now())
}

export async function getMeetingType(deps: Deps, accountId: string, id: string): Promise<repo.MeetingType> {
  const meetingType = await repo.findMeetingType(deps.db, accountId, id)
  if (!meetingType) throw new NotFoundError('Meeting type')
  return meetingType
}

export function listMeetingTypes(
  deps: Deps,
  accountId: string,
  filter: { clientId?: string | undefined },
  page: PageRequest,
) {
  return repo.listMeetingTypes(deps.db, accountId, filter, page)
}

export async function updateMeetingType(
  deps: Deps,
  accountId: string,
  id: string,
  patch: Partial<repo.MeetingTypeFields>,
): Promise<repo.MeetingType> {
  const { id: _id, createdAt: _c, updatedAt: _u, ...current } = await getMeetingType(deps, accountId, id)
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
  const fields = await checked(deps, accountId, { ...current, ...defined })
  const updated = await repo.updateMeetingType(deps.db, accountId, id, fields, deps.clock.now())
  if (!updated) throw new NotFoundError('Meeting type')
  return updated
}

export async function deleteMeetingType(deps: Deps, accountId: string, id: string): Promise<void> {
  if (!(await repo.softDeleteMeetingType(deps.db, accountId, id, deps.clock.now())))
    throw new NotFoundError('Meeting type')
}

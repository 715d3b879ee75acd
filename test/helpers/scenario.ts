// A small world for booking tests: an account with an assistant, a client and a meeting type, all in Berlin hours.

import type { AccountClient, TestApp } from './app.js'
import { assistantBody, clientBody, contactBody, meetingTypeBody } from './factories.js'

export interface Scenario {
  account: AccountClient
  assistantId: string
  clientId: string
  contactId: string
  meetingTypeId: string
  /** Another meeting type of the same client with different settings. */
  addMeetingType(overrides?: Record<string, unknown>): Promise<string>
}

/** Client and assistant both work 09:00–17:00 Berlin (07:00Z–15:00Z in June), Monday to Friday. */
export async function createScenario(
  t: TestApp,
  meetingType: Record<string, unknown> = {},
): Promise<Scenario> {
  const account = await t.createAccount()
  const assistantId = (await account.post('/v1/assistants', assistantBody({ timeZone: 'Europe/Berlin' })))
    .body.id
  const clientId = (await account.post('/v1/clients', clientBody(assistantId, { timeZone: 'Europe/Berlin' })))
    .body.id
  const contactId = (
    await account.post(`/v1/clients/${clientId}/contacts`, contactBody({ timeZone: 'Europe/Berlin' }))
  ).body.id
  const addMeetingType = async (overrides: Record<string, unknown> = {}) =>
    (
      await account.post(
        '/v1/meeting-types',
        meetingTypeBody(clientId, { minimumNoticeMinutes: 0, ...overrides }),
      )
    ).body.id as string
  const meetingTypeId = await addMeetingType(meetingType)
  return { account, assistantId, clientId, contactId, meetingTypeId, addMeetingType }
}

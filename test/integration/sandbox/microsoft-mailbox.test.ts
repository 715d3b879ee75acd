// Contract: the seeded mailbox, /users/{id} addressing and plain calendarView paging through the Graph SDK.
import type { GraphError } from '@microsoft/microsoft-graph-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphPathFromLink } from '../../../src/sync/microsoft-client.js'
import { deltaRound, type Harness, startHarness } from './microsoft-harness.js'

let h: Harness
const NOW = Date.parse('2030-03-06T12:00:00Z')

beforeAll(async () => {
  h = await startHarness({ seed: true, now: () => NOW })
})
afterAll(() => h.close())

const window = '?startDateTime=2030-02-25T00:00:00Z&endDateTime=2030-03-31T00:00:00Z'

describe('Microsoft Graph emulator: mailbox', () => {
  it('seeds weeks of meetings, a weekly series and every showAs/response the sync must handle', async () => {
    const { items } = await deltaRound(h.client, h.graphBase, `/me/calendarView/delta${window}`)
    const subjects = (pred: (i: Record<string, unknown>) => boolean) =>
      items.filter(pred).map((i) => i.subject)
    expect(items.length).toBeGreaterThan(25)
    expect(subjects((i) => i.type === 'occurrence')).toContain('Team sync')
    expect(subjects((i) => i.isAllDay === true)).toEqual(
      expect.arrayContaining(['Team offsite', 'Working from the Lisbon office']),
    )
    expect(subjects((i) => i.showAs === 'free')).toContain('Lunch walk')
    expect(subjects((i) => i.showAs === 'workingElsewhere')).toContain('Working from the Lisbon office')
    expect(subjects((i) => (i.responseStatus as { response: string }).response === 'declined')).toEqual([
      'Vendor pitch: Fabrikam analytics',
    ])
    const allDay = items.find((i) => i.subject === 'Team offsite')
    expect(allDay?.start).toEqual({ dateTime: '2030-03-13T00:00:00.0000000', timeZone: 'UTC' })
    const cals = await h.client.api('/me/calendars').get()
    expect(cals.value.map((c: { name: string }) => c.name)).toEqual(['Calendar', 'Team events'])
  })

  it('addresses the mailbox as /users/{id or mail} and refuses another user', async () => {
    const user = h.em.defaultUser
    const byMail = await h.client.api(`/users/${user.mail}/calendarView${window}`).top(5).get()
    expect(byMail.value).toHaveLength(5)
    expect(byMail['@odata.nextLink']).toContain(`/v1.0/users/${user.mail}/calendarView?`)
    const next = await h.client.api(graphPathFromLink(byMail['@odata.nextLink'], h.graphBase)).get()
    expect(next.value[0].id).not.toBe(byMail.value[0].id)
    const first = await h.client.api(`/users/${user.id}/calendarView/delta${window}`).get()
    expect(String(first['@odata.deltaLink'])).toContain(
      `/v1.0/users/${user.id}/calendarView/delta?$deltatoken=`,
    )
    const other = h.em.addUser({ mail: 'adelev@contoso.test' })
    const err = (await h.client
      .api(`/users/${other.id}/calendars`)
      .get()
      .catch((e: unknown) => e)) as GraphError
    expect(err).toMatchObject({ statusCode: 403, code: 'ErrorAccessDenied' })
  })

  it('lists the occurrences of a series between two dates', async () => {
    const { items } = await deltaRound(h.client, h.graphBase, `/me/calendarView/delta${window}`)
    const occurrence = items.find((i) => i.subject === 'Team sync')
    const instances = await h.client.api(`/me/events/${occurrence?.seriesMasterId}/instances${window}`).get()
    expect(instances.value.length).toBeGreaterThanOrEqual(4)
    expect(instances.value.every((i: { type: string }) => i.type === 'occurrence')).toBe(true)
  })
})

// Contract: events CRUD and calendarView delta through the Graph SDK, with paging, @removed and 410 on demand.
import { GraphError } from '@microsoft/microsoft-graph-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { graphPathFromLink } from '../../../src/sync/microsoft-client.js'
import { daysFromNow, deltaRound, type Harness, startHarness, utc } from './microsoft-harness.js'

let h: Harness
const from = () => daysFromNow(-1, 0)
const to = () => daysFromNow(14, 0)
const initialPath = () =>
  `/me/calendarView/delta?startDateTime=${encodeURIComponent(from())}&endDateTime=${encodeURIComponent(to())}`

beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())
beforeEach(() => h.reset())

function create(subject: string, dayOffset: number, extra: Record<string, unknown> = {}) {
  return h.em.createEvent({
    subject,
    start: utc(daysFromNow(dayOffset, 9)),
    end: utc(daysFromNow(dayOffset, 10)),
    ...extra,
  }) as { id: string; changeKey: string }
}

describe('Microsoft Graph emulator: calendarView delta', () => {
  it('syncs fully across small pages, then picks up creates, moves and deletes exactly once', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => create(`Meeting ${i}`, 1 + i).id)
    const full = await deltaRound(h.client, h.graphBase, initialPath(), 'odata.maxpagesize=3')
    expect(full.pages).toBe(3)
    expect(full.items.map((i) => i.id).sort()).toEqual([...ids].sort())
    expect(full.deltaLink).toMatch(/\$deltatoken=/)

    const added = create('Added later', 3).id
    const movedId = ids[0] ?? ''
    h.em.moveEvent(movedId, { start: daysFromNow(5, 15) })
    const movedOut = ids[1] ?? ''
    h.em.moveEvent(movedOut, { start: daysFromNow(40, 9) })
    const deleted = ids[2] ?? ''
    h.em.deleteEvent(deleted)

    const inc = await deltaRound(
      h.client,
      h.graphBase,
      graphPathFromLink(full.deltaLink, h.graphBase),
      'odata.maxpagesize=2',
    )
    expect(inc.pages).toBe(2)
    const byId = new Map(inc.items.map((i) => [i.id, i]))
    expect(inc.items).toHaveLength(4)
    expect(byId.get(added)).toMatchObject({ subject: 'Added later', type: 'singleInstance' })
    expect(byId.get(movedId)).toMatchObject({
      start: { dateTime: `${daysFromNow(5, 15).slice(0, 19)}.0000000` },
    })
    expect(byId.get(movedOut)).toEqual({
      '@odata.type': '#microsoft.graph.event',
      id: movedOut,
      '@removed': { reason: 'deleted' },
    })
    expect(byId.get(deleted)).toMatchObject({ '@removed': { reason: 'deleted' } })

    const quiet = await deltaRound(h.client, h.graphBase, graphPathFromLink(inc.deltaLink, h.graphBase))
    expect(quiet.items).toEqual([])
  })

  it('expands a weekly series into occurrences, and a moved occurrence comes back as an exception', async () => {
    const start = daysFromNow(1, 8)
    const master = h.em.createEvent({
      subject: 'Weekly 1:1',
      start: utc(start),
      end: utc(daysFromNow(1, 9)),
      recurrence: {
        pattern: { type: 'daily', interval: 7 },
        range: { type: 'numbered', startDate: start.slice(0, 10), numberOfOccurrences: 4 },
      },
    }) as { id: string }
    const full = await deltaRound(h.client, h.graphBase, initialPath())
    expect(full.items).toHaveLength(2)
    for (const item of full.items)
      expect(item).toMatchObject({ type: 'occurrence', seriesMasterId: master.id })
    const occurrence = String(full.items[1]?.id)
    h.em.moveEvent(occurrence, { start: daysFromNow(9, 13) })
    const inc = await deltaRound(h.client, h.graphBase, graphPathFromLink(full.deltaLink, h.graphBase))
    expect(inc.items).toHaveLength(1)
    expect(inc.items[0]).toMatchObject({ id: occurrence, type: 'exception', seriesMasterId: master.id })
  })

  it('answers 410 SyncStateNotFound (and the other reset shapes) for an invalidated delta token', async () => {
    create('Something', 2)
    const full = await deltaRound(h.client, h.graphBase, initialPath())
    const path = graphPathFromLink(full.deltaLink, h.graphBase)
    h.em.invalidateDeltaTokens()
    const err = (await h.client
      .api(path)
      .get()
      .catch((e: unknown) => e)) as GraphError
    expect(err).toBeInstanceOf(GraphError)
    expect(err).toMatchObject({ statusCode: 410, code: 'SyncStateNotFound' })
    expect(err.message).toMatch(/sync state generation is not found/)

    const again = await deltaRound(h.client, h.graphBase, initialPath())
    h.em.invalidateDeltaTokens({ reason: 'location' })
    const res = await fetch(again.deltaLink, { headers: { authorization: `Bearer ${h.accessToken}` } })
    expect(res.status).toBe(410)
    const restart = res.headers.get('location') ?? ''
    expect(restart).toContain('/v1.0/me/calendarView/delta?startDateTime=')
    const restarted = await deltaRound(h.client, h.graphBase, graphPathFromLink(restart, h.graphBase))
    expect(restarted.items).toHaveLength(1)

    h.em.invalidateDeltaTokens({ reason: 'resyncRequired' })
    const third = (await h.client
      .api(graphPathFromLink(restarted.deltaLink, h.graphBase))
      .get()
      .catch((e: unknown) => e)) as GraphError
    expect(third).toMatchObject({ statusCode: 410, code: 'resyncRequired' })
  })

  it('requires a window and rejects query options delta does not support', async () => {
    const noWindow = (await h.client
      .api('/me/calendarView/delta')
      .get()
      .catch((e: unknown) => e)) as GraphError
    expect(noWindow).toMatchObject({ statusCode: 400, code: 'ErrorInvalidParameter' })
    const withSelect = (await h.client
      .api(initialPath())
      .select('subject')
      .get()
      .catch((e: unknown) => e)) as GraphError
    expect(withSelect.statusCode).toBe(400)
  })
})

describe('Microsoft Graph emulator: events', () => {
  const body = (subject: string, transactionId?: string) => ({
    subject,
    start: { dateTime: '2030-03-05T10:00:00', timeZone: 'W. Europe Standard Time' },
    end: { dateTime: '2030-03-05T11:00:00', timeZone: 'W. Europe Standard Time' },
    attendees: [{ emailAddress: { address: 'client@example.com', name: 'Client' }, type: 'required' }],
    ...(transactionId ? { transactionId } : {}),
  })

  it('de-duplicates a retried create by transactionId and refuses the id for a different event', async () => {
    const first = await h.client.api('/me/events').post(body('Intro call', 'booking-123'))
    const retry = await h.client.api('/me/events').post(body('Intro call', 'booking-123'))
    expect(retry.id).toBe(first.id)
    expect(retry.transactionId).toBe('booking-123')
    const list = await h.client.api('/me/events').get()
    expect(list.value).toHaveLength(1)
    const err = (await h.client
      .api('/me/events')
      .post(body('Something else', 'booking-123'))
      .catch((e: unknown) => e)) as GraphError
    expect(err).toMatchObject({ statusCode: 400, code: 'ErrorDuplicateTransactionId' })
  })

  it('finds events by a single-value extended property, shows it on $expand, refuses other filters', async () => {
    const property = 'String {8c4e1f57-2b0d-4f3a-9e61-5d7a0b3c9f12} Name tag'
    const tagged = await h.client
      .api('/me/events')
      .post({ ...body('Tagged'), singleValueExtendedProperties: [{ id: property, value: "it's me" }] })
    await h.client.api('/me/events').post({
      ...body('Other tag'),
      singleValueExtendedProperties: [{ id: property, value: 'someone else' }],
    })
    await h.client.api('/me/events').post(body('Untagged'))
    expect(tagged.singleValueExtendedProperties).toBeUndefined()
    const found = await h.client
      .api('/me/events')
      .filter(`singleValueExtendedProperties/Any(ep: ep/id eq '${property}' and ep/value eq 'it''s me')`)
      .expand(`singleValueExtendedProperties($filter=id eq '${property}')`)
      .get()
    expect(found.value.map((e: { id: string }) => e.id)).toEqual([tagged.id])
    expect(found.value[0].singleValueExtendedProperties).toEqual([{ id: property, value: "it's me" }])
    // A PATCH replaces the value of the property it names.
    await h.client
      .api(`/me/events/${tagged.id}`)
      .patch({ singleValueExtendedProperties: [{ id: property, value: 'renamed' }] })
    const after = await h.client
      .api('/me/events')
      .filter(`singleValueExtendedProperties/Any(ep: ep/id eq '${property}' and ep/value eq 'it''s me')`)
      .get()
    expect(after.value).toEqual([])
    const unsupported = (await h.client
      .api('/me/events')
      .filter("subject eq 'Tagged'")
      .get()
      .catch((e: unknown) => e)) as GraphError
    expect(unsupported).toMatchObject({ statusCode: 400, code: 'ErrorInvalidUrlQueryFilter' })
    const badProperty = (await h.client
      .api('/me/events')
      .post({ ...body('Bad'), singleValueExtendedProperties: [{ id: 'tag', value: 'x' }] })
      .catch((e: unknown) => e)) as GraphError
    expect(badProperty.statusCode).toBe(400)
  })

  it('changes changeKey and @odata.etag on every write and answers 412 to a stale If-Match', async () => {
    const created = await h.client.api('/me/events').post(body('Review'))
    expect(created['@odata.etag']).toBe(`W/"${created.changeKey}"`)
    const updated = await h.client
      .api(`/me/events/${created.id}`)
      .header('If-Match', created['@odata.etag'])
      .patch({ subject: 'Review (moved)' })
    expect(updated.changeKey).not.toBe(created.changeKey)
    const stale = (await h.client
      .api(`/me/events/${created.id}`)
      .header('If-Match', created['@odata.etag'])
      .patch({ subject: 'Lost update' })
      .catch((e: unknown) => e)) as GraphError
    expect(stale).toMatchObject({ statusCode: 412, code: 'ErrorIrresolvableConflict' })
    const staleDelete = (await h.client
      .api(`/me/events/${created.id}`)
      .header('If-Match', created['@odata.etag'])
      .delete()
      .catch((e: unknown) => e)) as GraphError
    expect(staleDelete.statusCode).toBe(412)
    await h.client.api(`/me/events/${created.id}`).header('If-Match', updated['@odata.etag']).delete()
    const gone = (await h.client
      .api(`/me/events/${created.id}`)
      .get()
      .catch((e: unknown) => e)) as GraphError
    expect(gone).toMatchObject({ statusCode: 404, code: 'ErrorItemNotFound' })
  })

  it('shapes start/end by Prefer: outlook.timezone and answers UTC without it', async () => {
    const created = await h.client.api('/me/events').post(body('Zoned'))
    expect(created.start).toEqual({ dateTime: '2030-03-05T09:00:00.0000000', timeZone: 'UTC' })
    const zoned = await h.client
      .api(`/me/events/${created.id}`)
      .header('Prefer', 'outlook.timezone="Pacific Standard Time"')
      .get()
    expect(zoned.start).toEqual({
      dateTime: '2030-03-05T01:00:00.0000000',
      timeZone: 'Pacific Standard Time',
    })
    expect(zoned.originalStartTimeZone).toBe('W. Europe Standard Time')
  })

  it('serves calendars, owner responses and showAs through getSchedule', async () => {
    const cals = await h.client.api('/me/calendars').get()
    expect(cals.value[0]).toMatchObject({ name: 'Calendar', isDefaultCalendar: true })
    const busy = h.em.createEvent({
      subject: 'Busy',
      start: utc('2030-03-05T09:00:00Z'),
      end: utc('2030-03-05T10:00:00Z'),
    }) as { id: string }
    h.em.createEvent({
      subject: 'Elsewhere',
      start: utc('2030-03-05T10:00:00Z'),
      end: utc('2030-03-05T11:00:00Z'),
      showAs: 'workingElsewhere',
    })
    h.em.createEvent({
      subject: 'Free',
      start: utc('2030-03-05T11:00:00Z'),
      end: utc('2030-03-05T12:00:00Z'),
      showAs: 'free',
    })
    const invite = h.em.createEvent({
      subject: 'Declined pitch',
      start: utc('2030-03-05T12:00:00Z'),
      end: utc('2030-03-05T13:00:00Z'),
      organizer: { name: 'Vendor', address: 'sales@vendor.test' },
    }) as { id: string; isOrganizer: boolean }
    expect(invite.isOrganizer).toBe(false)
    expect(h.em.declineEvent(invite.id)).toMatchObject({ responseStatus: { response: 'declined' } })
    const schedule = await h.client.api('/me/calendar/getSchedule').post({
      schedules: [h.em.defaultUser.mail, 'nobody@example.com'],
      startTime: { dateTime: '2030-03-05T09:00:00', timeZone: 'UTC' },
      endTime: { dateTime: '2030-03-05T13:00:00', timeZone: 'UTC' },
      availabilityViewInterval: 60,
    })
    expect(schedule.value[0].availabilityView).toBe('2400')
    expect(schedule.value[0].scheduleItems.map((i: { status: string }) => i.status)).toEqual([
      'busy',
      'workingElsewhere',
    ])
    expect(schedule.value[1].error.responseCode).toBe('ErrorMailRecipientNotFound')
    expect(busy.id).toBeTruthy()
  })
})

// Contract: event writes of the Google emulator through @googleapis/calendar (ids, etags, recurrence, freeBusy).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GoogleEmulator } from '../../../src/sandbox/google/index.js'
import { failure, signedIn, startGoogle, timed } from './google-harness.js'

let g: GoogleEmulator

beforeAll(async () => {
  g = await startGoogle()
})
afterAll(async () => {
  await g.close()
})

describe('Google event writes', () => {
  it('accepts a client-supplied base32hex id once and answers a retry with 409 duplicate', async () => {
    const { cal } = signedIn(g, 'ev-a@sandbox.test')
    const id = 'booking0a1b2c3d4e5f6g7h8i9j0k'
    const first = await cal.events.insert({
      calendarId: 'primary',
      requestBody: { id, ...timed('Booking', 0, 9) },
    })
    expect(first.data.id).toBe(id)
    expect(first.data.iCalUID).toBe(`${id}@google.com`)
    const retry = await failure(
      cal.events.insert({ calendarId: 'primary', requestBody: { id, ...timed('Booking', 0, 9) } }),
    )
    expect(retry.status).toBe(409)
    expect(retry.data).toEqual({
      error: {
        errors: [
          { domain: 'global', reason: 'duplicate', message: 'The requested identifier already exists.' },
        ],
        code: 409,
        message: 'The requested identifier already exists.',
      },
    })
    // Still a duplicate after deletion: a client id is never reused.
    await cal.events.delete({ calendarId: 'primary', eventId: id })
    expect(
      (await failure(cal.events.insert({ calendarId: 'primary', requestBody: { id, ...timed('B', 0, 9) } })))
        .status,
    ).toBe(409)
    for (const bad of ['ABCDEF', 'abcd', 'wxyz12345', 'abc_def12']) {
      const res = await failure(
        cal.events.insert({ calendarId: 'primary', requestBody: { id: bad, ...timed('X', 0, 9) } }),
      )
      expect(res.status).toBe(400)
    }
    const generated = await cal.events.insert({
      calendarId: 'primary',
      requestBody: timed('Server id', 1, 9),
    })
    expect(generated.data.id).toMatch(/^[a-v0-9]{5,1024}$/)
  })

  it('changes the etag on every write and answers a stale If-Match with 412 conditionNotMet', async () => {
    const { cal } = signedIn(g, 'ev-b@sandbox.test')
    const created = await cal.events.insert({ calendarId: 'primary', requestBody: timed('Etag', 0, 9) })
    const eventId = created.data.id as string
    const etag1 = created.data.etag as string
    expect(etag1).toMatch(/^"\d+"$/)
    const patched = await cal.events.patch(
      { calendarId: 'primary', eventId, requestBody: { summary: 'Etag 2' } },
      { headers: { 'If-Match': etag1 } },
    )
    expect(patched.data.etag).not.toBe(etag1)
    expect(patched.data.summary).toBe('Etag 2')
    expect(patched.data.start?.dateTime).toBe(created.data.start?.dateTime)

    const stale = await failure(
      cal.events.patch(
        { calendarId: 'primary', eventId, requestBody: { summary: 'lost' } },
        { headers: { 'If-Match': etag1 } },
      ),
    )
    expect(stale.status).toBe(412)
    expect(stale.data).toEqual({
      error: {
        errors: [
          {
            domain: 'global',
            reason: 'conditionNotMet',
            message: 'Precondition Failed',
            locationType: 'header',
            location: 'If-Match',
          },
        ],
        code: 412,
        message: 'Precondition Failed',
      },
    })
    const updated = await cal.events.update({
      calendarId: 'primary',
      eventId,
      requestBody: { ...timed('Replaced', 1, 14), transparency: 'transparent' },
    })
    expect(updated.data.etag).not.toBe(patched.data.etag)
    expect(updated.data.transparency).toBe('transparent')
    expect(updated.data.sequence).toBe(1)
    const notModified = await cal.events.get(
      { calendarId: 'primary', eventId },
      { headers: { 'If-None-Match': updated.data.etag as string } },
    )
    expect(notModified.status).toBe(304)
  })

  it('answers 410 deleted when deleting a deleted event, and still returns it from get as cancelled', async () => {
    const { cal } = signedIn(g, 'ev-c@sandbox.test')
    const created = await cal.events.insert({ calendarId: 'primary', requestBody: timed('Gone', 0, 9) })
    const eventId = created.data.id as string
    expect((await cal.events.delete({ calendarId: 'primary', eventId })).status).toBe(204)
    const again = await failure(cal.events.delete({ calendarId: 'primary', eventId }))
    expect(again.status).toBe(410)
    expect(again.api.error.errors[0]).toEqual({
      domain: 'global',
      reason: 'deleted',
      message: 'Resource has been deleted',
    })
    expect((await cal.events.get({ calendarId: 'primary', eventId })).data.status).toBe('cancelled')
    expect((await failure(cal.events.get({ calendarId: 'primary', eventId: 'nosuchevent0' }))).status).toBe(
      404,
    )
  })

  it('expands a recurring event with EXDATE, moved and cancelled instances', async () => {
    const email = 'ev-d@sandbox.test'
    const { cal } = signedIn(g, email)
    const series = await cal.events.insert({
      calendarId: 'primary',
      requestBody: {
        ...timed('Standup', 0, 9, 15),
        recurrence: ['RRULE:FREQ=DAILY;COUNT=5', 'EXDATE;TZID=Europe/Berlin:20310304T090000'],
        attendees: [{ email }, { email: 'guest@example.com' }],
      },
    })
    const masterId = series.data.id as string
    const list = await cal.events.list({ calendarId: 'primary', singleEvents: true, orderBy: 'startTime' })
    expect(list.data.items?.map((e) => e.start?.dateTime)).toEqual([
      '2031-03-03T09:00:00+01:00',
      '2031-03-05T09:00:00+01:00',
      '2031-03-06T09:00:00+01:00',
      '2031-03-07T09:00:00+01:00',
    ])
    const first = list.data.items?.[0]
    expect(first).toMatchObject({
      id: `${masterId}_20310303T080000Z`,
      recurringEventId: masterId,
      originalStartTime: { dateTime: '2031-03-03T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      iCalUID: series.data.iCalUID,
      summary: 'Standup',
    })
    expect(first?.attendees?.find((a) => a.email === email)?.self).toBe(true)

    // Move one instance through the API, cancel another as the owner.
    const movedId = `${masterId}_20310305T080000Z`
    const moved = await cal.events.patch({
      calendarId: 'primary',
      eventId: movedId,
      requestBody: timed('Standup (late)', 2, 16, 15),
    })
    expect(moved.data.originalStartTime?.dateTime).toBe('2031-03-05T09:00:00+01:00')
    g.owner.deleteEvent(email, `${masterId}_20310306T080000Z`)

    const after = await cal.events.list({ calendarId: 'primary', singleEvents: true, orderBy: 'startTime' })
    expect(after.data.items?.map((e) => [e.summary, e.start?.dateTime])).toEqual([
      ['Standup', '2031-03-03T09:00:00+01:00'],
      ['Standup (late)', '2031-03-05T16:00:00+01:00'],
      ['Standup', '2031-03-07T09:00:00+01:00'],
    ])
    // Not expanded: the master plus its exceptions, cancelled ones included without showDeleted (providers.md A1).
    const raw = await cal.events.list({ calendarId: 'primary' })
    expect(raw.data.items?.map((e) => [e.id, e.status]).sort()).toEqual(
      [
        [masterId, 'confirmed'],
        [movedId, 'confirmed'],
        [`${masterId}_20310306T080000Z`, 'cancelled'],
      ].sort(),
    )
    const instances = await cal.events.instances({
      calendarId: 'primary',
      eventId: masterId,
      showDeleted: true,
    })
    expect(instances.data.items?.map((e) => e.status)).toEqual([
      'confirmed',
      'confirmed',
      'cancelled',
      'confirmed',
    ])
  })

  it('stores all-day events, extended properties and attendees, and answers freeBusy without free or declined time', async () => {
    const email = 'ev-e@sandbox.test'
    const { cal } = signedIn(g, email)
    const allDay = await cal.events.insert({
      calendarId: 'primary',
      requestBody: {
        summary: 'Holiday',
        start: { date: '2031-03-10' },
        end: { date: '2031-03-11' },
        extendedProperties: { private: { bookingId: 'b-1' } },
      },
    })
    expect(allDay.data.start).toEqual({ date: '2031-03-10' })
    const found = await cal.events.list({ calendarId: 'primary', privateExtendedProperty: ['bookingId=b-1'] })
    expect(found.data.items?.map((e) => e.id)).toEqual([allDay.data.id])

    await cal.events.insert({ calendarId: 'primary', requestBody: timed('Busy', 0, 9) })
    await cal.events.insert({
      calendarId: 'primary',
      requestBody: { ...timed('Free', 0, 11), transparency: 'transparent' },
    })
    const declined = await cal.events.insert({
      calendarId: 'primary',
      requestBody: { ...timed('Declined', 0, 13), attendees: [{ email: 'boss@example.com' }, { email }] },
    })
    g.owner.respond(email, declined.data.id as string, 'declined')
    const fb = await cal.freebusy.query({
      requestBody: {
        timeMin: '2031-03-03T00:00:00Z',
        timeMax: '2031-03-04T00:00:00Z',
        items: [{ id: 'primary' }, { id: 'nobody@sandbox.test' }],
      },
    })
    expect(fb.data.calendars?.['primary']?.busy).toEqual([
      { start: '2031-03-03T08:00:00Z', end: '2031-03-03T09:00:00Z' },
    ])
    expect(fb.data.calendars?.['nobody@sandbox.test']?.errors).toEqual([
      { domain: 'global', reason: 'notFound' },
    ])

    const bad = await failure(
      cal.events.insert({ calendarId: 'primary', requestBody: { summary: 'no times' } }),
    )
    expect(bad.status).toBe(400)
    const backwards = await failure(
      cal.events.insert({
        calendarId: 'primary',
        requestBody: {
          start: { dateTime: '2031-03-03T10:00:00Z' },
          end: { dateTime: '2031-03-03T09:00:00Z' },
        },
      }),
    )
    expect(backwards.api.error.errors[0]?.reason).toBe('timeRangeEmpty')
  })

  it('lists the calendars of the signed-in user only, primary first', async () => {
    const email = 'ev-f@sandbox.test'
    const { cal } = signedIn(g, email)
    const extra = g.users.addCalendar({ owner: email, summary: 'Side projects' })
    signedIn(g, 'ev-other@sandbox.test')
    const list = await cal.calendarList.list()
    expect(list.data.items?.map((c) => [c.id, c.primary ?? false, c.accessRole])).toEqual([
      [email, true, 'owner'],
      [extra.id, false, 'owner'],
    ])
    const other = await failure(cal.events.list({ calendarId: 'ev-other@sandbox.test' }))
    expect(other.status).toBe(404)
  })
})

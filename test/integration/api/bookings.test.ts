// Bookings through the API: create, re-check every rule, reschedule, cancel, ICS, outbox, idempotency.
import ICAL from 'ical.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../helpers/app.js'
import { connectCalendar } from '../../helpers/calendars.js'
import { assistantBody, clientBody, meetingTypeBody } from '../../helpers/factories.js'
import { createScenario, type Scenario } from '../../helpers/scenario.js'

// Monday 2026-06-01 08:00Z; Tuesday 06-02 is free all day (07:00Z–15:00Z).
let t: TestApp
let s: Scenario
beforeAll(async () => {
  t = await createTestApp({ now: '2026-06-01T08:00:00Z' })
  s = await createScenario(t)
})
afterAll(() => t.close())

async function outbox(bookingId: string) {
  return t.database.db
    .selectFrom('outbox_events')
    .select(['type', 'source', 'payload'])
    .where('booking_id', '=', bookingId)
    .orderBy('id')
    .execute()
}

function parseIcs(text: string) {
  const event = new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent('vevent')!
  return {
    uid: event.getFirstPropertyValue('uid'),
    sequence: event.getFirstPropertyValue('sequence'),
    status: event.getFirstPropertyValue('status'),
    start: (event.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().toISOString(),
    end: (event.getFirstPropertyValue('dtend') as ICAL.Time).toJSDate().toISOString(),
    summary: event.getFirstPropertyValue('summary'),
  }
}

describe('a booking’s life', () => {
  it('is created with an inline contact, moved and cancelled, each change in the outbox and the ICS', async () => {
    const created = await s.account.post('/v1/bookings', {
      meetingTypeId: s.meetingTypeId,
      start: '2026-06-02T09:00:00Z',
      contact: { name: 'Ana Souza', email: 'ana@partner.example', timeZone: 'America/Sao_Paulo' },
      notes: 'Quarterly review',
    })
    expect(created.status).toBe(201)
    const booking = created.body
    expect(booking).toMatchObject({
      meetingTypeId: s.meetingTypeId,
      clientId: s.clientId,
      assistantId: s.assistantId,
      start: '2026-06-02T09:00:00.000Z',
      end: '2026-06-02T09:30:00.000Z',
      status: 'confirmed',
      source: 'api',
      notes: 'Quarterly review',
      sequence: 0,
      sync: [],
    })
    // Every booking has a manage page, shown to the API; the token is stored hashed and encrypted, never plain.
    expect(booking.manageUrl).toMatch(/^http:\/\/localhost:3000\/m\/oh_manage_/)
    expect(created.text).not.toContain('manageToken')
    const manageToken = booking.manageUrl.split('/m/')[1]
    const stored = await t.database.db
      .selectFrom('bookings')
      .selectAll()
      .where('id', '=', booking.id)
      .executeTakeFirstOrThrow()
    expect(JSON.stringify(stored)).not.toContain(manageToken)
    const managed = await t.app.inject({ method: 'GET', url: `/public/v1/manage/${manageToken}` })
    expect(managed.json()).toMatchObject({ id: booking.id, status: 'confirmed' })

    const contacts = (await s.account.get(`/v1/clients/${s.clientId}/contacts`)).body.data
    expect(contacts.find((c: { email: string }) => c.email === 'ana@partner.example')).toMatchObject({
      id: booking.contactId,
      timeZone: 'America/Sao_Paulo',
    })

    const ics = await s.account.get(`/v1/bookings/${booking.id}.ics`)
    expect(ics.status).toBe(200)
    expect(ics.headers['content-type']).toMatch(/^text\/calendar/)
    expect(parseIcs(ics.text)).toMatchObject({
      uid: `${booking.id}@officehours`,
      sequence: 0,
      status: 'CONFIRMED',
      start: '2026-06-02T09:00:00.000Z',
      summary: 'Intro call with Ana Souza',
    })

    const moved = await s.account.post(`/v1/bookings/${booking.id}/reschedule`, {
      start: '2026-06-02T09:15:00Z',
    })
    expect(moved.status).toBe(200)
    expect(moved.body).toMatchObject({
      start: '2026-06-02T09:15:00.000Z',
      end: '2026-06-02T09:45:00.000Z',
      sequence: 1,
    })
    expect(parseIcs((await s.account.get(`/v1/bookings/${booking.id}.ics`)).text)).toMatchObject({
      sequence: 1,
      start: '2026-06-02T09:15:00.000Z',
    })

    const cancelled = await s.account.post(`/v1/bookings/${booking.id}/cancel`, {
      reason: 'Client travelling',
    })
    expect(cancelled.status).toBe(200)
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      cancelReason: 'Client travelling',
      sequence: 2,
    })
    const cancelledIcs = parseIcs((await s.account.get(`/v1/bookings/${booking.id}.ics`)).text)
    expect(cancelledIcs).toMatchObject({ uid: `${booking.id}@officehours`, sequence: 2, status: 'CANCELLED' })

    // Cancelling again changes nothing.
    const again = await s.account.post(`/v1/bookings/${booking.id}/cancel`, {})
    expect(again.status).toBe(200)
    expect(again.body.sequence).toBe(2)
    expect(
      (await s.account.post(`/v1/bookings/${booking.id}/reschedule`, { start: '2026-06-02T11:00:00Z' })).body
        .code,
    ).toBe('booking_cancelled')

    const events = await outbox(booking.id)
    expect(events.map((e) => e.type)).toEqual(['booking.created', 'booking.rescheduled', 'booking.cancelled'])
    expect(events.every((e) => e.source === 'api')).toBe(true)
    expect(events[1]?.payload).toMatchObject({
      start: '2026-06-02T09:15:00.000Z',
      previousStart: '2026-06-02T09:00:00.000Z',
    })
  })

  it('lists bookings by client, window and status with cursors', async () => {
    const mt = await s.addMeetingType({ name: 'List test' })
    for (const start of ['2026-06-04T07:00:00Z', '2026-06-04T08:00:00Z', '2026-06-05T07:00:00Z']) {
      expect(
        (await s.account.post('/v1/bookings', { meetingTypeId: mt, start, contactId: s.contactId })).status,
      ).toBe(201)
    }
    const page1 = await s.account.get(
      `/v1/bookings?clientId=${s.clientId}&from=2026-06-04T00:00:00Z&to=2026-06-05T00:00:00Z&limit=1`,
    )
    expect(page1.body.data).toHaveLength(1)
    const page2 = await s.account.get(
      `/v1/bookings?clientId=${s.clientId}&from=2026-06-04T00:00:00Z&to=2026-06-05T00:00:00Z&limit=1&cursor=${page1.body.nextCursor}`,
    )
    expect(page2.body.data[0].start).toBe('2026-06-04T08:00:00.000Z')
    expect(page2.body.nextCursor).toBeNull()
    const cancelled = await s.account.get('/v1/bookings?status=cancelled')
    expect(cancelled.body.data.every((b: { status: string }) => b.status === 'cancelled')).toBe(true)
  })
})

describe('write-time checks', () => {
  it('answers 409 slot_unavailable with the failing reasons', async () => {
    const res = await s.account.post('/v1/bookings', {
      meetingTypeId: s.meetingTypeId,
      start: '2026-06-06T09:05:00Z',
      contactId: s.contactId,
    })
    expect(res.status).toBe(409)
    expect(res.headers['content-type']).toMatch(/problem\+json/)
    expect(res.body.code).toBe('slot_unavailable')
    expect(res.body.reasons.map((r: { code: string }) => r.code).sort()).toEqual([
      'misaligned',
      'outside_business_hours',
      'outside_office_hours',
    ])
  })

  it('never overlaps a booking, counting both bookings’ buffers', async () => {
    const mt = await s.addMeetingType({ name: 'Buffered', bufferAfterMinutes: 15 })
    const first = await s.account.post('/v1/bookings', {
      meetingTypeId: mt,
      start: '2026-06-08T10:00:00Z',
      contactId: s.contactId,
    })
    expect(first.status).toBe(201)
    const overlapping = await s.account.post('/v1/bookings', {
      meetingTypeId: s.meetingTypeId,
      start: '2026-06-08T10:15:00Z',
      contactId: s.contactId,
    })
    expect(overlapping.body.reasons.map((r: { code: string }) => r.code)).toEqual(['booking_conflict'])
    // 10:30 touches the first booking's 15-minute after-buffer.
    const inBuffer = await s.account.post('/v1/bookings', {
      meetingTypeId: s.meetingTypeId,
      start: '2026-06-08T10:30:00Z',
      contactId: s.contactId,
    })
    expect(inBuffer.status).toBe(409)
    expect(inBuffer.body.reasons[0]).toMatchObject({ code: 'booking_conflict', bookingId: first.body.id })
    const after = await s.account.post('/v1/bookings', {
      meetingTypeId: s.meetingTypeId,
      start: '2026-06-08T10:45:00Z',
      contactId: s.contactId,
    })
    expect(after.status).toBe(201)
    // Availability no longer offers the taken times.
    const slots = (
      await s.account.get(
        `/v1/availability?meetingTypeId=${s.meetingTypeId}&from=2026-06-08T09:00:00Z&to=2026-06-08T12:00:00Z`,
      )
    ).body.slots
    expect(slots.map((x: { start: string }) => x.start.slice(11, 16))).toEqual([
      '09:00',
      '09:15',
      '09:30',
      '11:15',
      '11:30',
    ])
  })

  it('refuses a calendar-busy time', async () => {
    const cal = await connectCalendar(t, s.account.accountId, { type: 'client', id: s.clientId })
    await cal.addEvents([{ start: '2026-06-09T10:00:00Z', end: '2026-06-09T11:00:00Z' }])
    const res = await s.account.post('/v1/bookings', {
      meetingTypeId: s.meetingTypeId,
      start: '2026-06-09T10:30:00Z',
      contactId: s.contactId,
    })
    expect(res.status).toBe(409)
    expect(res.body.reasons[0]).toMatchObject({
      code: 'calendar_busy',
      connectionId: cal.connectionId,
      start: '2026-06-09T10:00:00.000Z',
    })
  })

  it('keeps the daily limit on the client’s local date, and a reschedule within the day does not count twice', async () => {
    const mt = await s.addMeetingType({ name: 'Limited', maxPerDay: 1 })
    const first = await s.account.post('/v1/bookings', {
      meetingTypeId: mt,
      start: '2026-06-10T07:00:00Z',
      contactId: s.contactId,
    })
    expect(first.status).toBe(201)
    const second = await s.account.post('/v1/bookings', {
      meetingTypeId: mt,
      start: '2026-06-10T12:00:00Z',
      contactId: s.contactId,
    })
    expect(second.body.reasons.map((r: { code: string }) => r.code)).toEqual(['daily_limit'])
    expect(
      (await s.account.post(`/v1/bookings/${first.body.id}/reschedule`, { start: '2026-06-10T12:00:00Z' }))
        .status,
    ).toBe(200)
    expect(
      (
        await s.account.post('/v1/bookings', {
          meetingTypeId: mt,
          start: '2026-06-11T12:00:00Z',
          contactId: s.contactId,
        })
      ).status,
    ).toBe(201)
  })

  it('keeps an assistant who must attend from being double-booked across clients', async () => {
    const other = await s.account.post(
      '/v1/clients',
      clientBody(s.assistantId, { timeZone: 'Europe/Berlin' }),
    )
    const mt1 = await s.addMeetingType({ name: 'With the VA', hosts: 'both' })
    const mt2 = (
      await s.account.post(
        '/v1/meeting-types',
        meetingTypeBody(other.body.id, { hosts: 'assistant', minimumNoticeMinutes: 0 }),
      )
    ).body.id
    const contact = { name: 'Kim', email: 'kim@partner.example' }
    expect(
      (await s.account.post('/v1/bookings', { meetingTypeId: mt1, start: '2026-06-12T08:00:00Z', contact }))
        .status,
    ).toBe(201)
    const clash = await s.account.post('/v1/bookings', {
      meetingTypeId: mt2,
      start: '2026-06-12T08:15:00Z',
      contact,
    })
    expect(clash.status).toBe(409)
    expect(clash.body.reasons.map((r: { code: string }) => r.code)).toEqual(['booking_conflict'])
    // A meeting the assistant does not attend may overlap her other client's meeting.
    const clientOnly = (
      await s.account.post('/v1/meeting-types', meetingTypeBody(other.body.id, { minimumNoticeMinutes: 0 }))
    ).body.id
    expect(
      (
        await s.account.post('/v1/bookings', {
          meetingTypeId: clientOnly,
          start: '2026-06-12T08:15:00Z',
          contact,
        })
      ).status,
    ).toBe(201)
  })

  it('validates the contact', async () => {
    const base = { meetingTypeId: s.meetingTypeId, start: '2026-06-15T08:00:00Z' }
    const pointers = async (body: unknown) =>
      (await s.account.post('/v1/bookings', body)).body.errors?.map((e: { pointer: string }) => e.pointer)
    expect(await pointers(base)).toEqual(['/body/contactId'])
    expect(await pointers({ ...base, contactId: s.meetingTypeId })).toEqual(['/body/contactId'])
    expect(
      await pointers({ ...base, contactId: s.contactId, contact: { name: 'x', email: 'x@y.example' } }),
    ).toEqual(['/body/contact'])
    expect(await pointers({ ...base, contact: { name: 'x', email: 'not-an-email' } })).toEqual([
      '/body/contact/email',
    ])
  })
})

describe('Idempotency-Key', () => {
  it('replays the first response and creates nothing more; another body is 422', async () => {
    const body = { meetingTypeId: s.meetingTypeId, start: '2026-06-16T08:00:00Z', contactId: s.contactId }
    const send = (b: unknown, key = 'key-1') =>
      t.app.inject({
        method: 'POST',
        url: '/v1/bookings',
        headers: { authorization: `Bearer ${s.account.apiKey}`, 'idempotency-key': key },
        payload: b as object,
      })
    const first = await send(body)
    const replay = await send(body)
    expect(first.statusCode).toBe(201)
    expect(replay.statusCode).toBe(201)
    expect(replay.json()).toEqual(first.json())
    expect(replay.headers['idempotent-replayed']).toBe('true')
    const rows = await t.database.db
      .selectFrom('bookings')
      .select('id')
      .where('starts_at', '=', new Date(body.start))
      .execute()
    expect(rows).toHaveLength(1)

    const other = await send({ ...body, start: '2026-06-16T09:00:00Z' })
    expect(other.statusCode).toBe(422)
    expect(other.json().code).toBe('idempotency_key_reused')
  })

  it('replays a 409 as a 409, even after the time becomes free', async () => {
    const body = { meetingTypeId: s.meetingTypeId, start: '2026-06-16T08:00:00Z', contactId: s.contactId }
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/bookings',
        headers: { authorization: `Bearer ${s.account.apiKey}`, 'idempotency-key': 'key-409' },
        payload: body,
      })
    const first = await send()
    expect(first.statusCode).toBe(409)
    const existing = (await s.account.get('/v1/bookings?from=2026-06-16T08:00:00Z&to=2026-06-16T08:30:00Z'))
      .body.data[0]
    await s.account.post(`/v1/bookings/${existing.id}/cancel`, {})
    const replay = await send()
    expect(replay.statusCode).toBe(409)
    expect(replay.headers['content-type']).toMatch(/problem\+json/)
    expect(replay.json()).toEqual(first.json())
  })

  it('concurrent requests with one key create one booking and all get its answer', async () => {
    const body = { meetingTypeId: s.meetingTypeId, start: '2026-06-17T08:00:00Z', contactId: s.contactId }
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/bookings',
          headers: { authorization: `Bearer ${s.account.apiKey}`, 'idempotency-key': 'same-key' },
          payload: body,
        }),
      ),
    )
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(201))
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1)
    const rows = await t.database.db
      .selectFrom('bookings')
      .select('id')
      .where('starts_at', '=', new Date(body.start))
      .execute()
    expect(rows).toHaveLength(1)
  })

  it('keeps stored answers encrypted: no key, token or manage link in clear', async () => {
    const send = (url: string, payload: object, key: string) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${s.account.apiKey}`, 'idempotency-key': key },
        payload,
      })
    const apiKey = (await send('/v1/api-keys', { name: 'crm' }, 'secret-key-1')).json().key as string
    const link = (await send('/v1/booking-links', { meetingTypeId: s.meetingTypeId }, 'secret-link-1')).json()
      .token as string
    const booking = (
      await send(
        '/v1/bookings',
        { meetingTypeId: s.meetingTypeId, start: '2026-06-18T08:00:00Z', contactId: s.contactId },
        'secret-booking-1',
      )
    ).json()
    const manage = String(booking.manageUrl).split('/m/')[1]!
    const rows = JSON.stringify(await t.database.db.selectFrom('idempotency_keys').selectAll().execute())
    for (const secret of [apiKey, link, manage]) expect(rows).not.toContain(secret)
    // And the replay still answers with them.
    expect((await send('/v1/api-keys', { name: 'crm' }, 'secret-key-1')).json().key).toBe(apiKey)
    expect(
      (await send('/v1/booking-links', { meetingTypeId: s.meetingTypeId }, 'secret-link-1')).json().token,
    ).toBe(link)
  })

  it('keys are per account, and a malformed key is a 400', async () => {
    const b = await createScenario(t)
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/bookings',
      headers: { authorization: `Bearer ${b.account.apiKey}`, 'idempotency-key': 'key-1' },
      payload: { meetingTypeId: b.meetingTypeId, start: '2026-06-16T08:00:00Z', contactId: b.contactId },
    })
    expect(res.statusCode).toBe(201)
    const long = await t.app.inject({
      method: 'POST',
      url: '/v1/bookings',
      headers: { authorization: `Bearer ${b.account.apiKey}`, 'idempotency-key': 'k'.repeat(300) },
      payload: {},
    })
    expect(long.statusCode).toBe(400)
  })
})

describe('assistant and client of another account', () => {
  it('cannot book another account’s meeting type', async () => {
    const other = await t.createAccount()
    const a = (await other.post('/v1/assistants', assistantBody())).body.id
    await other.post('/v1/clients', clientBody(a))
    const res = await other.post('/v1/bookings', {
      meetingTypeId: s.meetingTypeId,
      start: '2026-06-16T10:00:00Z',
      contact: { name: 'x', email: 'x@y.example' },
    })
    expect(res.status).toBe(404)
  })
})

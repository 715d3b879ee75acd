// Booking links and the public API: free slots only, booking with a manage token, uses, expiry, revocation,
// the slot-taken path, manage (reschedule, cancel, ICS) and rate limits.
import ICAL from 'ical.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashToken } from '../../../src/secrets.js'
import { createTestApp, type TestApp } from '../../helpers/app.js'
import { connectCalendar } from '../../helpers/calendars.js'
import { createScenario, type Scenario } from '../../helpers/scenario.js'

let t: TestApp
let s: Scenario
beforeAll(async () => {
  t = await createTestApp({
    now: '2026-06-01T08:00:00Z',
    overrides: { publicRateLimits: { perIp: 10_000, perToken: 10_000, writesPerToken: 10_000 } },
  })
  s = await createScenario(t)
})
afterAll(() => t.close())

const pub = (method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url, ...(payload ? { payload } : {}) }).then((r) => ({
    status: r.statusCode,
    body: /json/.test(String(r.headers['content-type'])) ? r.json() : r.body,
    headers: r.headers,
  }))

const TUESDAY = 'from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z'

async function newLink(extra: Record<string, unknown> = {}) {
  const res = await s.account.post('/v1/booking-links', { meetingTypeId: s.meetingTypeId, ...extra })
  expect(res.status).toBe(201)
  return res.body as { id: string; token: string; url: string }
}

describe('booking links', () => {
  it('carry ≥128 random bits, are stored hashed, and are shown once', async () => {
    const link = await newLink()
    expect(link.url).toBe(`http://localhost:3000/b/${link.token}`)
    expect(Buffer.from(link.token.replace(/^oh_link_/, ''), 'base64url').length).toBeGreaterThanOrEqual(16)
    const row = await t.database.db
      .selectFrom('booking_links')
      .selectAll()
      .where('id', '=', link.id)
      .executeTakeFirstOrThrow()
    expect(row.token_hash).toBe(hashToken(link.token))
    expect(JSON.stringify(row)).not.toContain(link.token)
    const read = await s.account.get(`/v1/booking-links/${link.id}`)
    expect(read.body).not.toHaveProperty('token')
    expect(read.text).not.toContain(link.token)
  })

  it('show the meeting and free slots only, never calendar details', async () => {
    const cal = await connectCalendar(t, s.account.accountId, { type: 'client', id: s.clientId })
    await cal.addEvents([{ start: '2026-06-02T10:00:00Z', end: '2026-06-02T11:00:00Z' }])
    const link = await newLink()
    const info = await pub('GET', `/public/v1/links/${link.token}`)
    expect(info.status).toBe(200)
    expect(info.body).toMatchObject({
      meeting: { name: 'Intro call', durationMinutes: 30 },
      contact: null,
      horizonDays: 60,
    })
    const slots = await pub('GET', `/public/v1/links/${link.token}/slots?${TUESDAY}`)
    expect(slots.status).toBe(200)
    expect(Object.keys(slots.body)).toEqual(['slots'])
    const starts = slots.body.slots.map((x: { start: string }) => x.start.slice(11, 16))
    expect(starts).not.toContain('10:00')
    expect(starts).toContain('11:00')
    expect(JSON.stringify(slots.body)).not.toContain(cal.connectionId)
  })

  it('book, count uses, and stop at maxUses', async () => {
    const link = await newLink({ maxUses: 1 })
    const booked = await pub('POST', `/public/v1/links/${link.token}/bookings`, {
      start: '2026-06-02T12:00:00Z',
      name: 'Lea Wagner',
      email: 'lea@partner.example',
      timeZone: 'Europe/Vienna',
      notes: 'About the offer',
    })
    expect(booked.status).toBe(201)
    expect(booked.body.booking).toMatchObject({
      status: 'confirmed',
      start: '2026-06-02T12:00:00.000Z',
      meeting: { name: 'Intro call' },
      contact: { name: 'Lea Wagner', email: 'lea@partner.example', timeZone: 'Europe/Vienna' },
    })
    expect(booked.body.manageUrl).toBe(`http://localhost:3000/m/${booked.body.manageToken}`)
    const viaApi = await s.account.get(`/v1/bookings/${booked.body.booking.id}`)
    expect(viaApi.body).toMatchObject({ source: 'link', bookingLinkId: link.id })
    expect((await s.account.get(`/v1/booking-links/${link.id}`)).body.uses).toBe(1)

    const usedUp = await pub('POST', `/public/v1/links/${link.token}/bookings`, {
      start: '2026-06-02T13:00:00Z',
      name: 'B',
      email: 'b@x.example',
    })
    expect(usedUp.status).toBe(410)
    expect(usedUp.body.code).toBe('link_used_up')
    expect((await pub('GET', `/public/v1/links/${link.token}`)).body.code).toBe('link_used_up')
  })

  it('a failed booking gives the use back', async () => {
    const link = await newLink({ maxUses: 1 })
    const bad = await pub('POST', `/public/v1/links/${link.token}/bookings`, {
      start: '2026-06-02T12:05:00Z',
      name: 'B',
      email: 'b@x.example',
    })
    expect(bad.status).toBe(409)
    expect((await s.account.get(`/v1/booking-links/${link.id}`)).body.uses).toBe(0)
  })

  it('says when the slot was taken meanwhile', async () => {
    const link = await newLink()
    await s.account.post('/v1/bookings', {
      meetingTypeId: s.meetingTypeId,
      start: '2026-06-02T13:00:00Z',
      contactId: s.contactId,
    })
    const res = await pub('POST', `/public/v1/links/${link.token}/bookings`, {
      start: '2026-06-02T13:00:00Z',
      name: 'C',
      email: 'c@x.example',
    })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('slot_unavailable')
    // The public answer never explains with calendar details.
    expect(JSON.stringify(res.body)).not.toMatch(/connectionId|calendarId/)
  })

  it('expire, and can be revoked', async () => {
    const soon = await newLink({ expiresAt: '2026-06-01T09:00:00Z' })
    expect((await pub('GET', `/public/v1/links/${soon.token}`)).status).toBe(200)
    t.clock.set('2026-06-01T09:00:01Z')
    const expired = await pub('GET', `/public/v1/links/${soon.token}/slots?${TUESDAY}`)
    expect(expired.status).toBe(410)
    expect(expired.body.code).toBe('link_expired')
    t.clock.set('2026-06-01T08:00:00Z')

    const link = await newLink()
    expect((await s.account.delete(`/v1/booking-links/${link.id}`)).status).toBe(204)
    const revoked = await pub('POST', `/public/v1/links/${link.token}/bookings`, {
      start: '2026-06-02T14:00:00Z',
      name: 'D',
      email: 'd@x.example',
    })
    expect(revoked.status).toBe(410)
    expect(revoked.body.code).toBe('link_revoked')
    expect((await pub('GET', '/public/v1/links/oh_link_doesnotexistatall000')).status).toBe(404)
    expect(
      (
        await s.account.post('/v1/booking-links', {
          meetingTypeId: s.meetingTypeId,
          expiresAt: '2026-05-01T00:00:00Z',
        })
      ).status,
    ).toBe(400)
  })

  it('a link for a contact books that contact, with their zone for contact hours', async () => {
    const mt = await s.addMeetingType({
      name: 'Evening-friendly',
      contactHours: { start: '08:00', end: '20:00' },
    })
    const contact = (
      await s.account.post(`/v1/clients/${s.clientId}/contacts`, {
        name: 'Yuki',
        email: 'yuki@partner.example',
        timeZone: 'Asia/Tokyo',
      })
    ).body
    const res = await s.account.post('/v1/booking-links', { meetingTypeId: mt, contactId: contact.id })
    const info = await pub('GET', `/public/v1/links/${res.body.token}`)
    expect(info.body.contact).toEqual({ name: 'Yuki', email: 'yuki@partner.example', timeZone: 'Asia/Tokyo' })
    // Tokyo 08:00–20:00 = 23:00Z–11:00Z: of Berlin's 07:00Z–15:00Z day only the morning remains.
    const friday = 'from=2026-06-05T00:00:00Z&to=2026-06-06T00:00:00Z'
    const slots = (await pub('GET', `/public/v1/links/${res.body.token}/slots?${friday}`)).body.slots
    expect(slots[0].start).toBe('2026-06-05T07:00:00.000Z')
    expect(slots.at(-1).start).toBe('2026-06-05T10:30:00.000Z')
    const booked = await pub('POST', `/public/v1/links/${res.body.token}/bookings`, {
      start: '2026-06-05T07:00:00Z',
      name: 'ignored',
      email: 'ignored@x.example',
    })
    expect(booked.body.booking.contact.email).toBe('yuki@partner.example')
  })
})

describe('manage tokens', () => {
  it('show, move, export and cancel the booking', async () => {
    const link = await newLink()
    const booked = await pub('POST', `/public/v1/links/${link.token}/bookings`, {
      start: '2026-06-03T08:00:00Z',
      name: 'Max',
      email: 'max@x.example',
    })
    const token = booked.body.manageToken
    const row = await t.database.db
      .selectFrom('bookings')
      .select('manage_token_hash')
      .where('id', '=', booked.body.booking.id)
      .executeTakeFirstOrThrow()
    expect(row.manage_token_hash).toBe(hashToken(token))

    expect((await pub('GET', `/public/v1/manage/${token}`)).body).toMatchObject({
      status: 'confirmed',
      start: '2026-06-03T08:00:00.000Z',
    })
    // The booking's own time is offered for its move.
    const slots = (
      await pub('GET', `/public/v1/manage/${token}/slots?from=2026-06-03T07:00:00Z&to=2026-06-03T09:00:00Z`)
    ).body.slots
    expect(slots.map((x: { start: string }) => x.start.slice(11, 16))).toContain('08:00')

    const moved = await pub('POST', `/public/v1/manage/${token}/reschedule`, {
      start: '2026-06-03T08:30:00Z',
    })
    expect(moved.status).toBe(200)
    expect(moved.body.start).toBe('2026-06-03T08:30:00.000Z')
    expect((await s.account.get(`/v1/bookings/${booked.body.booking.id}`)).body).toMatchObject({
      source: 'link',
      sequence: 1,
    })

    const ics = await t.app.inject({ method: 'GET', url: `/public/v1/manage/${token}/booking.ics` })
    expect(ics.headers['content-type']).toMatch(/text\/calendar/)
    const vevent = new ICAL.Component(ICAL.parse(ics.body)).getFirstSubcomponent('vevent')!
    expect(vevent.getFirstPropertyValue('sequence')).toBe(1)
    expect(String(vevent.getFirstPropertyValue('description'))).toContain(`/m/${token}`)

    const cancelled = await pub('POST', `/public/v1/manage/${token}/cancel`, { reason: 'Conflict' })
    expect(cancelled.body.status).toBe('cancelled')
    expect((await pub('GET', `/public/v1/manage/${token}/slots?${TUESDAY}`)).body.slots).toEqual([])
    expect((await pub('GET', '/public/v1/manage/oh_manage_doesnotexist00000000')).status).toBe(404)
  })
})

describe('rate limits', () => {
  it('answer 429 problems per token and per IP', async () => {
    const limited = await createTestApp({
      overrides: { publicRateLimits: { perIp: 50, perToken: 5, writesPerToken: 2 } },
    })
    try {
      const token = 'oh_link_nonexistenttoken0000'
      const codes: number[] = []
      for (let i = 0; i < 7; i++)
        codes.push((await limited.app.inject({ method: 'GET', url: `/public/v1/links/${token}` })).statusCode)
      expect(codes.slice(0, 5)).toEqual([404, 404, 404, 404, 404])
      const res = await limited.app.inject({ method: 'GET', url: `/public/v1/links/${token}` })
      expect(res.statusCode).toBe(429)
      expect(res.headers['content-type']).toMatch(/problem\+json/)
      expect(res.json().code).toBe('rate_limited')
      expect(res.headers['retry-after']).toBeDefined()
      // Another token still works, until the IP's own limit.
      const other = await limited.app.inject({
        method: 'GET',
        url: '/public/v1/links/oh_link_anothertoken00000000',
      })
      expect(other.statusCode).toBe(404)
      let ipLimited = false
      for (let i = 0; i < 60 && !ipLimited; i++) {
        ipLimited =
          (
            await limited.app.inject({
              method: 'GET',
              url: `/public/v1/links/oh_link_token${String(i).padStart(16, '0')}`,
            })
          ).statusCode === 429
      }
      expect(ipLimited).toBe(true)
    } finally {
      await limited.close()
    }
  })
})

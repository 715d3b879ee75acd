// Tenant isolation: every /v1 route with an id, called with another account's ids, is a 404 and changes nothing;
// lists never show another account's rows. Driven by the OpenAPI document so a new route cannot be forgotten.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertDelivery } from '../../../src/db/repositories/webhooks.js'
import { newId } from '../../../src/ids.js'
import { type AccountClient, createTestApp, type TestApp } from '../../helpers/app.js'
import { connectCalendar } from '../../helpers/calendars.js'
import { assistantBody, clientBody, contactBody, meetingTypeBody } from '../../helpers/factories.js'
import { type AccountIds, LIST_PATHS, routesWithPathIds } from '../../helpers/isolation-routes.js'

let t: TestApp
let a: AccountClient
let b: AccountClient
const ofB = {} as AccountIds

beforeAll(async () => {
  t = await createTestApp()
  a = await t.createAccount('A')
  b = await t.createAccount('B')
  // A has resources of its own, so lists and references are not trivially empty.
  const aAssistant = (await a.post('/v1/assistants', assistantBody())).body.id
  const aClient = (await a.post('/v1/clients', clientBody(aAssistant))).body.id
  const aContact = (await a.post(`/v1/clients/${aClient}/contacts`, contactBody())).body.id
  const aType = (await a.post('/v1/meeting-types', meetingTypeBody(aClient))).body.id
  await a.post('/v1/booking-links', { meetingTypeId: aType })
  await a.post('/v1/webhook-endpoints', { url: 'https://a.example.com/hooks', events: ['booking.created'] })
  await a.post('/v1/bookings', { meetingTypeId: aType, start: '2026-06-02T10:00:00Z', contactId: aContact })

  ofB.assistant = (await b.post('/v1/assistants', assistantBody())).body.id
  ofB.client = (await b.post('/v1/clients', clientBody(ofB.assistant))).body.id
  ofB.contact = (await b.post(`/v1/clients/${ofB.client}/contacts`, contactBody())).body.id
  ofB.meetingType = (await b.post('/v1/meeting-types', meetingTypeBody(ofB.client))).body.id
  ofB.apiKey = (await b.post('/v1/api-keys', { name: 'second' })).body.id
  ofB.connection = (await connectCalendar(t, b.accountId, { type: 'client', id: ofB.client })).connectionId
  ofB.bookingLink = (await b.post('/v1/booking-links', { meetingTypeId: ofB.meetingType })).body.id
  ofB.webhookEndpoint = (
    await b.post('/v1/webhook-endpoints', { url: 'https://b.example.com/hooks', events: ['booking.created'] })
  ).body.id
  const slots = (
    await b.get(
      `/v1/availability?meetingTypeId=${ofB.meetingType}&from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z`,
    )
  ).body
  ofB.booking = (
    await b.post('/v1/bookings', {
      meetingTypeId: ofB.meetingType,
      start: slots.slots[0].start,
      contactId: ofB.contact,
    })
  ).body.id
  // A delivery as the worker's dispatcher would record it (no worker runs here).
  ofB.webhookDelivery = newId()
  await t.app.deps.db.transaction().execute((trx) =>
    insertDelivery(
      trx,
      b.accountId,
      {
        id: ofB.webhookDelivery,
        endpointId: ofB.webhookEndpoint,
        eventId: newId(),
        eventType: 'booking.created',
        payload: { type: 'booking.created', data: { id: ofB.booking } },
      },
      new Date(),
    ),
  )
})
afterAll(() => t.close())

describe('tenant isolation', () => {
  it('every /v1 route with a path id answers 404 to another account and changes nothing', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const before = await snapshotOfB()
    let checked = 0
    for (const route of routesWithPathIds(spec, ofB)) {
      const res = await a.request(route.method.toUpperCase() as 'GET', route.url, route.body)
      expect(res.status, `${route.method.toUpperCase()} ${route.path}: ${res.text}`).toBe(404)
      expect(res.text).not.toContain(ofB.client)
      checked++
    }
    expect(checked).toBeGreaterThanOrEqual(14)
    expect(await snapshotOfB()).toEqual(before)
  })

  it('lists never show another account’s rows', async () => {
    for (const url of LIST_PATHS) {
      const res = await a.get(url)
      expect(res.status).toBe(200)
      expect(res.body.data.length).toBeGreaterThan(0)
      for (const id of Object.values(ofB)) expect(res.text).not.toContain(id)
    }
    expect((await a.get(`/v1/clients?assistantId=${ofB.assistant}`)).body.data).toEqual([])
    expect((await a.get(`/v1/meeting-types?clientId=${ofB.client}`)).body.data).toEqual([])
  })

  it('a cursor taken from another account’s list reveals nothing', async () => {
    const page = await b.get('/v1/assistants?limit=1')
    const res = await a.get(`/v1/assistants?cursor=${page.body.nextCursor ?? ''}`)
    expect(res.status === 200 || res.status === 400).toBe(true)
    for (const id of Object.values(ofB)) expect(res.text).not.toContain(id)
  })
})

async function snapshotOfB() {
  return {
    assistant: (await b.get(`/v1/assistants/${ofB.assistant}`)).body,
    client: (await b.get(`/v1/clients/${ofB.client}`)).body,
    contact: (await b.get(`/v1/clients/${ofB.client}/contacts/${ofB.contact}`)).body,
    meetingType: (await b.get(`/v1/meeting-types/${ofB.meetingType}`)).body,
    keys: (await b.get('/v1/api-keys')).body,
    connection: (await b.get(`/v1/connections/${ofB.connection}`)).body,
    calendars: (await b.get(`/v1/connections/${ofB.connection}/calendars`)).body,
    booking: (await b.get(`/v1/bookings/${ofB.booking}`)).body,
    bookingLink: (await b.get(`/v1/booking-links/${ofB.bookingLink}`)).body,
    webhookEndpoint: (await b.get(`/v1/webhook-endpoints/${ofB.webhookEndpoint}`)).body,
    webhookDeliveries: (await b.get(`/v1/webhook-endpoints/${ofB.webhookEndpoint}/deliveries`)).body,
  }
}

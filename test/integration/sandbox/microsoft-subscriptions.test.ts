// Contract: Graph subscriptions through the SDK: validation handshake, notifications, retries and lifecycle events.
import { GraphError } from '@microsoft/microsoft-graph-client'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  echoValidation,
  type Harness,
  type Receiver,
  startHarness,
  startReceiver,
  utc,
} from './microsoft-harness.js'

let h: Harness
let receiver: Receiver

beforeAll(async () => {
  h = await startHarness({ validationTimeoutMs: 300, notifier: { backoffMs: 20, timeoutMs: 500 } })
})
afterAll(() => h.close())
beforeEach(async () => {
  h.reset()
  receiver = await startReceiver()
})
afterEach(() => receiver.close())

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString()

function subscribe(extra: Record<string, unknown> = {}) {
  return h.client.api('/subscriptions').post({
    changeType: 'created,updated,deleted',
    notificationUrl: `${receiver.url}/webhooks/microsoft?tenant=42`,
    lifecycleNotificationUrl: `${receiver.url}/webhooks/microsoft/lifecycle`,
    resource: '/me/events',
    expirationDateTime: inMinutes(60 * 24),
    clientState: 'secret-per-subscription',
    ...extra,
  })
}

const notifications = () => receiver.requests.filter((r) => !r.url.includes('validationToken'))

describe('Microsoft Graph emulator: subscriptions', () => {
  it('validates both URLs with a POST carrying the token, then creates the subscription', async () => {
    const sub = await subscribe()
    expect(sub).toMatchObject({
      resource: '/me/events',
      changeType: 'created,updated,deleted',
      clientState: 'secret-per-subscription',
      applicationId: 'officehours-tests',
    })
    const validations = receiver.requests.filter((r) => r.url.includes('validationToken='))
    expect(validations.map((r) => r.url.split('?')[0])).toEqual([
      '/webhooks/microsoft',
      '/webhooks/microsoft/lifecycle',
    ])
    expect(validations[0]?.method).toBe('POST')
    expect(validations[0]?.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(validations[0]?.url).toContain('tenant=42&validationToken=')
  })

  it('fails with 400 ValidationError when the receiver answers wrong, and creates nothing', async () => {
    // Echoing the still-encoded token is the classic mistake.
    receiver.behaviour = (req) => {
      const raw = /validationToken=([^&]*)/.exec(req.url)?.[1]
      return raw !== undefined ? { status: 200, body: raw, type: 'text/plain' } : { status: 202 }
    }
    const err = (await subscribe().catch((e: unknown) => e)) as GraphError
    expect(err).toBeInstanceOf(GraphError)
    expect(err).toMatchObject({ statusCode: 400, code: 'ValidationError' })
    receiver.behaviour = () => ({ status: 500 })
    expect(await subscribe().catch((e: unknown) => e)).toMatchObject({
      statusCode: 400,
      code: 'ValidationError',
    })
    receiver.behaviour = (req) => ({ ...echoValidation(req), delayMs: 1000 })
    const slow = (await subscribe().catch((e: unknown) => e)) as GraphError
    expect(slow.message).toMatch(/timed out/)
    const list = await h.client.api('/subscriptions').get()
    expect(list.value).toEqual([])
  })

  it('caps Outlook event subscriptions at 10,070 minutes and raises short ones to 45', async () => {
    const err = (await subscribe({ expirationDateTime: inMinutes(10_080) }).catch(
      (e: unknown) => e,
    )) as GraphError
    expect(err).toMatchObject({ statusCode: 400, code: 'ExtensionError' })
    expect(err.message).toBe('Subscription expiration can only be 10070 minutes in the future.')
    const short = await subscribe({ expirationDateTime: inMinutes(5) })
    expect(Date.parse(short.expirationDateTime)).toBeGreaterThan(Date.now() + 44 * 60_000)
  })

  it('POSTs change notifications with the real payload shape and clientState on create, update and delete', async () => {
    const sub = await subscribe()
    const ev = await h.client.api('/me/events').post({
      subject: 'Booked',
      start: utc('2030-01-02T10:00:00Z'),
      end: utc('2030-01-02T10:30:00Z'),
    })
    h.em.moveEvent(ev.id, { start: '2030-01-02T11:00:00Z' })
    await h.client.api(`/me/events/${ev.id}`).delete()
    await receiver.waitFor(() => notifications().length === 3)
    const bodies = notifications().map((r) => JSON.parse(r.body))
    expect(bodies.map((b) => b.value[0].changeType)).toEqual(['created', 'updated', 'deleted'])
    const first = bodies[0].value[0]
    expect(first).toEqual({
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: expect.stringMatching(/\+00:00$/),
      changeType: 'created',
      resource: `Users/${h.em.defaultUser.id}/Events/${ev.id}`,
      resourceData: {
        '@odata.type': '#Microsoft.Graph.Event',
        '@odata.id': `Users/${h.em.defaultUser.id}/Events/${ev.id}`,
        '@odata.etag': ev['@odata.etag'],
        id: ev.id,
      },
      clientState: 'secret-per-subscription',
      tenantId: h.em.tenantId,
    })
    expect(notifications()[0]?.url).toBe('/webhooks/microsoft?tenant=42')
    expect(notifications()[0]?.headers['content-type']).toMatch(/^application\/json/)
  })

  it('retries a notification the receiver did not accept', async () => {
    await subscribe({ lifecycleNotificationUrl: undefined })
    let failures = 2
    receiver.behaviour = (req) => {
      if (req.url.includes('validationToken')) return echoValidation(req)
      return failures-- > 0 ? { status: 503 } : { status: 202 }
    }
    h.em.createEvent({
      subject: 'Retry me',
      start: utc('2030-01-03T10:00:00Z'),
      end: utc('2030-01-03T11:00:00Z'),
    })
    await h.em.settle()
    expect(notifications()).toHaveLength(3)
    expect(h.em.notifications().at(-1)).toMatchObject({ kind: 'change', delivered: true, attempts: 3 })
  })

  it('renews, reauthorizes and deletes; sends lifecycle notifications on demand', async () => {
    const sub = await subscribe()
    const renewed = await h.client
      .api(`/subscriptions/${sub.id}`)
      .patch({ expirationDateTime: inMinutes(3 * 24 * 60) })
    expect(Date.parse(renewed.expirationDateTime)).toBeGreaterThan(Date.parse(sub.expirationDateTime))
    await h.client.api(`/subscriptions/${sub.id}/reauthorize`).post({})

    expect(h.em.sendLifecycleNotification(sub.id, 'reauthorizationRequired')).toBe(true)
    expect(h.em.sendLifecycleNotification(sub.id, 'missed')).toBe(true)
    await receiver.waitFor(() => notifications().length === 2)
    const events = notifications().map((r) => JSON.parse(r.body).value[0])
    expect(notifications().every((r) => r.url === '/webhooks/microsoft/lifecycle')).toBe(true)
    expect(events[0]).toEqual({
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: expect.any(String),
      tenantId: h.em.tenantId,
      clientState: 'secret-per-subscription',
      lifecycleEvent: 'reauthorizationRequired',
    })
    expect(events[1].lifecycleEvent).toBe('missed')

    await h.client.api(`/subscriptions/${sub.id}`).delete()
    const gone = (await h.client
      .api(`/subscriptions/${sub.id}`)
      .get()
      .catch((e: unknown) => e)) as GraphError
    expect(gone.statusCode).toBe(404)
  })

  it('removes a subscription with a subscriptionRemoved lifecycle event and stops notifying', async () => {
    const sub = await subscribe()
    expect(h.em.removeSubscription(sub.id)).toBe(true)
    await receiver.waitFor(() => notifications().length === 1)
    expect(JSON.parse(notifications()[0]?.body ?? '{}').value[0].lifecycleEvent).toBe('subscriptionRemoved')
    h.em.createEvent({
      subject: 'Unseen',
      start: utc('2030-01-04T10:00:00Z'),
      end: utc('2030-01-04T11:00:00Z'),
    })
    await h.em.settle()
    expect(notifications()).toHaveLength(1)
  })
})

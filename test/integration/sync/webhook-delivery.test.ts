// App webhooks delivered by the worker (SPEC 1.7): booking events reach a local receiver signed the Standard
// Webhooks way; failures are retried with the same webhook-id; exhausted retries fail the delivery and mark the
// endpoint failing; a redelivery goes out again; /metrics counts bookings and deliveries.
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertDelivery } from '../../../src/db/repositories/webhooks.js'
import { newId } from '../../../src/ids.js'
import { serveMetrics } from '../../../src/metrics.js'
import { requeueOverdueDeliveries } from '../../../src/services/webhook-delivery.js'
import { startWorker, type Worker } from '../../../src/worker.js'
import { createTestApp, type TestApp } from '../../helpers/app.js'
import { createScenario, type Scenario } from '../../helpers/scenario.js'
import { until } from '../../helpers/until.js'
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js'

describe('webhooks to apps', () => {
  let t: TestApp
  let s: Scenario
  let worker: Worker
  const receivers: WebhookReceiver[] = []

  beforeAll(async () => {
    t = await createTestApp({ config: { webhookAllowPrivateUrls: true } })
    s = await createScenario(t)
    worker = await startWorker(t.app.deps, {
      jobTimeoutSeconds: 5,
      dispatchIntervalMs: 50,
      webhookRetryDelaysSeconds: [0.2, 0.2, 0.2],
      queueSampleIntervalMs: 100,
    })
  })
  afterAll(async () => {
    await worker?.stop()
    for (const r of receivers) await r.close()
    await t?.close()
  })

  async function receiver(answer?: WebhookReceiver['answer']) {
    const r = await startWebhookReceiver(answer)
    receivers.push(r)
    return r
  }

  async function endpoint(
    url: string,
    events = ['booking.created', 'booking.rescheduled', 'booking.cancelled'],
  ) {
    const res = await s.account.post('/v1/webhook-endpoints', { url, events })
    expect(res.status).toBe(201)
    return res.body as { id: string; secret: string }
  }

  async function book(start: string) {
    const res = await s.account.post('/v1/bookings', {
      meetingTypeId: s.meetingTypeId,
      start,
      contactId: s.contactId,
    })
    expect(res.status, res.text).toBe(201)
    return res.body.id as string
  }

  async function deliveries(endpointId: string) {
    const res = await s.account.get(`/v1/webhook-endpoints/${endpointId}/deliveries`)
    expect(res.status).toBe(200)
    return res.body.data as Array<Record<string, unknown>>
  }

  it('delivers created, rescheduled and cancelled, signed so that Webhook.verify accepts them', async () => {
    const app = await receiver()
    const ep = await endpoint(app.url)
    const id = await book('2026-06-02T08:00:00Z')
    await s.account.post(`/v1/bookings/${id}/reschedule`, { start: '2026-06-02T09:00:00Z' })
    await s.account.post(`/v1/bookings/${id}/cancel`, {})
    await until('three deliveries', async () => app.received.length >= 3)

    const verifier = new Webhook(ep.secret)
    // Deliveries run in parallel, so arrival order is not promised; the booking's sequence orders its changes.
    const events = app.received
      .map((r) => {
        const verified = verifier.verify(r.body, r.headers as Record<string, string>) as {
          type: string
          timestamp: string
          data: { id: string; start: string; status: string; sequence: number }
        }
        expect(r.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/)
        return verified
      })
      .sort((x, y) => x.data.sequence - y.data.sequence)
    expect(events.map((e) => e.type)).toEqual(['booking.created', 'booking.rescheduled', 'booking.cancelled'])
    expect(events.every((e) => e.data.id === id)).toBe(true)
    expect(events[1]?.data.start).toBe('2026-06-02T09:00:00.000Z')
    expect(events[2]?.data.status).toBe('cancelled')
    expect(events[0]?.timestamp).toMatch(/Z$/)
    // A tampered body fails verification.
    const first = app.received[0]!
    expect(() => verifier.verify(first.body.replace('"data":', '"data": '), first.headers as never)).toThrow()

    await until('recorded as delivered', async () => {
      const list = await deliveries(ep.id)
      return list.length === 3 && list.every((d) => d.status === 'delivered') && list
    })
    const list = await deliveries(ep.id)
    expect(list[0]).toMatchObject({ attempts: 1, lastResponseCode: 200, eventType: 'booking.created' })
  })

  it('retries a 500 with the same webhook-id and records the attempts and the last code', async () => {
    const app = await receiver((n) => (n === 1 ? 500 : 200))
    const ep = await endpoint(app.url, ['booking.created'])
    await book('2026-06-03T08:00:00Z')
    await until('two attempts', async () => app.received.length >= 2)
    expect(app.received[0]?.headers['webhook-id']).toBe(app.received[1]?.headers['webhook-id'])
    const verifier = new Webhook(ep.secret)
    for (const r of app.received) verifier.verify(r.body, r.headers as Record<string, string>)
    const [delivery] = await until('delivered after a retry', async () => {
      const list = await deliveries(ep.id)
      return list[0]?.status === 'delivered' && list
    })
    expect(delivery).toMatchObject({ attempts: 2, lastResponseCode: 200, lastError: null })
  })

  it('gives up after the schedule: the delivery is failed, the endpoint failing; a redelivery goes out again', async () => {
    let healthy = false
    const app = await receiver(() => (healthy ? 204 : 503))
    const ep = await endpoint(app.url, ['booking.created'])
    await book('2026-06-04T08:00:00Z')
    const [failed] = await until('failed', async () => {
      const list = await deliveries(ep.id)
      return list[0]?.status === 'failed' && list
    })
    expect(failed).toMatchObject({
      attempts: 4,
      lastResponseCode: 503,
      status: 'failed',
      nextAttemptAt: null,
    })
    expect(app.received).toHaveLength(4)
    expect(new Set(app.received.map((r) => r.headers['webhook-id'])).size).toBe(1)
    const shown = (await s.account.get(`/v1/webhook-endpoints/${ep.id}`)).body
    expect(shown.status).toBe('failing')
    expect(shown.failingSince).not.toBeNull()

    healthy = true
    const redelivered = await s.account.post(
      `/v1/webhook-endpoints/${ep.id}/deliveries/${failed!.id}/redeliver`,
      {},
    )
    expect(redelivered.status).toBe(202)
    expect(redelivered.body).toMatchObject({ status: 'pending', attempts: 0 })
    await until('redelivered', async () => (await deliveries(ep.id))[0]?.status === 'delivered')
    expect(app.received).toHaveLength(5)
    expect(app.received[4]?.headers['webhook-id']).toBe(app.received[0]?.headers['webhook-id'])
    expect((await s.account.get(`/v1/webhook-endpoints/${ep.id}`)).body.status).toBe('active')
  })

  it('sends connection.reauth_required when a connection loses its grant', async () => {
    const app = await receiver()
    const ep = await endpoint(app.url, ['connection.reauth_required'])
    await t.app.deps.hooks.onReauthRequired(
      {
        accountId: s.account.accountId,
        connectionId: '00000000-0000-7000-8000-000000000001',
        owner: { type: 'client', id: s.clientId },
        provider: 'google',
      },
      t.app.deps.db,
    )
    await until('delivered', async () => app.received.length >= 1)
    const event = new Webhook(ep.secret).verify(app.received[0]!.body, app.received[0]!.headers as never) as {
      type: string
      data: { connectionId: string; provider: string }
    }
    expect(event.type).toBe('connection.reauth_required')
    expect(event.data).toMatchObject({
      connectionId: '00000000-0000-7000-8000-000000000001',
      provider: 'google',
    })
  })

  it('sends nothing to a disabled endpoint or for events it did not subscribe to', async () => {
    const app = await receiver()
    const ep = await endpoint(app.url, ['booking.cancelled'])
    await book('2026-06-05T08:00:00Z')
    const paused = await endpoint(app.url, ['booking.created'])
    await s.account.patch(`/v1/webhook-endpoints/${paused.id}`, { enabled: false })
    await book('2026-06-05T10:00:00Z')
    await new Promise((r) => setTimeout(r, 500))
    expect(app.received).toHaveLength(0)
    expect(await deliveries(ep.id)).toEqual([])
  })

  it('/metrics shows bookings, calendar writes, queue depth and webhook deliveries', async () => {
    await until('queue depth sampled', async () => {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
      return text.includes('officehours_queue_depth{queue="webhook-delivery"}')
    })
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(text).toMatch(/officehours_booking_events_total\{type="created",source="api"\} [1-9]/)
    expect(text).toMatch(/officehours_booking_events_total\{type="rescheduled",source="api"\} 1/)
    expect(text).toMatch(/officehours_booking_events_total\{type="cancelled",source="api"\} 1/)
    expect(text).toMatch(/officehours_webhook_deliveries_total\{outcome="delivered"\} [1-9]/)
    expect(text).toMatch(/officehours_webhook_deliveries_total\{outcome="retry"\} [1-9]/)
    expect(text).toMatch(/officehours_webhook_deliveries_total\{outcome="failed"\} 1/)
    expect(text).toContain('http_requests_total')
  })

  it('a worker without the API can serve the same metrics on a bare listener', async () => {
    const listener = await serveMetrics(t.app.deps.metrics.registry, '127.0.0.1', 0)
    try {
      const res = await fetch(listener.url)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('officehours_webhook_deliveries_total{outcome="delivered"}')
      expect((await fetch(listener.url.replace('/metrics', '/other'))).status).toBe(404)
    } finally {
      await listener.close()
    }
  })

  it('hands a delivery whose job was lost back to the queue', async () => {
    const app = await receiver()
    const ep = await endpoint(app.url, ['booking.created'])
    const eventId = newId()
    // As if pg-boss had given up on its job after repeated worker crashes: queued, pending, long overdue.
    await t.app.deps.db.transaction().execute((trx) =>
      insertDelivery(
        trx,
        s.account.accountId,
        {
          id: newId(),
          endpointId: ep.id,
          eventId,
          eventType: 'booking.created',
          payload: { type: 'booking.created', timestamp: '2026-05-01T00:00:00.000Z', data: {} },
        },
        new Date('2026-05-01T00:00:00Z'),
      ),
    )
    await new Promise((r) => setTimeout(r, 300))
    expect(app.received).toHaveLength(0)
    expect(await requeueOverdueDeliveries(t.app.deps, 3_600_000)).toBe(1)
    await until('delivered', async () => app.received.length === 1)
    expect(app.received[0]?.headers['webhook-id']).toBe(eventId)
    // The app has it before the worker records it: wait for the record, or the delivery is still overdue.
    await until('recorded', async () => (await deliveries(ep.id))[0]?.status === 'delivered')
    expect(await requeueOverdueDeliveries(t.app.deps, 3_600_000)).toBe(0)
  })
})

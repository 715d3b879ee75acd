// Contract: injected faults through the Graph SDK: its RetryHandler honours Retry-After; 5xx and throttling bodies.
import { GraphError } from '@microsoft/microsoft-graph-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './microsoft-harness.js'

let h: Harness

beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())
beforeEach(() => h.reset())

describe('Microsoft Graph emulator: faults', () => {
  it('forces 429 with Retry-After for the next N calls; the SDK waits that long and retries', async () => {
    h.em.faults.add({ route: 'calendars.list', status: 429, count: 2, retryAfterSeconds: 1 })
    const started = Date.now()
    const res = await h.client.api('/me/calendars').get()
    const elapsed = Date.now() - started
    expect(res.value).toHaveLength(1)
    const attempts = h.em.requestLog.list({ route: 'calendars.list' })
    expect(attempts.map((a) => a.status)).toEqual([429, 429, 200])
    expect(attempts.map((a) => a.headers?.['retry-attempt'])).toEqual([undefined, '1', '2'])
    // Retry-After: 1 twice, not the client's own delay (0 here, 3 s by default).
    expect(elapsed).toBeGreaterThanOrEqual(1900)
  })

  it('renders 503 with Retry-After as a Graph error once the SDK gives up', async () => {
    h.em.faults.add({ route: 'events.list', status: 503, retryAfterSeconds: 0 })
    const err = (await h.client
      .api('/me/events')
      .get()
      .catch((e: unknown) => e)) as GraphError
    expect(err).toBeInstanceOf(GraphError)
    expect(err).toMatchObject({ statusCode: 503, code: 'serviceNotAvailable' })
    expect(err.headers?.get('retry-after')).toBe('0')
    expect(err.requestId).toEqual(expect.any(String))
    expect(h.em.requestLog.list({ route: 'events.list' })).toHaveLength(4)
  })

  it('does not retry a 500, and stops injecting once the count is used up', async () => {
    h.em.faults.add({ route: 'events.create', status: 500, count: 1 })
    const body = {
      subject: 'After the outage',
      start: { dateTime: '2030-01-01T10:00:00', timeZone: 'UTC' },
      end: { dateTime: '2030-01-01T11:00:00', timeZone: 'UTC' },
    }
    const err = (await h.client
      .api('/me/events')
      .post(body)
      .catch((e: unknown) => e)) as GraphError
    expect(err).toMatchObject({ statusCode: 500, code: 'generalException' })
    const created = await h.client.api('/me/events').post(body)
    expect(created.subject).toBe('After the outage')
    expect(h.em.requestLog.list({ route: 'events.create' }).map((e) => e.status)).toEqual([500, 201])
  })

  it('injects latency and throttles more than four concurrent requests per mailbox', async () => {
    h.em.faults.add({ route: 'me', latencyMs: 150 })
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        fetch(`${h.graphBase}/me`, { headers: { authorization: `Bearer ${h.accessToken}` } }),
      ),
    )
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0)).sort()
    expect(statuses).toEqual([200, 200, 200, 200, 429])
    const throttled = results.find((r) => r.status === 'fulfilled' && r.value.status === 429)
    if (throttled?.status !== 'fulfilled') throw new Error('no throttled response')
    expect(throttled.value.headers.get('retry-after')).toBe('1')
    expect(await throttled.value.json()).toMatchObject({ error: { code: 'ApplicationThrottled' } })
  })

  it('applies a fault rule to the token endpoint with an identity-platform body', async () => {
    h.em.faults.add({ route: 'token', status: 503, count: 1, retryAfterSeconds: 1 })
    const res = await fetch(`${h.authBase}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: 'c',
        client_secret: 's',
      }),
    })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable', error_codes: [90033] })
  })

  it('drives the same controls through the admin HTTP API', async () => {
    const origin = h.graphBase.replace(/\/v1\.0$/, '')
    const post = (path: string, body: unknown) =>
      fetch(`${origin}/__admin${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await post('/faults', { route: 'me', status: 401, count: 1 })).status).toBe(201)
    const err = (await h.client
      .api('/me')
      .get()
      .catch((e: unknown) => e)) as GraphError
    expect(err).toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationToken' })
    const created = (await (
      await post('/events', {
        subject: 'Made in Outlook',
        start: { dateTime: '2030-02-01T09:00:00', timeZone: 'UTC' },
        end: { dateTime: '2030-02-01T10:00:00', timeZone: 'UTC' },
      })
    ).json()) as { id: string }
    const moved = (await (
      await post(`/events/${created.id}/move`, { start: '2030-02-01T12:00:00Z' })
    ).json()) as {
      end: { dateTime: string }
    }
    expect(moved.end.dateTime).toBe('2030-02-01T13:00:00.0000000')
    const log = (await (await fetch(`${origin}/__admin/requests?route=me`)).json()) as { value: unknown[] }
    expect(log.value).toHaveLength(1)
  })
})

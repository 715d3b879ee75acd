// Contract: injected faults of the Google emulator as the official client sees them (gaxios retries, Retry-After).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { GoogleEmulator } from '../../../src/sandbox/google/index.js'
import { failure, oauthClient, signedIn, startGoogle, timed } from './google-harness.js'

let g: GoogleEmulator

beforeAll(async () => {
  g = await startGoogle()
})
afterAll(async () => {
  await g.close()
})
beforeEach(() => {
  g.faults.clear()
  g.requests.clear()
})

// gaxios waits about 100 ms, 500 ms and 1.5 s between its 3 retries; shorten them so the suite stays fast.
const quickRetries = { retryConfig: { retryDelay: 5, retryDelayMultiplier: 1, totalTimeout: 5000 } }

describe('Google fault injection', () => {
  it('answers 429 with Retry-After for the next N calls; the client retries GETs by itself and then succeeds', async () => {
    const { cal } = signedIn(g, 'fault-a@sandbox.test')
    g.addFault({ route: 'events.list', status: 429, count: 2, retryAfterSeconds: 1 })
    const res = await cal.events.list({ calendarId: 'primary' }, quickRetries)
    expect(res.status).toBe(200)
    expect(g.requests.list({ route: 'events.list' }).map((r) => r.status)).toEqual([429, 429, 200])
  })

  it('surfaces the 429 after the client gives up, with Retry-After and the rateLimitExceeded body', async () => {
    const { cal } = signedIn(g, 'fault-b@sandbox.test')
    g.addFault({ route: 'events.list', status: 429, count: 10, retryAfterSeconds: 1 })
    // 1 call and gaxios' default 3 retries, Retry-After ignored (providers.md §0.9); only the delays are shortened.
    const res = await failure(cal.events.list({ calendarId: 'primary' }, quickRetries))
    expect(res.status).toBe(429)
    expect(res.headers['retry-after']).toBe('1')
    expect(res.api.error).toEqual({
      errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }],
      code: 429,
      message: 'Rate Limit Exceeded',
    })
    expect(g.requests.list({ route: 'events.list' })).toHaveLength(4)
  })

  it('does not let the client retry a failed POST, and renders 5xx as backendError', async () => {
    const { cal } = signedIn(g, 'fault-c@sandbox.test')
    g.addFault({ route: 'events.insert', status: 500, count: 1 })
    const res = await failure(
      cal.events.insert({ calendarId: 'primary', requestBody: timed('X', 0, 9) }, quickRetries),
    )
    expect(res.status).toBe(500)
    expect(res.api.error.errors[0]).toEqual({
      domain: 'global',
      reason: 'backendError',
      message: 'Backend Error',
    })
    expect(g.requests.list({ route: 'events.insert' })).toHaveLength(1)
    // The rule was used up: the next insert goes through.
    expect((await cal.events.insert({ calendarId: 'primary', requestBody: timed('Y', 0, 9) })).status).toBe(
      200,
    )
  })

  it('answers 403 rateLimitExceeded, which the client does not retry', async () => {
    const { cal } = signedIn(g, 'fault-d@sandbox.test')
    g.addFault({ route: 'events.get', status: 403, count: 1 })
    const res = await failure(cal.events.get({ calendarId: 'primary', eventId: 'abcdef12345' }, quickRetries))
    expect(res.status).toBe(403)
    expect(res.api.error.errors[0]?.reason).toBe('rateLimitExceeded')
    expect(g.requests.list({ route: 'events.get' })).toHaveLength(1)
  })

  it('applies error rates, latency and wildcard rules, and faults on the token endpoint in OAuth shape', async () => {
    const { cal, auth } = signedIn(g, 'fault-e@sandbox.test')
    g.addFault({ route: '*', latencyMs: 60 })
    const started = Date.now()
    await cal.calendarList.list()
    expect(Date.now() - started).toBeGreaterThanOrEqual(55)
    g.faults.clear()

    g.addFault({ route: 'calendarList.list', errorRate: 1, status: 503 })
    const res = await failure(cal.calendarList.list({}, { retry: false }))
    expect(res.status).toBe(503)
    g.faults.clear()

    // google-auth-library retries its token POST once on 5xx by itself: a single fault is absorbed.
    g.requests.clear()
    g.addFault({ route: 'token', status: 500, count: 1 })
    expect((await auth.refreshAccessToken()).credentials.access_token).toBeTruthy()
    expect(g.requests.list({ route: 'token' }).map((r) => r.status)).toEqual([500, 200])
    g.addFault({ route: 'token', status: 503, count: 1 })
    const raw = await fetch(g.endpoints().tokenUrl, { method: 'POST' })
    expect(raw.status).toBe(503)
    expect(await raw.json()).toEqual({ error: 'internal_failure', error_description: 'Backend Error' })
  })

  it('takes faults through the admin API and reports attempts in the request log', async () => {
    const { cal } = signedIn(g, 'fault-f@sandbox.test')
    const add = await fetch(`${g.baseUrl}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route: 'events.list', status: 502, count: 1 }),
    })
    expect(add.status).toBe(200)
    await cal.events.list({ calendarId: 'primary' }, quickRetries)
    const log = (await (await fetch(`${g.baseUrl}/__admin/requests?route=events.list`)).json()) as Array<{
      status: number
      headers: Record<string, string>
    }>
    expect(log.map((r) => r.status)).toEqual([502, 200])
    expect(log[0]?.headers['authorization']).toMatch(/^Bearer …$/)
    const bad = await fetch(`${g.baseUrl}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route: 'events.list', errorRate: 3 }),
    })
    expect(bad.status).toBe(400)
    expect(oauthClient(g)).toBeTruthy()
  })
})

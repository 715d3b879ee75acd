// Contract: events.watch push channels of the Google emulator, delivered to a local receiver.
import Fastify from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { GoogleEmulator } from '../../../src/sandbox/google/index.js'
import { failure, type Received, signedIn, startGoogle, startReceiver, timed } from './google-harness.js'

let g: GoogleEmulator
const closers: Array<() => Promise<void>> = []

beforeAll(async () => {
  g = await startGoogle()
})
afterEach(async () => {
  g.notifier.setDropRate(0)
  while (closers.length) await closers.pop()?.()
})
afterAll(async () => {
  await g.close()
})

async function receiver(respond?: (n: number) => number) {
  const r = await startReceiver(respond)
  closers.push(r.close)
  return r
}

const header = (r: Received | undefined, name: string) => r?.headers[name.toLowerCase()]

describe('Google events.watch', () => {
  it('sends sync first, then exists on every change, with Google headers and an empty JSON-typed body', async () => {
    const email = 'watch-a@sandbox.test'
    const { cal } = signedIn(g, email)
    const r = await receiver()
    const before = g.now()
    const watched = await cal.events.watch({
      calendarId: 'primary',
      requestBody: { id: 'chan-a', type: 'web_hook', address: r.url, token: 'tenant=42' },
    })
    expect(watched.data).toMatchObject({ kind: 'api#channel', id: 'chan-a', token: 'tenant=42' })
    expect(watched.data.resourceId).toBeTruthy()
    expect(watched.data.resourceUri).toContain(encodeURIComponent(email))
    // Default life is 7 days (params.ttl default 604800 s, providers.md A2).
    expect(Number(watched.data.expiration)).toBeGreaterThanOrEqual(before + 604_800_000)
    expect(Number(watched.data.expiration)).toBeLessThanOrEqual(g.now() + 604_800_000)

    await g.notifier.settle()
    expect(r.received).toHaveLength(1)
    const sync = r.received[0]
    expect(header(sync, 'X-Goog-Resource-State')).toBe('sync')
    expect(header(sync, 'X-Goog-Message-Number')).toBe('1')

    const created = await cal.events.insert({ calendarId: 'primary', requestBody: timed('Ping', 0, 9) })
    g.owner.updateEvent(email, created.data.id as string, { summary: 'Ping (renamed)' })
    g.owner.deleteEvent(email, created.data.id as string)
    await g.notifier.settle()

    expect(r.received.map((m) => header(m, 'X-Goog-Resource-State'))).toEqual([
      'sync',
      'exists',
      'exists',
      'exists',
    ])
    const numbers = r.received.map((m) => Number(header(m, 'X-Goog-Message-Number')))
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThan(numbers[i - 1] as number)
    for (const m of r.received) {
      expect(m.method).toBe('POST')
      expect(m.body).toBe('')
      expect(header(m, 'content-type')).toBe('application/json; utf-8')
      expect(header(m, 'content-length') ?? '0').toBe('0')
      expect(header(m, 'X-Goog-Channel-ID')).toBe('chan-a')
      expect(header(m, 'X-Goog-Channel-Token')).toBe('tenant=42')
      expect(header(m, 'X-Goog-Resource-ID')).toBe(watched.data.resourceId)
      expect(header(m, 'X-Goog-Resource-URI')).toBe(watched.data.resourceUri)
      expect(header(m, 'X-Goog-Channel-Expiration')).toBe(
        new Date(Number(watched.data.expiration)).toUTCString(),
      )
      expect(String(header(m, 'user-agent'))).toMatch(/^APIs-Google/)
    }
  })

  it('stops notifying after channels/stop, and refuses to stop an unknown channel', async () => {
    const email = 'watch-b@sandbox.test'
    const { cal } = signedIn(g, email)
    const r = await receiver()
    const ch = await cal.events.watch({
      calendarId: 'primary',
      requestBody: { id: 'chan-b', type: 'web_hook', address: r.url },
    })
    await g.notifier.settle()
    const stopped = await cal.channels.stop({
      requestBody: { id: 'chan-b', resourceId: ch.data.resourceId as string },
    })
    expect(stopped.status).toBe(204)
    g.owner.createEvent(email, timed('Unseen', 0, 9))
    await g.notifier.settle()
    expect(r.received.map((m) => header(m, 'X-Goog-Resource-State'))).toEqual(['sync'])
    expect(header(r.received[0], 'X-Goog-Channel-Token')).toBeUndefined()

    const unknown = await failure(cal.channels.stop({ requestBody: { id: 'chan-b', resourceId: 'nope' } }))
    expect(unknown.status).toBe(404)
  })

  it('retries a delivery answered with 5xx and does not retry a 4xx', async () => {
    const email = 'watch-c@sandbox.test'
    const { cal } = signedIn(g, email)
    const r = await receiver((n) => (n === 1 ? 503 : n === 3 ? 404 : 200))
    await cal.events.watch({
      calendarId: 'primary',
      requestBody: { id: 'chan-c', type: 'webhook', address: r.url },
    })
    await g.notifier.settle()
    g.owner.createEvent(email, timed('Retried', 0, 9))
    await g.notifier.settle()
    g.owner.createEvent(email, timed('Refused', 1, 9))
    await g.notifier.settle()
    const states = r.received.map(
      (m) => `${header(m, 'X-Goog-Resource-State')}#${header(m, 'X-Goog-Message-Number')}`,
    )
    // sync, exists (503), the same exists again, then the next exists (404: a failed delivery, not retried).
    expect(states).toHaveLength(4)
    expect(states[1]).toBe(states[2])
    const deliveries = g.channels.deliveries().filter((d) => d.channelId === 'chan-c')
    expect(deliveries.map((d) => [d.state, d.result?.attempts, d.result?.delivered])).toEqual([
      ['sync', 1, true],
      ['exists', 2, true],
      ['exists', 1, false],
    ])
  })

  it('drops notifications at the configured drop rate and ends expired channels', async () => {
    const email = 'watch-d@sandbox.test'
    const { cal } = signedIn(g, email)
    const r = await receiver()
    await cal.events.watch({
      calendarId: 'primary',
      requestBody: { id: 'chan-d', type: 'web_hook', address: r.url },
    })
    await g.notifier.settle()
    g.notifier.setDropRate(1)
    g.owner.createEvent(email, timed('Dropped', 0, 9))
    await g.notifier.settle()
    expect(r.received).toHaveLength(1)
    g.notifier.setDropRate(0)
    expect(g.channels.expire('chan-d')).toBe(true)
    g.owner.createEvent(email, timed('After expiry', 1, 9))
    await g.notifier.settle()
    expect(r.received).toHaveLength(1)
    expect(g.channels.list().find((c) => c.id === 'chan-d')?.active).toBe(false)
  })

  it('validates the channel: id length, type, address, token and expiration, capped at the maximum life', async () => {
    const { cal } = signedIn(g, 'watch-e@sandbox.test')
    const r = await receiver()
    const base = { type: 'web_hook', address: r.url }
    const cases = [
      { id: 'x'.repeat(65), ...base },
      { ...base },
      { id: 'chan-e1', type: 'email', address: r.url },
      { id: 'chan-e2', type: 'web_hook', address: 'not a url' },
      { id: 'chan-e3', ...base, token: 't'.repeat(257) },
      // Seconds instead of milliseconds: in the past (providers.md A2 pushInvalidTtl).
      { id: 'chan-e4', ...base, expiration: String(Math.floor(Date.now() / 1000)) },
    ]
    for (const requestBody of cases) {
      const res = await failure(cal.events.watch({ calendarId: 'primary', requestBody }))
      expect(res.status).toBe(400)
    }
    const far = await cal.events.watch({
      calendarId: 'primary',
      requestBody: { id: 'chan-e5', ...base, expiration: String(g.now() + 30 * 86_400_000) },
    })
    expect(Number(far.data.expiration)).toBeLessThanOrEqual(g.now() + 604_800_000)
    const short = await cal.events.watch({
      calendarId: 'primary',
      requestBody: { id: 'chan-e6', ...base, params: { ttl: '60' } },
    })
    expect(Number(short.data.expiration)).toBeLessThanOrEqual(g.now() + 60_000)
    const dup = await failure(
      cal.events.watch({ calendarId: 'primary', requestBody: { id: 'chan-e6', ...base } }),
    )
    expect(dup.status).toBe(400)
  })

  it('reaches a Fastify receiver only if it accepts the empty JSON body (the quirk shows up)', async () => {
    const email = 'watch-f@sandbox.test'
    const { cal } = signedIn(g, email)
    const app = Fastify()
    app.post('/webhooks/google', async () => ({ ok: true }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    closers.push(() => app.close())
    const addr = app.server.address()
    const port = typeof addr === 'object' && addr ? addr.port : 0
    await cal.events.watch({
      calendarId: 'primary',
      requestBody: { id: 'chan-f', type: 'web_hook', address: `http://127.0.0.1:${port}/webhooks/google` },
    })
    await g.notifier.settle()
    const sync = g.channels.deliveries().find((d) => d.channelId === 'chan-f')
    // Fastify's default JSON parser refuses an empty body with 400 (providers.md §0.4).
    expect(sync?.result?.status).toBe(400)
    expect(sync?.result?.delivered).toBe(false)
  })
})

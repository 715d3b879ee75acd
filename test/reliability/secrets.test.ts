// Secrets at rest and in the logs: a full run through a real server process at LOG_LEVEL=trace (accounts and API
// keys, Google and Microsoft calendars connected through the emulators' OAuth, tokens refreshed, push channels with
// their secrets and notifications, webhook endpoints with deliveries and a rotated secret, bookings with link and
// manage tokens). Every secret is collected in clear (the OAuth traffic is recorded by a proxy in front of each
// emulator), then the whole database (pg_dump --data-only) and everything the process wrote are searched for each
// of them, also base64 and hex encoded: none may appear.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PopulatedAccount, populateTwoAccounts } from '../helpers/live-account.js'
import { type HttpAccount, type LiveServer, startLiveServer } from '../helpers/live-server.js'
import { type RecordingProxy, startRecordingProxy } from '../helpers/recording-proxy.js'
import { until } from '../helpers/until.js'
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js'
import { ownerHands } from '../integration/sync/harness.js'

const run = promisify(execFile)

let server: LiveServer
let receiver: WebhookReceiver
let proxies: { google: RecordingProxy; microsoft: RecordingProxy }
let a: HttpAccount
let b: HttpAccount
let ofA: PopulatedAccount
let ofB: PopulatedAccount

/** Secrets by kind, each in clear. */
const secrets = new Map<string, Set<string>>()
function keep(kind: string, value: unknown) {
  if (typeof value !== 'string' || value.length === 0) return
  const set = secrets.get(kind) ?? new Set<string>()
  set.add(value)
  secrets.set(kind, set)
}

beforeAll(async () => {
  receiver = await startWebhookReceiver()
  server = await startLiveServer({
    env: { ROLE: 'all', LOG_LEVEL: 'trace' },
    providerUrls: async (own) => {
      const google = new URL(own.GOOGLE_API_BASE_URL).origin
      const microsoft = new URL(own.MICROSOFT_GRAPH_BASE_URL).origin
      proxies = { google: await startRecordingProxy(google), microsoft: await startRecordingProxy(microsoft) }
      const via = (url: string, origin: string, proxy: RecordingProxy) => url.replace(origin, proxy.origin)
      return {
        GOOGLE_API_BASE_URL: via(own.GOOGLE_API_BASE_URL, google, proxies.google),
        GOOGLE_AUTH_URL: via(own.GOOGLE_AUTH_URL, google, proxies.google),
        GOOGLE_TOKEN_URL: via(own.GOOGLE_TOKEN_URL, google, proxies.google),
        MICROSOFT_GRAPH_BASE_URL: via(own.MICROSOFT_GRAPH_BASE_URL, microsoft, proxies.microsoft),
        MICROSOFT_AUTH_BASE_URL: via(own.MICROSOFT_AUTH_BASE_URL, microsoft, proxies.microsoft),
      }
    },
  })
}, 120_000)

afterAll(async () => {
  await server?.stop()
  await receiver?.close()
  await proxies?.google.close()
  await proxies?.microsoft.close()
})

async function connectionOf(account: HttpAccount, id: string) {
  return (await account.get(`/v1/connections/${id}`)).body
}

/** Everything the run does, the way an operator's instance would see it over a day. */
async function fullRun(): Promise<string[]> {
  const steps: string[] = []
  ;({ a, b, ofA, ofB } = await populateTwoAccounts(server, receiver.url, ['SecretA', 'SecretB']))
  steps.push(
    '2 accounts, each with people, a meeting type, 2 bookings (1 through a link), a webhook endpoint',
  )

  // More keys: one through an Idempotency-Key (its answer, holding the key, is stored), one revoked then used.
  const third = await a.request('POST', '/v1/api-keys', {
    json: { name: 'ci' },
    headers: { 'idempotency-key': 'secrets-key-1' },
  })
  const revoked = await b.post('/v1/api-keys', { name: 'to revoke' })
  await b.delete(`/v1/api-keys/${revoked.body.id}`)
  const refused = await server.request('GET', '/v1/assistants', {
    headers: { authorization: `Bearer ${revoked.body.key}` },
  })
  expect(refused.status).toBe(401)
  for (const key of [a.apiKey, b.apiKey, ofA.secondKey, ofB.secondKey, third.body.key, revoked.body.key])
    keep('API key', key)
  steps.push('API keys: 2 first keys, 2 more, 1 through an Idempotency-Key, 1 revoked and then used (401)')

  // Push channels (Google watch channel token, Graph clientState) made by the worker, then notifications.
  const connA = ofA.ids.connection
  const connB = ofB.ids.connection
  await until(
    'push channels on both connections',
    async () =>
      (await connectionOf(a, connA)).syncMode === 'push' &&
      (await connectionOf(b, connB)).syncMode === 'push',
    60_000,
  )
  const day = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10)
  const google = ownerHands(server.emulators, 'google')
  const microsoft = ownerHands(server.emulators, 'microsoft')
  google.createEvent(`${day}T12:00:00Z`, `${day}T13:00:00Z`)
  microsoft.createEvent(`${day}T12:00:00Z`, `${day}T13:00:00Z`)
  await until(
    'notifications answered',
    async () =>
      server.emulators.google.channels
        .deliveries()
        .some((d) => d.state === 'exists' && d.result?.status === 200) &&
      server.emulators.microsoft.notifications().some((n) => n.kind === 'change' && n.status === 202),
    30_000,
  )
  steps.push('push channels on both calendars; an event added in each; the notifications answered')

  // A notification with the real channel token but a wrong resource id: rejected, and logged, without the token.
  const watch = proxies.google.exchanges.find((e) => e.path.includes('/events/watch'))
  const channel = JSON.parse(watch?.requestBody ?? '{}')
  const rejected = await server.request('POST', '/webhooks/google', {
    headers: {
      'x-goog-channel-id': channel.id,
      'x-goog-channel-token': channel.token,
      'x-goog-resource-id': 'not-the-resource',
      'x-goog-resource-state': 'exists',
    },
  })
  expect(rejected.status).toBe(403)
  const subscription = server.emulators.microsoft.listSubscriptions()[0]!
  const wrongState = await server.request('POST', '/webhooks/microsoft', {
    json: { value: [{ subscriptionId: 'not-the-subscription', clientState: subscription.clientState }] },
  })
  expect(wrongState.status).toBe(403)
  steps.push(
    'a notification with the real channel token and a wrong resource, one with the real clientState: 403',
  )

  // Access tokens expired at the providers: the next sync refreshes them (Microsoft also rotates the refresh token).
  const refreshesBefore = refreshCount()
  server.emulators.google.oauth.expireAccessTokens()
  server.emulators.microsoft.expireAccessTokens()
  for (const [account, id] of [
    [a, connA],
    [b, connB],
  ] as const) {
    const synced = await account.post(`/v1/connections/${id}/sync`)
    if (synced.status !== 200) await new Promise((r) => setTimeout(r, 500)) // the log line may come later
    expect(synced.status, `${synced.text}\n${serverErrors()}`).toBe(200)
  }
  expect(refreshCount()).toBeGreaterThanOrEqual(refreshesBefore + 2)
  steps.push(`access tokens expired and refreshed (${refreshCount()} refresh grants in all)`)

  // A's webhook secret rotated (through an Idempotency-Key), then an event signed with the new one.
  const rotated = await a.request('POST', `/v1/webhook-endpoints/${ofA.ids.webhookEndpoint}/rotate-secret`, {
    headers: { 'idempotency-key': 'secrets-rotate-1' },
  })
  expect(rotated.status).toBe(200)
  const extraEndpoint = await b.request('POST', '/v1/webhook-endpoints', {
    json: { url: `${receiver.url}/b2`, events: ['booking.cancelled'] },
    headers: { 'idempotency-key': 'secrets-endpoint-1' },
  })
  expect(extraEndpoint.status).toBe(201)
  for (const s of [ofA.webhookSecret, ofB.webhookSecret, rotated.body.secret, extraEndpoint.body.secret])
    keep('webhook secret', s)
  expect((await a.post(`/v1/bookings/${ofA.ids.booking}/cancel`, { reason: 'rotated' })).status).toBe(200)
  const cancelled = await until(
    'the cancellation delivered',
    async () =>
      receiver.received.find((r) => r.body.includes('booking.cancelled') && r.body.includes(ofA.ids.booking)),
    30_000,
  )
  // The collected secret is the real one: the delivery verifies with it (and the old one no longer does).
  new Webhook(rotated.body.secret).verify(cancelled.body, cancelled.headers as Record<string, string>)
  expect(() =>
    new Webhook(ofA.webhookSecret).verify(cancelled.body, cancelled.headers as Record<string, string>),
  ).toThrow()
  steps.push(
    'webhook deliveries to both accounts; A’s secret rotated and the next event verified with the new one',
  )

  // The contact's side: link and manage pages and the public API, a reschedule written to the calendar.
  for (const token of [ofA.linkToken, ofB.linkToken]) keep('booking-link token', token)
  for (const token of [ofA.manageToken, ofB.manageToken]) keep('manage token', token)
  expect((await server.request('GET', `/b/${ofA.linkToken}`)).status).toBe(200)
  expect((await server.request('GET', `/m/${ofB.manageToken}`)).status).toBe(200)
  expect((await server.request('GET', `/public/v1/manage/${ofB.manageToken}/booking.ics`)).status).toBe(200)
  const moved = await server.request('POST', `/public/v1/manage/${ofB.manageToken}/reschedule`, {
    json: { start: ofB.slotStarts[6] },
  })
  expect(moved.status).toBe(200)
  steps.push(
    'booking and manage pages opened, the .ics fetched, a booking rescheduled through its manage link',
  )

  // Every calendar write done, so the tokens used for them are in the record.
  await until(
    'calendar writes synced',
    async () => {
      const both = [
        ...(await a.get('/v1/bookings')).body.data,
        ...(await b.get('/v1/bookings')).body.data,
      ] as { sync: { state: string }[] }[]
      return both.every((bk) => bk.sync.every((s) => s.state !== 'pending'))
    },
    60_000,
  )
  steps.push('every booking written to its calendar')
  return steps
}

/** The server's error log lines, to explain an unexpected answer. */
function serverErrors(): string {
  return server.child
    .output()
    .split('\n')
    .filter((line) => /"level":50/.test(line))
    .join('\n')
}

function refreshCount(): number {
  return [...proxies.google.exchanges, ...proxies.microsoft.exchanges].filter((e) =>
    e.requestBody.includes('grant_type=refresh_token'),
  ).length
}

/** The OAuth codes and tokens and the channel secrets that went over the wire, and the emulators' own record. */
function collectProviderSecrets() {
  for (const e of [...proxies.google.exchanges, ...proxies.microsoft.exchanges]) {
    const code = e.responseHeaders.location
      ? new URL(e.responseHeaders.location).searchParams.get('code')
      : null
    keep('OAuth authorization code', code)
    const bearer = /^Bearer\s+(\S+)/i.exec(String(e.requestHeaders.authorization ?? ''))?.[1]
    keep('OAuth access token', bearer)
    if (/token/.test(e.path) && e.responseBody.startsWith('{')) {
      const answer = JSON.parse(e.responseBody)
      keep('OAuth access token', answer.access_token)
      keep('OAuth refresh token', answer.refresh_token)
      keep('OAuth id token', answer.id_token)
    }
    const form = new URLSearchParams(e.requestBody)
    keep('OAuth refresh token', form.get('refresh_token'))
    keep('OAuth authorization code', form.get('code'))
    keep('OAuth client secret', form.get('client_secret'))
    if (e.path.includes('/events/watch')) keep('Google channel token', JSON.parse(e.requestBody).token)
    if (e.path.includes('/subscriptions') && e.method === 'POST')
      keep('Microsoft clientState', JSON.parse(e.requestBody).clientState)
  }
  for (const s of server.emulators.microsoft.listSubscriptions()) keep('Microsoft clientState', s.clientState)
  keep('ADMIN_TOKEN', server.adminToken)
}

/** The forms a secret could be stored or logged in. */
function formsOf(kind: string, secret: string): string[] {
  const raw = Buffer.from(secret, 'utf8')
  const out = [secret, raw.toString('base64'), raw.toString('base64url'), raw.toString('hex')]
  if (kind === 'webhook secret') {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
    out.push(secret.replace(/^whsec_/, ''), key.toString('hex'), key.toString('base64url'))
  }
  // Shorter forms would match by chance in megabytes of text.
  return [...new Set(out)].filter((f) => f.length >= 16)
}

describe('secrets after a full run', () => {
  it('appear nowhere in the database or the logs, in clear or encoded', async () => {
    const started = Date.now()
    const steps = await fullRun()
    collectProviderSecrets()
    keep('ENCRYPTION_KEY', server.encryptionKey.toString('hex'))
    keep('ENCRYPTION_KEY', server.encryptionKey.toString('base64'))

    // What the process wrote: JSON log lines, and the first-start banner that shows the first account's key once
    // on the operator's terminal (by design; README "The two commands"), which is kept apart.
    expect(await server.terminate()).toBe(0)
    const output = server.child.output()
    const banner = output.split('\n').filter((line) => !line.startsWith('{'))
    const logs = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .join('\n')
    keep('API key', /API key:\s+(\S+)/.exec(banner.join('\n'))?.[1])
    const levels = new Set(logs.split('\n').map((line) => /"level":(\d+)/.exec(line)?.[1]))

    const { stdout: dump } = await run('pg_dump', ['--data-only', '--no-owner', server.database.url!], {
      maxBuffer: 512 * 1024 * 1024,
    })

    const found: string[] = []
    const counts: string[] = []
    for (const [kind, values] of secrets) {
      counts.push(`${kind} ${values.size}`)
      for (const value of values) {
        for (const form of formsOf(kind, value)) {
          if (dump.includes(form))
            found.push(`${kind} in the database (${form === value ? 'clear' : 'encoded'})`)
          if (logs.includes(form)) found.push(`${kind} in the logs (${form === value ? 'clear' : 'encoded'})`)
          if (kind !== 'API key' && banner.join('\n').includes(form)) found.push(`${kind} in the banner`)
        }
      }
    }
    const total = [...secrets.values()].reduce((n, s) => n + s.size, 0)
    console.log(
      `secrets (${((Date.now() - started) / 1000).toFixed(1)} s): ${steps.join('; ')}.\n` +
        `  ${total} secrets checked: ${counts.join(', ')}\n` +
        `  scanned: database dump ${(dump.length / 1024).toFixed(0)} KiB (${dump.split('\n').length} lines, ` +
        `pg_dump --data-only of every table, pg-boss's included), logs ${(logs.length / 1024).toFixed(0)} KiB ` +
        `(${logs.split('\n').length} JSON lines at levels ${[...levels].sort().join(', ')}); the first-start banner ` +
        `(${banner.filter((l) => l.trim()).length} lines) shows the first account's key once, by design\n` +
        `  found: ${found.length === 0 ? 'none' : [...new Set(found)].join('; ')}`,
    )
    expect([...new Set(found)]).toEqual([])
    // The search is not blind: what is stored in clear on purpose is found where it should be.
    expect(dump).toContain('SecretA client')
    expect(dump).toContain(ofB.ids.booking)
    expect(logs).toContain(ofA.ids.connection)
    // The run did what it says: every kind of secret was there to be looked for, and the logs were verbose.
    for (const kind of [
      'API key',
      'OAuth access token',
      'OAuth refresh token',
      'OAuth authorization code',
      'Google channel token',
      'Microsoft clientState',
      'webhook secret',
      'booking-link token',
      'manage token',
      'ADMIN_TOKEN',
      'ENCRYPTION_KEY',
    ])
      expect(secrets.get(kind)?.size ?? 0, kind).toBeGreaterThan(0)
    // Requests that carried secrets were logged (every request is, at info and below), with the secrets redacted.
    for (const logged of [
      '/b/[redacted]',
      '/m/[redacted]',
      '/public/v1/manage/[redacted]/',
      '/oauth/google/callback?',
    ])
      expect(logs, logged).toContain(logged)
  })
})

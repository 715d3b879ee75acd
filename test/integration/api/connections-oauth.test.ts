// The OAuth edges of connections: signed state, declined consent, bad codes, tokens at rest, tenancy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decryptSecret } from '../../../src/sync/crypto.js'
import type { AccountClient, TestApp } from '../../helpers/app.js'
import {
  connectThroughOAuth,
  createPeople,
  createTestApp,
  type Emulators,
  followConsent,
  GOOGLE_USER,
  type People,
  startEmulators,
  tunedProviders,
} from '../sync/harness.js'

let em: Emulators
let t: TestApp
let account: AccountClient
let people: People

beforeAll(async () => {
  em = await startEmulators()
  t = await createTestApp({ config: em.config, overrides: { providers: tunedProviders(em.config) } })
  account = await t.createAccount()
  people = await createPeople(account)
})
afterAll(async () => {
  await t?.close()
  await em?.close()
})

async function authorizationUrl(provider = 'google', ownerPath = `/v1/clients/${people.clientId}`) {
  const res = await account.post(`${ownerPath}/connections`, { provider })
  expect(res.status).toBe(201)
  return new URL(res.body.authorizationUrl)
}

async function callback(path: string) {
  return t.app.inject({ method: 'GET', url: path })
}

describe('starting a connection', () => {
  it('asks Google for offline access, consent and calendar scopes, with a signed state and our callback', async () => {
    const url = await authorizationUrl('google')
    expect(url.origin + url.pathname).toBe(em.config.google!.authUrl)
    expect(url.searchParams.get('access_type')).toBe('offline')
    expect(url.searchParams.get('prompt')).toBe('consent')
    expect(url.searchParams.get('scope')).toContain('https://www.googleapis.com/auth/calendar')
    expect(url.searchParams.get('redirect_uri')).toBe('http://localhost:3000/oauth/google/callback')
    expect(url.searchParams.get('client_id')).toBe('sandbox-client-id.apps.googleusercontent.com')
    expect(url.searchParams.get('state')).toMatch(/^[\w-]+\.[\w-]+$/)
  })

  it('asks Microsoft for offline_access and Calendars.ReadWrite', async () => {
    const url = await authorizationUrl('microsoft', `/v1/assistants/${people.assistantId}`)
    expect(url.href.startsWith(`${em.config.microsoft!.authBaseUrl}/oauth2/v2.0/authorize`)).toBe(true)
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining(['offline_access', 'Calendars.ReadWrite']),
    )
    expect(url.searchParams.get('redirect_uri')).toBe('http://localhost:3000/oauth/microsoft/callback')
  })

  it('refuses an unknown provider, and another account’s client is a 404', async () => {
    const bad = await account.post(`/v1/clients/${people.clientId}/connections`, { provider: 'yahoo' })
    expect(bad.status).toBe(400)
    const other = await t.createAccount('Other')
    const res = await other.post(`/v1/clients/${people.clientId}/connections`, { provider: 'google' })
    expect(res.status).toBe(404)
  })
})

describe('the callback', () => {
  it('stores the tokens encrypted: no token appears in the database or in any response', async () => {
    const done = await connectThroughOAuth(t, account, `/v1/assistants/${people.assistantId}`, 'google')
    expect(done.callbackStatus).toBe(200)
    const grant = em.google.oauth.grants().find((g) => g.userEmail === GOOGLE_USER)
    expect(grant).toBeDefined()
    const row = await t.database.db
      .selectFrom('connections')
      .selectAll()
      .where('id', '=', done.connectionId)
      .executeTakeFirstOrThrow()
    expect(row.access_token_enc).toMatch(/^v1\./)
    expect(row.refresh_token_enc).toMatch(/^v1\./)
    expect(row.provider_account_email).toBe(GOOGLE_USER)
    const accessToken = decryptSecret(em.config.encryptionKey!, row.access_token_enc!)
    const refreshToken = decryptSecret(em.config.encryptionKey!, row.refresh_token_enc!)
    expect(accessToken).toMatch(/^ya29\./)
    expect(refreshToken.length).toBeGreaterThan(10)
    const dump = JSON.stringify(await t.database.db.selectFrom('connections').selectAll().execute())
    expect(dump).not.toContain(accessToken)
    expect(dump).not.toContain(refreshToken)
    const cursors = await t.database.db.selectFrom('connection_calendars').select('sync_cursor_enc').execute()
    for (const c of cursors) if (c.sync_cursor_enc) expect(c.sync_cursor_enc).toMatch(/^v1\./)
    const api = await account.get(`/v1/connections/${done.connectionId}`)
    for (const text of [
      api.text,
      (await account.get(`/v1/connections/${done.connectionId}/calendars`)).text,
    ]) {
      expect(text).not.toContain(accessToken)
      expect(text).not.toContain(refreshToken)
      expect(text).not.toMatch(/_enc|token/i)
    }
    // Same ciphertext twice would betray equal tokens: every value has its own IV.
    expect(row.access_token_enc).not.toBe(row.refresh_token_enc)
  })

  it('rejects a tampered state', async () => {
    const url = await authorizationUrl()
    const state = url.searchParams.get('state')!
    const [body, sig] = state.split('.')
    const payload = JSON.parse(Buffer.from(body!, 'base64url').toString())
    const forged = `${Buffer.from(JSON.stringify({ ...payload, a: '00000000-0000-7000-8000-000000000000' })).toString('base64url')}.${sig}`
    for (const s of [forged, `${body}.AAAA`, 'garbage', '']) {
      const res = await callback(`/oauth/google/callback?code=abc&state=${encodeURIComponent(s)}`)
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toMatch(/text\/html/)
      expect(res.body).toContain('invalid_state')
    }
    const none = await callback('/oauth/google/callback?code=abc')
    expect(none.statusCode).toBe(400)
  })

  it('rejects a state given to the other provider’s callback', async () => {
    const url = await authorizationUrl('microsoft')
    const res = await callback(`/oauth/google/callback?code=abc&state=${url.searchParams.get('state')}`)
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('invalid_state')
  })

  it('rejects a state older than 10 minutes', async () => {
    const url = await authorizationUrl()
    t.clock.advance(10 * 60_000 + 1000)
    try {
      const res = await followConsent(t, url.href)
      expect(res.status).toBe(400)
      expect(res.text).toContain('expired_state')
    } finally {
      t.clock.advance(-(10 * 60_000 + 1000))
    }
  })

  it('explains a declined consent and connects nothing', async () => {
    em.google.oauth.setConsent('deny')
    try {
      const before = (await account.get(`/v1/clients/${people.clientId}/connections`)).body.data.length
      const res = await followConsent(t, (await authorizationUrl()).href)
      expect(res.status).toBe(400)
      expect(res.text).toContain('access_denied')
      expect((await account.get(`/v1/clients/${people.clientId}/connections`)).body.data.length).toBe(before)
    } finally {
      em.google.oauth.setConsent('allow', GOOGLE_USER)
    }
  })

  it('an invalid or reused code is a clear page, not a 5xx', async () => {
    const url = await authorizationUrl('microsoft')
    const res = await callback(
      `/oauth/microsoft/callback?code=not-a-code&state=${encodeURIComponent(url.searchParams.get('state')!)}`,
    )
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('exchange_failed')
    // A real code used twice: the second exchange fails the same way.
    const first = await followConsent(t, (await authorizationUrl('google')).href)
    expect(first.status).toBe(200)
    const again = await callback(`${first.redirect.pathname}${first.redirect.search}`)
    expect(again.statusCode).toBe(400)
    expect(again.body).toContain('exchange_failed')
  })
})

describe('tenancy', () => {
  it('another account sees none of the connection routes of this account', async () => {
    const done = await connectThroughOAuth(t, account, `/v1/clients/${people.clientId}`, 'microsoft')
    const other = await t.createAccount('Nosy')
    const id = done.connectionId
    expect((await other.get(`/v1/connections/${id}`)).status).toBe(404)
    expect((await other.get(`/v1/connections/${id}/calendars`)).status).toBe(404)
    expect((await other.patch(`/v1/connections/${id}`, { busyCalendarIds: [] })).status).toBe(404)
    expect((await other.post(`/v1/connections/${id}/sync`)).status).toBe(404)
    expect((await other.delete(`/v1/connections/${id}`)).status).toBe(404)
    expect((await other.get(`/v1/clients/${people.clientId}/connections`)).status).toBe(404)
    expect((await account.get(`/v1/connections/${id}`)).body.status).toBe('active')
  })
})

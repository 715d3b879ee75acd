// Contract: the Google OAuth emulator through google-auth-library (authorize, code exchange, refresh, revoke, 401s).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { GoogleEmulator } from '../../../src/sandbox/google/index.js'
import {
  ALICE,
  CALENDAR_SCOPE,
  calendarFor,
  failure,
  oauthClient,
  REDIRECT_URI,
  signedIn,
  startGoogle,
} from './google-harness.js'

let g: GoogleEmulator

beforeAll(async () => {
  g = await startGoogle({ seed: true })
})
afterAll(async () => {
  await g.close()
})
beforeEach(() => {
  g.oauth.setConsent('allow')
  g.oauth.setAccessTokenTtl(3600)
  g.faults.clear()
  g.requests.clear()
})

async function authorize(url: string): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' })
  expect(res.status).toBe(302)
  return new URL(res.headers.get('location') ?? '')
}

describe('Google OAuth emulator', () => {
  it('completes the authorization-code round trip and the tokens work with the Calendar client', async () => {
    const client = oauthClient(g)
    const url = client.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: [CALENDAR_SCOPE, 'openid', 'email'],
      state: 'state-123',
      login_hint: 'bob@sandbox.test',
    })
    expect(url.startsWith(g.endpoints().authUrl)).toBe(true)
    const back = await authorize(url)
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI)
    expect(back.searchParams.get('state')).toBe('state-123')
    const code = back.searchParams.get('code')
    expect(code).toBeTruthy()

    const { tokens } = await client.getToken(code as string)
    expect(tokens.access_token).toMatch(/^ya29\./)
    expect(tokens.refresh_token).toBeTruthy()
    expect(tokens.token_type).toBe('Bearer')
    expect(tokens.expiry_date).toBeGreaterThan(Date.now() + 3500_000)
    expect(tokens.id_token).toBeTruthy()
    client.setCredentials(tokens)

    const list = await calendarFor(g, client).calendarList.list()
    const primary = list.data.items?.find((c) => c.primary)
    expect(primary?.id).toBe('bob@sandbox.test')

    // A code is single-use.
    const again = await failure(client.getToken(code as string))
    expect(again.status).toBe(400)
    expect(again.data).toEqual({ error: 'invalid_grant', error_description: 'Malformed auth code.' })
  })

  it('shows a consent page by default and redirects with access_denied when the user refuses', async () => {
    g.oauth.setConsent('page')
    const client = oauthClient(g)
    const url = client.generateAuthUrl({ access_type: 'offline', scope: [CALENDAR_SCOPE], state: 's1' })
    const page = await fetch(url)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('name="decision" value="allow"')

    const params = Object.fromEntries(new URL(url).searchParams)
    const denied = await fetch(`${g.baseUrl}/o/oauth2/v2/auth/consent`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...params, user: ALICE, decision: 'deny' }),
      redirect: 'manual',
    })
    const loc = new URL(denied.headers.get('location') ?? '')
    expect(loc.searchParams.get('error')).toBe('access_denied')
    expect(loc.searchParams.get('state')).toBe('s1')

    g.oauth.setConsent('deny')
    const refused = await authorize(client.generateAuthUrl({ scope: [CALENDAR_SCOPE], state: 's2' }))
    expect(refused.searchParams.get('error')).toBe('access_denied')
    expect(refused.searchParams.get('code')).toBeNull()

    // `auto=1` consents whatever the setting, for scripted sign-ins.
    const auto = await authorize(`${client.generateAuthUrl({ scope: [CALENDAR_SCOPE] })}&auto=1`)
    expect(auto.searchParams.get('code')).toBeTruthy()
  })

  it('checks the client secret and the redirect URI on the code exchange', async () => {
    const client = oauthClient(g)
    const back = await authorize(client.generateAuthUrl({ access_type: 'offline', scope: [CALENDAR_SCOPE] }))
    const code = back.searchParams.get('code') as string

    const badSecret = await fetch(g.endpoints().tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        code,
        client_id: 'sandbox-client-id.apps.googleusercontent.com',
        client_secret: 'wrong',
        redirect_uri: REDIRECT_URI,
        grant_type: 'authorization_code',
      }),
    })
    expect(badSecret.status).toBe(401)
    expect(((await badSecret.json()) as { error: string }).error).toBe('invalid_client')

    const mismatch = await failure(client.getToken({ code, redirect_uri: 'http://127.0.0.1:9/elsewhere' }))
    expect(mismatch.status).toBe(400)
    expect(mismatch.oauth.error).toBe('redirect_uri_mismatch')
  })

  it('refreshes an expired access token automatically; the refresh answer carries no new refresh token', async () => {
    const { auth, cal } = signedIn(g, ALICE)
    const refreshToken = auth.credentials.refresh_token
    const seen: Array<Record<string, unknown>> = []
    auth.on('tokens', (t) => seen.push({ ...t }))
    // The library refreshes before a call once expiry_date has passed (providers.md §0.10).
    auth.setCredentials({ ...auth.credentials, expiry_date: Date.now() - 1000 })

    const res = await cal.events.list({ calendarId: 'primary', maxResults: 1 })
    expect(res.status).toBe(200)
    const refreshes = g.requests.list({ route: 'token' })
    expect(refreshes).toHaveLength(1)
    expect(seen).toHaveLength(1)
    expect(seen[0]?.['refresh_token']).toBeUndefined()
    expect(auth.credentials.refresh_token).toBe(refreshToken)
  })

  it('answers 401 authError for an expired access token, and the client refreshes and retries once', async () => {
    // Above the library's 5-minute eager-refresh threshold, or it would refresh before every call.
    g.oauth.setAccessTokenTtl(600)
    const { auth, cal } = signedIn(g, ALICE)
    // Without a known expiry the library learns of it from the 401 (providers.md §0.10).
    auth.setCredentials({
      access_token: auth.credentials.access_token,
      refresh_token: auth.credentials.refresh_token,
    })
    g.advanceClock(601_000)

    const raw = await fetch(`${g.baseUrl}/calendar/v3/users/me/calendarList`, {
      headers: { authorization: `Bearer ${auth.credentials.access_token}` },
    })
    expect(raw.status).toBe(401)
    expect(await raw.json()).toMatchObject({
      error: {
        code: 401,
        message: 'Invalid Credentials',
        errors: [
          { domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' },
        ],
      },
    })

    g.requests.clear()
    const res = await cal.calendarList.list()
    expect(res.status).toBe(200)
    expect(g.requests.list().map((r) => `${r.route} ${r.status}`)).toEqual([
      'calendarList.list 401',
      'token 200',
      'calendarList.list 200',
    ])
  })

  it('answers invalid_grant with Google body after the grant is revoked', async () => {
    const { auth, cal } = signedIn(g, ALICE)
    const refreshToken = auth.credentials.refresh_token as string
    await auth.revokeToken(refreshToken)
    expect(g.requests.list({ route: 'revoke' })[0]?.status).toBe(200)

    const refused = await failure(auth.refreshAccessToken())
    expect(refused.status).toBe(400)
    expect(refused.data).toEqual({
      error: 'invalid_grant',
      error_description: 'Token has been expired or revoked.',
    })

    // The access token of a revoked grant stops working too.
    const call = await failure(cal.events.list({ calendarId: 'primary' }))
    expect(call.status).toBe(401)
  })

  it('revokes a grant on the owner side (admin), as a user removing the app from their account', async () => {
    const { auth } = signedIn(g, 'bob@sandbox.test')
    const res = await fetch(`${g.baseUrl}/__admin/oauth/grants/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bob@sandbox.test' }),
    })
    expect(((await res.json()) as { revoked: number }).revoked).toBeGreaterThanOrEqual(1)
    const refused = await failure(auth.refreshAccessToken())
    expect(refused.oauth.error).toBe('invalid_grant')
  })
})

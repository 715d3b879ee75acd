// Contract: the identity platform v2.0 emulator through a plain browser redirect + fetch, then the Graph SDK.
import { GraphError } from '@microsoft/microsoft-graph-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './microsoft-harness.js'

const CLIENT_ID = 'officehours-app'
const SECRET = 's3cret'
const REDIRECT = 'http://127.0.0.1:9/oauth/microsoft/callback'
const SCOPE =
  'offline_access openid https://graph.microsoft.com/Calendars.ReadWrite https://graph.microsoft.com/User.Read'

let h: Harness

beforeAll(async () => {
  h = await startHarness({
    clients: [{ clientId: CLIENT_ID, clientSecret: SECRET, redirectUris: [REDIRECT] }],
  })
})
afterAll(() => h.close())
beforeEach(() => h.reset())

function authorizeUrl(extra: Record<string, string> = {}) {
  const q = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT,
    response_mode: 'query',
    scope: SCOPE,
    state: 'st-42',
    ...extra,
  })
  return `${h.authBase}/oauth2/v2.0/authorize?${q}`
}

async function authorize(extra: Record<string, string> = {}): Promise<URL> {
  const res = await fetch(authorizeUrl(extra), { redirect: 'manual' })
  expect(res.status).toBe(302)
  return new URL(res.headers.get('location') ?? '')
}

async function token(form: Record<string, string>) {
  const res = await fetch(`${h.authBase}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: SECRET, scope: SCOPE, ...form }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

async function codeFlow() {
  const back = await authorize()
  const code = back.searchParams.get('code') ?? ''
  return token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })
}

describe('Microsoft identity platform emulator', () => {
  it('consents, redirects with a code and state, and exchanges it for tokens the Graph SDK can use', async () => {
    const back = await authorize()
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT)
    expect(back.searchParams.get('state')).toBe('st-42')
    const { status, body } = await token({
      grant_type: 'authorization_code',
      code: back.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
    })
    expect(status).toBe(200)
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 })
    expect(body.scope).toContain('https://graph.microsoft.com/Calendars.ReadWrite')
    expect(typeof body.refresh_token).toBe('string')
    expect(typeof body.id_token).toBe('string')
    const me = await h
      .clientFor(async () => String(body.access_token))
      .api('/me')
      .get()
    expect(me.mail).toBe(h.em.defaultUser.mail)
  })

  it('rotates refresh tokens on every refresh', async () => {
    const first = (await codeFlow()).body
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: String(first.refresh_token) })
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.refresh_token).toEqual(expect.any(String))
    expect(refreshed.body.refresh_token).not.toBe(first.refresh_token)
    expect(refreshed.body.access_token).not.toBe(first.access_token)
    const again = await token({
      grant_type: 'refresh_token',
      refresh_token: String(refreshed.body.refresh_token),
    })
    expect(again.status).toBe(200)
  })

  it('answers invalid_grant AADSTS50173 once the grant is revoked', async () => {
    const first = (await codeFlow()).body
    expect(h.em.revokeGrant({ clientId: CLIENT_ID })).toBe(1)
    const res = await token({ grant_type: 'refresh_token', refresh_token: String(first.refresh_token) })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ error: 'invalid_grant', error_codes: [50173] })
    expect(String(res.body.error_description)).toMatch(/^AADSTS50173: /)
    expect(res.body).toHaveProperty('trace_id')
    expect(res.body).toHaveProperty('correlation_id')
  })

  it('answers AADSTS700082 for an expired refresh token and refuses a redeemed code', async () => {
    const back = await authorize()
    const code = back.searchParams.get('code') ?? ''
    const first = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })
    const replay = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })
    expect(replay.body).toMatchObject({ error: 'invalid_grant', error_codes: [54005] })
    h.em.expireRefreshTokens()
    const res = await token({ grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token) })
    expect(res.body).toMatchObject({ error: 'invalid_grant', error_codes: [700082] })
  })

  it('checks the redirect_uri and the client secret at the token endpoint', async () => {
    const back = await authorize()
    const code = back.searchParams.get('code') ?? ''
    const wrongRedirect = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://evil.test/cb',
    })
    expect(wrongRedirect.body).toMatchObject({ error: 'invalid_grant' })
    const wrongSecret = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_secret: 'nope',
    })
    expect(wrongSecret.status).toBe(401)
    expect(wrongSecret.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] })
  })

  it('redirects with error=access_denied when the user refuses consent', async () => {
    h.em.refuseNextAuthorization()
    const back = await authorize()
    expect(back.searchParams.get('error')).toBe('access_denied')
    expect(back.searchParams.get('state')).toBe('st-42')
    expect(back.searchParams.get('code')).toBeNull()
    const next = await authorize()
    expect(next.searchParams.get('code')).toBeTruthy()
  })

  it('shows a consent page in page mode and honours its buttons', async () => {
    h.em.setConsentMode('page')
    const page = await fetch(authorizeUrl())
    expect(page.status).toBe(200)
    const html = await page.text()
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1] ?? ''
    const res = await fetch(`${h.authBase}/oauth2/v2.0/authorize/consent`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request, decision: 'accept' }),
      redirect: 'manual',
    })
    expect(res.status).toBe(302)
    expect(new URL(res.headers.get('location') ?? '').searchParams.get('code')).toBeTruthy()
  })

  it('turns an expired access token into 401 InvalidAuthenticationToken through the SDK', async () => {
    const { body } = await codeFlow()
    const client = h.clientFor(async () => String(body.access_token))
    await client.api('/me/calendars').get()
    h.em.expireAccessTokens()
    const err = await client
      .api('/me/calendars')
      .get()
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GraphError)
    expect(err).toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationToken' })
    expect((err as GraphError).requestId).toEqual(expect.any(String))
  })
})

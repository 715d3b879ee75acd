// Google OAuth 2.0 state and rules: clients, the consent decision, authorization codes, grants, access tokens.
import { createHash } from 'node:crypto'
import { randomToken } from '../shared/ids.js'
import { errors, OAuthError } from './errors.js'
import type { CalendarStore } from './store.js'

export interface OAuthClientRecord {
  clientId: string
  clientSecret: string
  /** Allowed redirect URIs; any is accepted when empty (the sandbox is for local use). */
  redirectUris: string[]
}

export type ConsentMode = 'allow' | 'deny' | 'page'

export interface Grant {
  id: string
  userEmail: string
  clientId: string
  scopes: string[]
  refreshTokens: string[]
  revoked: boolean
  createdAt: number
}

interface AuthCode {
  clientId: string
  redirectUri: string
  userEmail: string
  scopes: string[]
  offline: boolean
  forceConsent: boolean
  codeChallenge?: string
  codeChallengeMethod?: string
  expiresAt: number
}

interface AccessTokenRecord {
  grantId: string
  userEmail: string
  clientId: string
  scopes: string[]
  expiresAt: number
}

export interface AuthContext {
  userEmail: string
  clientId: string
  scopes: string[]
}

export interface TokenResponse {
  access_token: string
  expires_in: number
  scope: string
  token_type: 'Bearer'
  refresh_token?: string
  id_token?: string
}

export type AuthorizeOutcome =
  | { kind: 'redirect'; location: string }
  | { kind: 'page'; params: Record<string, string>; users: string[]; selectedUser: string; clientId: string }
  | { kind: 'error'; status: number; error: string; description: string }

export const DEFAULT_CLIENT = {
  clientId: 'sandbox-client-id.apps.googleusercontent.com',
  clientSecret: 'sandbox-client-secret',
} as const

const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar'
const WRITE_SCOPES = [
  CALENDAR_SCOPE,
  `${CALENDAR_SCOPE}.events`,
  `${CALENDAR_SCOPE}.events.owned`,
  `${CALENDAR_SCOPE}.app.created`,
]

export interface OAuthOptions {
  now: () => number
  store: CalendarStore
  accessTokenTtlSeconds?: number
  consent?: ConsentMode
}

function redirectWith(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri)
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v)
  return url.toString()
}

function subOf(email: string): string {
  return BigInt(`0x${createHash('sha256').update(email).digest('hex').slice(0, 16)}`)
    .toString()
    .padStart(21, '1')
}

export function createOAuth(opts: OAuthOptions) {
  const { now, store } = opts
  const clients = new Map<string, OAuthClientRecord>()
  const codes = new Map<string, AuthCode>()
  const grants = new Map<string, Grant>()
  const refreshTokens = new Map<string, string>()
  const accessTokens = new Map<string, AccessTokenRecord>()
  let ttlSeconds = opts.accessTokenTtlSeconds ?? 3600
  let consent: ConsentMode = opts.consent ?? 'page'
  let consentUser: string | undefined

  function registerClient(input: {
    clientId: string
    clientSecret: string
    redirectUris?: string[]
  }): OAuthClientRecord {
    const c = {
      clientId: input.clientId,
      clientSecret: input.clientSecret,
      redirectUris: input.redirectUris ?? [],
    }
    clients.set(c.clientId, c)
    return c
  }

  function pickUser(loginHint: string | undefined): string {
    if (loginHint?.includes('@')) return store.addUser({ email: loginHint }).email
    if (consentUser && store.users.has(consentUser)) return consentUser
    const first = store.users.keys().next()
    if (!first.done) return first.value
    return store.addUser({ email: 'user@sandbox.test' }).email
  }

  function issueCode(p: Record<string, string>, userEmail: string): string {
    const code = randomToken('4/0sandbox', 24)
    codes.set(code, {
      clientId: p['client_id'] ?? '',
      redirectUri: p['redirect_uri'] ?? '',
      userEmail,
      scopes: (p['scope'] ?? '').split(/[\s+]+/).filter(Boolean),
      offline: p['access_type'] === 'offline',
      forceConsent: (p['prompt'] ?? '').split(' ').includes('consent'),
      ...(p['code_challenge'] ? { codeChallenge: p['code_challenge'] } : {}),
      ...(p['code_challenge_method'] ? { codeChallengeMethod: p['code_challenge_method'] } : {}),
      expiresAt: now() + 10 * 60_000,
    })
    return code
  }

  /** Decides what GET /o/oauth2/v2/auth does: error page, consent page, or a redirect back with a code or an error. */
  function authorize(p: Record<string, string>): AuthorizeOutcome {
    const client = clients.get(p['client_id'] ?? '')
    if (!client)
      return {
        kind: 'error',
        status: 401,
        error: 'invalid_client',
        description: 'The OAuth client was not found.',
      }
    const redirectUri = p['redirect_uri']
    let valid = false
    try {
      valid = redirectUri !== undefined && /^https?:$/.test(new URL(redirectUri).protocol)
    } catch {
      valid = false
    }
    if (!valid || (client.redirectUris.length > 0 && !client.redirectUris.includes(redirectUri ?? ''))) {
      return {
        kind: 'error',
        status: 400,
        error: 'redirect_uri_mismatch',
        description: `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. redirect_uri=${redirectUri ?? ''}`,
      }
    }
    const uri = redirectUri as string
    if (p['response_type'] !== 'code') {
      return {
        kind: 'redirect',
        location: redirectWith(uri, { error: 'unsupported_response_type', state: p['state'] }),
      }
    }
    if (!p['scope']) {
      return {
        kind: 'error',
        status: 400,
        error: 'invalid_request',
        description: 'Missing required parameter: scope',
      }
    }
    const auto = p['auto']
    const mode: ConsentMode = auto === '1' || auto === 'allow' ? 'allow' : auto === 'deny' ? 'deny' : consent
    const userEmail = pickUser(p['login_hint'])
    if (mode === 'page') {
      return {
        kind: 'page',
        params: p,
        users: [...store.users.keys()],
        selectedUser: userEmail,
        clientId: client.clientId,
      }
    }
    return decide(p, mode === 'allow', userEmail)
  }

  /** The user's answer on the consent page (or the automatic one). */
  function decide(p: Record<string, string>, allow: boolean, userEmail: string): AuthorizeOutcome {
    const uri = p['redirect_uri'] ?? ''
    if (!allow)
      return { kind: 'redirect', location: redirectWith(uri, { error: 'access_denied', state: p['state'] }) }
    const email = userEmail.includes('@') ? store.addUser({ email: userEmail }).email : pickUser(undefined)
    const code = issueCode(p, email)
    return { kind: 'redirect', location: redirectWith(uri, { state: p['state'], code, scope: p['scope'] }) }
  }

  function authenticateClient(p: Record<string, string>, basic: string | undefined): OAuthClientRecord {
    let id = p['client_id']
    let secret = p['client_secret']
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon > 0) {
        id = decodeURIComponent(decoded.slice(0, colon))
        secret = decodeURIComponent(decoded.slice(colon + 1))
      }
    }
    const client = clients.get(id ?? '')
    if (!client) throw new OAuthError(401, 'invalid_client', 'The OAuth client was not found.')
    if (client.clientSecret !== secret) throw new OAuthError(401, 'invalid_client', 'Unauthorized')
    return client
  }

  function mintAccessToken(grant: Grant): { token: string; expiresIn: number } {
    const token = randomToken('ya29.sandbox-', 32)
    accessTokens.set(token, {
      grantId: grant.id,
      userEmail: grant.userEmail,
      clientId: grant.clientId,
      scopes: grant.scopes,
      expiresAt: now() + ttlSeconds * 1000,
    })
    return { token, expiresIn: ttlSeconds }
  }

  function idToken(grant: Grant): string | undefined {
    if (!grant.scopes.some((s) => s === 'openid' || s === 'email' || s.endsWith('userinfo.email')))
      return undefined
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const iat = Math.floor(now() / 1000)
    const user = store.users.get(grant.userEmail)
    // Unsigned: the sandbox publishes no keys, so an app must not verify it against Google's certificates.
    return `${enc({ alg: 'RS256', kid: 'sandbox', typ: 'JWT' })}.${enc({
      iss: 'https://accounts.google.com',
      azp: grant.clientId,
      aud: grant.clientId,
      sub: subOf(grant.userEmail),
      email: grant.userEmail,
      email_verified: true,
      name: user?.name,
      iat,
      exp: iat + 3600,
    })}.${Buffer.from('sandbox-signature').toString('base64url')}`
  }

  function grantFor(userEmail: string, clientId: string, scopes: string[]): Grant {
    const existing = [...grants.values()].find(
      (g) => !g.revoked && g.userEmail === userEmail && g.clientId === clientId,
    )
    if (existing) {
      existing.scopes = [...new Set([...existing.scopes, ...scopes])]
      return existing
    }
    const grant: Grant = {
      id: randomToken('grant-', 9),
      userEmail,
      clientId,
      scopes,
      refreshTokens: [],
      revoked: false,
      createdAt: now(),
    }
    grants.set(grant.id, grant)
    return grant
  }

  function newRefreshToken(grant: Grant): string {
    const rt = randomToken('1//0sandbox-', 32)
    grant.refreshTokens.push(rt)
    refreshTokens.set(rt, grant.id)
    return rt
  }

  /** POST /token: authorization_code and refresh_token grants with Google's error bodies (providers.md A5). */
  function token(p: Record<string, string>, basic?: string): TokenResponse {
    const client = authenticateClient(p, basic)
    const grantType = p['grant_type']
    if (grantType === 'authorization_code') {
      const code = codes.get(p['code'] ?? '')
      if (!code || code.expiresAt <= now() || code.clientId !== client.clientId) {
        throw new OAuthError(400, 'invalid_grant', 'Malformed auth code.')
      }
      if (code.redirectUri !== p['redirect_uri'])
        throw new OAuthError(400, 'redirect_uri_mismatch', 'Bad Request')
      if (code.codeChallenge !== undefined) {
        const verifier = p['code_verifier'] ?? ''
        const computed =
          code.codeChallengeMethod === 'S256'
            ? createHash('sha256').update(verifier).digest('base64url')
            : verifier
        if (computed !== code.codeChallenge)
          throw new OAuthError(400, 'invalid_grant', 'Invalid code verifier.')
      }
      codes.delete(p['code'] ?? '')
      const grant = grantFor(code.userEmail, client.clientId, code.scopes)
      // Google returns a refresh token for offline access on first consent or with prompt=consent (providers.md A5).
      const refresh =
        code.offline && (grant.refreshTokens.length === 0 || code.forceConsent)
          ? newRefreshToken(grant)
          : undefined
      const at = mintAccessToken(grant)
      const id = idToken(grant)
      return {
        access_token: at.token,
        expires_in: at.expiresIn,
        scope: grant.scopes.join(' '),
        token_type: 'Bearer',
        ...(refresh !== undefined ? { refresh_token: refresh } : {}),
        ...(id !== undefined ? { id_token: id } : {}),
      }
    }
    if (grantType === 'refresh_token') {
      const grantId = refreshTokens.get(p['refresh_token'] ?? '')
      const grant = grantId === undefined ? undefined : grants.get(grantId)
      if (!grant || grant.revoked)
        throw new OAuthError(400, 'invalid_grant', 'Token has been expired or revoked.')
      if (grant.clientId !== client.clientId) throw new OAuthError(400, 'unauthorized_client', 'Unauthorized')
      const at = mintAccessToken(grant)
      const id = idToken(grant)
      // No new refresh token: Google does not rotate them (providers.md A5 "Refresh").
      return {
        access_token: at.token,
        expires_in: at.expiresIn,
        scope: grant.scopes.join(' '),
        token_type: 'Bearer',
        ...(id !== undefined ? { id_token: id } : {}),
      }
    }
    throw new OAuthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`)
  }

  function revokeGrant(grant: Grant): void {
    grant.revoked = true
    for (const [t, rec] of accessTokens) if (rec.grantId === grant.id) accessTokens.delete(t)
  }

  /** POST /revoke: revoking either token of a grant revokes the grant. */
  function revoke(tokenValue: string | undefined): void {
    const viaRefresh = refreshTokens.get(tokenValue ?? '')
    const viaAccess = accessTokens.get(tokenValue ?? '')?.grantId
    const grant = grants.get(viaRefresh ?? viaAccess ?? '')
    if (!grant || grant.revoked) throw new OAuthError(400, 'invalid_token', 'Token expired or revoked')
    revokeGrant(grant)
  }

  /** The caller of a Calendar API request; 401 with Google's body when the token is missing, unknown or expired. */
  function authenticate(
    authorization: string | undefined,
    access: 'read' | 'write' | 'freebusy',
  ): AuthContext {
    const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '')
    if (!m?.[1]) throw errors.loginRequired()
    const rec = accessTokens.get(m[1].trim())
    if (!rec || rec.expiresAt <= now()) throw errors.authError()
    const grant = grants.get(rec.grantId)
    if (!grant || grant.revoked) throw errors.authError()
    // Scopes are honoured loosely: any calendar scope reads, a non-read-only one writes.
    const cal = rec.scopes.filter((s) => s.startsWith(CALENDAR_SCOPE))
    const ok =
      access === 'write'
        ? cal.some((s) => WRITE_SCOPES.includes(s))
        : cal.length > 0 || (access === 'freebusy' && rec.scopes.some((s) => s.includes('freebusy')))
    if (!ok) throw errors.insufficientPermissions()
    return { userEmail: rec.userEmail, clientId: rec.clientId, scopes: rec.scopes }
  }

  function tokenInfo(accessToken: string | undefined): Record<string, unknown> {
    const rec = accessTokens.get(accessToken ?? '')
    if (!rec || rec.expiresAt <= now() || grants.get(rec.grantId)?.revoked) {
      throw new OAuthError(400, 'invalid_token', 'Invalid Value')
    }
    const expiresIn = Math.max(0, Math.floor((rec.expiresAt - now()) / 1000))
    return {
      azp: rec.clientId,
      aud: rec.clientId,
      sub: subOf(rec.userEmail),
      scope: rec.scopes.join(' '),
      exp: String(Math.floor(rec.expiresAt / 1000)),
      expires_in: String(expiresIn),
      email: rec.userEmail,
      email_verified: 'true',
      access_type: grants.get(rec.grantId)?.refreshTokens.length ? 'offline' : 'online',
    }
  }

  function userInfo(authorization: string | undefined): Record<string, unknown> {
    const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '')
    const rec = accessTokens.get(m?.[1]?.trim() ?? '')
    if (!rec || rec.expiresAt <= now()) throw errors.authError()
    const user = store.users.get(rec.userEmail)
    return {
      sub: subOf(rec.userEmail),
      email: rec.userEmail,
      email_verified: true,
      name: user?.name ?? rec.userEmail,
    }
  }

  /** Test shortcut: the tokens a completed consent would give, without the browser round trip. */
  function issueTokens(input: { userEmail: string; clientId?: string; scopes?: string[] }): TokenResponse & {
    refresh_token: string
  } {
    const clientId = input.clientId ?? DEFAULT_CLIENT.clientId
    if (!clients.has(clientId)) throw new OAuthError(401, 'invalid_client', 'The OAuth client was not found.')
    const email = store.addUser({ email: input.userEmail }).email
    const grant = grantFor(email, clientId, input.scopes ?? [CALENDAR_SCOPE])
    const refresh = newRefreshToken(grant)
    const at = mintAccessToken(grant)
    return {
      access_token: at.token,
      expires_in: at.expiresIn,
      scope: grant.scopes.join(' '),
      token_type: 'Bearer',
      refresh_token: refresh,
    }
  }

  function reset(): void {
    codes.clear()
    grants.clear()
    refreshTokens.clear()
    accessTokens.clear()
  }

  return {
    registerClient,
    clients,
    authorize,
    decide,
    token,
    revoke,
    authenticate,
    tokenInfo,
    userInfo,
    issueTokens,
    grants: () => [...grants.values()].map((g) => ({ ...g, refreshTokens: [...g.refreshTokens] })),
    /** Revokes the grants matching every given field (all of them when none is given). */
    revokeGrants(
      match: { id?: string; userEmail?: string; clientId?: string; refreshToken?: string } = {},
    ): number {
      let n = 0
      for (const g of grants.values()) {
        if (g.revoked) continue
        if (match.id !== undefined && g.id !== match.id) continue
        if (match.userEmail !== undefined && g.userEmail !== match.userEmail.toLowerCase()) continue
        if (match.clientId !== undefined && g.clientId !== match.clientId) continue
        if (match.refreshToken !== undefined && !g.refreshTokens.includes(match.refreshToken)) continue
        revokeGrant(g)
        n++
      }
      return n
    },
    /** Makes every current access token (of one user, or all) expired now, as if their hour had passed. */
    expireAccessTokens(userEmail?: string): void {
      for (const rec of accessTokens.values()) {
        if (userEmail === undefined || rec.userEmail === userEmail.toLowerCase()) rec.expiresAt = now()
      }
    },
    setAccessTokenTtl(seconds: number): void {
      if (!(Number.isFinite(seconds) && seconds > 0))
        throw new RangeError('ttl must be a positive number of seconds')
      ttlSeconds = seconds
    },
    accessTokenTtl: () => ttlSeconds,
    setConsent(mode: ConsentMode, userEmail?: string): void {
      consent = mode
      consentUser = userEmail?.toLowerCase()
    },
    consent: () => ({ mode: consent, user: consentUser }),
    reset,
  }
}

export type OAuth = ReturnType<typeof createOAuth>

// Microsoft identity platform v2.0 emulation: authorize (consent or refusal), code and refresh grants, bearer checks.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { AadError } from './errors.js'
import type { MailboxStore, MailboxUser } from './store.js'

export type ConsentMode = 'auto' | 'page' | 'deny'

export interface RegisteredClient {
  clientId: string
  clientSecret: string
  redirectUris?: string[]
}

export interface OAuthOptions {
  store: MailboxStore
  now: () => number
  tenantId: string
  accessTokenTtlSeconds: number
  /** Refresh tokens expire after this long unused (90 days sliding, providers.md B5). */
  refreshTokenIdleSeconds: number
  /** When given, only these clients (and their redirect URIs, when listed) are accepted. */
  clients?: RegisteredClient[]
  /**
   * 'allow': a used refresh token keeps working until it expires, as Entra ID does for confidential clients;
   * 'reject': it is single-use, which catches apps that do not store the rotated one.
   */
  refreshTokenReuse: 'allow' | 'reject'
  /** Initial (and after clear) consent behaviour. */
  consentMode: ConsentMode
}

interface Grant {
  id: string
  userId: string
  clientId: string
  scopes: string[]
  revoked: boolean
}

interface Code {
  grantId: string
  redirectUri: string
  expiresAt: number
  used: boolean
  offline: boolean
  codeChallenge?: string
  codeChallengeMethod?: string
}

interface AccessToken {
  grantId: string
  expiresAt: number
}

interface RefreshToken {
  grantId: string
  expiresAt: number
  used: boolean
}

export interface AuthContext {
  userId: string
  clientId: string
  scopes: string[]
}

const GRAPH = 'https://graph.microsoft.com/'
const OIDC = ['openid', 'profile', 'email', 'offline_access']

/** Short and full Graph scope names compare equal; `.default` stands for what the app registration asks for. */
function normaliseScopes(scope: string): string[] {
  const out = new Set<string>()
  for (const raw of scope.split(/\s+/).filter(Boolean)) {
    const s = raw.startsWith(GRAPH) ? raw.slice(GRAPH.length) : raw
    if (s === '.default') {
      out.add('Calendars.ReadWrite')
      out.add('User.Read')
    } else out.add(s)
  }
  return [...out]
}

function fakeJwt(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${enc({ typ: 'JWT', alg: 'RS256', kid: 'officehours-sandbox' })}.${enc(claims)}.${randomBytes(32).toString('base64url')}`
}

export interface AuthorizeResult {
  redirect?: string
  html?: string
  status?: number
}

export type OAuthService = ReturnType<typeof createOAuth>

export function createOAuth(opts: OAuthOptions) {
  const grants = new Map<string, Grant>()
  const codes = new Map<string, Code>()
  const access = new Map<string, AccessToken>()
  const refresh = new Map<string, RefreshToken>()
  const pending = new Map<string, Record<string, string>>()
  let consentMode: ConsentMode = opts.consentMode
  let refuseNext = 0
  let signedInUser: string | null = null

  const sec = (n: number) => n * 1000

  function clientFor(clientId: string): RegisteredClient | null | undefined {
    if (!opts.clients) return null
    return opts.clients.find((c) => c.clientId === clientId)
  }

  function errorPage(code: number, message: string): AuthorizeResult {
    return {
      status: 400,
      html: `<!doctype html><title>Sign in to your account</title><h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS${code}: ${escapeHtml(message)}</p>`,
    }
  }

  function redirectWith(redirectUri: string, params: Record<string, string>): AuthorizeResult {
    const url = new URL(redirectUri)
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    return { redirect: url.toString() }
  }

  function user(q: Record<string, string>): MailboxUser | undefined {
    const hinted = q.login_hint ? opts.store.findUser(q.login_hint) : undefined
    if (hinted) return hinted
    if (signedInUser) return opts.store.findUser(signedInUser)
    return opts.store.users.values().next().value
  }

  /** GET /{tenant}/oauth2/v2.0/authorize: validates, then consents, shows a consent page, or refuses. */
  function authorize(q: Record<string, string>, tenantPath: string): AuthorizeResult {
    const clientId = q.client_id ?? ''
    if (!clientId)
      return errorPage(900144, "The request body must contain the following parameter: 'client_id'.")
    const client = clientFor(clientId)
    if (client === undefined) {
      return errorPage(700016, `Application with identifier '${clientId}' was not found in the directory.`)
    }
    const redirectUri = q.redirect_uri ?? ''
    let parsed: URL | null = null
    try {
      parsed = new URL(redirectUri)
    } catch {}
    if (!parsed || (client?.redirectUris && !client.redirectUris.includes(redirectUri))) {
      return errorPage(
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
      )
    }
    const state: Record<string, string> = q.state !== undefined ? { state: q.state } : {}
    if (q.response_type !== 'code') {
      return redirectWith(redirectUri, {
        error: 'unsupported_response_type',
        error_description: 'AADSTS700054: response_type must be code for this emulator.',
        ...state,
      })
    }
    if (!q.scope) {
      return redirectWith(redirectUri, {
        error: 'invalid_request',
        error_description: "AADSTS900144: The request body must contain the following parameter: 'scope'.",
        ...state,
      })
    }
    if (refuseNext > 0 || consentMode === 'deny') {
      if (refuseNext > 0) refuseNext -= 1
      return refusal(redirectUri, q.state)
    }
    if (consentMode === 'page' && q.prompt !== 'none') {
      const id = randomUUID()
      pending.set(id, q)
      const who = user(q)
      return {
        html:
          `<!doctype html><title>Permissions requested</title><h1>Permissions requested</h1>` +
          `<p>${escapeHtml(clientId)} wants to: ${escapeHtml(q.scope)}</p><p>Signed in as ${escapeHtml(who?.mail ?? '')}</p>` +
          `<form method="post" action="${tenantPath}/oauth2/v2.0/authorize/consent">` +
          `<input type="hidden" name="request" value="${id}">` +
          `<button name="decision" value="accept">Accept</button> <button name="decision" value="deny">Cancel</button></form>`,
      }
    }
    return consent(q)
  }

  function refusal(redirectUri: string, state: string | undefined): AuthorizeResult {
    return redirectWith(redirectUri, {
      error: 'access_denied',
      error_subcode: 'cancel',
      error_description: 'AADSTS65004: User declined to consent to access the app.',
      ...(state !== undefined ? { state } : {}),
    })
  }

  function consent(q: Record<string, string>): AuthorizeResult {
    const who = user(q)
    if (!who) return errorPage(50034, 'The user account does not exist in the directory.')
    const scopes = normaliseScopes(q.scope ?? '')
    const grant: Grant = {
      id: randomUUID(),
      userId: who.id,
      clientId: q.client_id ?? '',
      scopes,
      revoked: false,
    }
    grants.set(grant.id, grant)
    const code = `0.A${randomBytes(48).toString('base64url')}`
    codes.set(code, {
      grantId: grant.id,
      redirectUri: q.redirect_uri ?? '',
      expiresAt: opts.now() + sec(600),
      used: false,
      offline: scopes.includes('offline_access'),
      ...(q.code_challenge ? { codeChallenge: q.code_challenge } : {}),
      ...(q.code_challenge_method ? { codeChallengeMethod: q.code_challenge_method } : {}),
    })
    return redirectWith(q.redirect_uri ?? '', {
      code,
      ...(q.state !== undefined ? { state: q.state } : {}),
      session_state: randomUUID(),
    })
  }

  /** POST …/authorize/consent from the consent page. */
  function decide(requestId: string, decision: string): AuthorizeResult {
    const q = pending.get(requestId)
    if (!q) return errorPage(90023, 'The consent request has expired. Sign in again.')
    pending.delete(requestId)
    return decision === 'accept' ? consent(q) : refusal(q.redirect_uri ?? '', q.state)
  }

  function issue(grant: Grant, offline: boolean) {
    const now = opts.now()
    const accessToken = fakeJwt({
      aud: '00000003-0000-0000-c000-000000000000',
      iss: `https://sts.windows.net/${opts.tenantId}/`,
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + opts.accessTokenTtlSeconds,
      oid: grant.userId,
      tid: opts.tenantId,
      appid: grant.clientId,
      scp: grant.scopes.filter((s) => !OIDC.includes(s)).join(' '),
      jti: randomUUID(),
    })
    access.set(accessToken, { grantId: grant.id, expiresAt: now + sec(opts.accessTokenTtlSeconds) })
    const resourceScopes = grant.scopes.filter((s) => !OIDC.includes(s)).map((s) => GRAPH + s)
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: resourceScopes.join(' '),
      expires_in: opts.accessTokenTtlSeconds,
      ext_expires_in: opts.accessTokenTtlSeconds,
      access_token: accessToken,
    }
    if (offline) {
      const rt = `0.A${randomBytes(64).toString('base64url')}`
      refresh.set(rt, { grantId: grant.id, expiresAt: now + sec(opts.refreshTokenIdleSeconds), used: false })
      body.refresh_token = rt
    }
    if (grant.scopes.includes('openid')) {
      const who = opts.store.users.get(grant.userId)
      body.id_token = fakeJwt({
        aud: grant.clientId,
        iss: `https://login.microsoftonline.com/${opts.tenantId}/v2.0`,
        iat: Math.floor(now / 1000),
        exp: Math.floor(now / 1000) + 3600,
        oid: grant.userId,
        tid: opts.tenantId,
        sub: grant.userId,
        name: who?.displayName,
        preferred_username: who?.mail,
        email: who?.mail,
      })
    }
    return body
  }

  function checkClient(form: Record<string, string>): void {
    const client = clientFor(form.client_id ?? '')
    if (!form.client_id || client === undefined) {
      throw new AadError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.client_id ?? ''}' was not found in the directory.`,
      )
    }
    if (!form.client_secret && !form.code_verifier) {
      throw new AadError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      )
    }
    if (form.client_secret && client && client.clientSecret !== form.client_secret) {
      throw new AadError(401, 'invalid_client', 7000215, 'Invalid client secret provided.')
    }
  }

  /** POST /{tenant}/oauth2/v2.0/token (form-encoded). Throws AadError. */
  function token(form: Record<string, string>) {
    checkClient(form)
    const now = opts.now()
    if (form.grant_type === 'authorization_code') {
      const code = codes.get(form.code ?? '')
      const grant = code ? grants.get(code.grantId) : undefined
      if (!code || !grant || grant.clientId !== form.client_id) {
        throw new AadError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.')
      }
      if (code.used)
        throw new AadError(400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed.')
      if (code.expiresAt <= now) {
        throw new AadError(
          400,
          'invalid_grant',
          70008,
          'The provided authorization code or refresh token has expired due to inactivity.',
        )
      }
      if (form.redirect_uri !== code.redirectUri) {
        throw new AadError(
          400,
          'invalid_grant',
          500112,
          'The reply address does not match the reply address provided when requesting Authorization code.',
        )
      }
      if (code.codeChallenge !== undefined) {
        const verifier = form.code_verifier ?? ''
        const computed =
          code.codeChallengeMethod === 'S256'
            ? createHash('sha256').update(verifier).digest('base64url')
            : verifier
        if (computed !== code.codeChallenge) {
          throw new AadError(
            400,
            'invalid_grant',
            50148,
            'The code_verifier does not match the code_challenge supplied in the authorization request.',
          )
        }
      }
      code.used = true
      if (grant.revoked) throw revokedError()
      return issue(grant, code.offline)
    }
    if (form.grant_type === 'refresh_token') {
      const rt = refresh.get(form.refresh_token ?? '')
      const grant = rt ? grants.get(rt.grantId) : undefined
      if (!rt || !grant) {
        throw new AadError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.')
      }
      if (grant.clientId !== form.client_id) {
        throw new AadError(400, 'invalid_grant', 70000, 'The refresh token was issued to a different client.')
      }
      if (grant.revoked) throw revokedError()
      if (rt.expiresAt <= now) {
        throw new AadError(
          400,
          'invalid_grant',
          700082,
          'The refresh token has expired due to inactivity. The token was issued on ' +
            `${new Date(rt.expiresAt - sec(opts.refreshTokenIdleSeconds)).toISOString()} and was inactive for 90.00:00:00.`,
        )
      }
      if (rt.used && opts.refreshTokenReuse === 'reject') {
        throw new AadError(
          400,
          'invalid_grant',
          70000,
          'The provided value for the refresh_token is invalid: it has already been redeemed.',
        )
      }
      rt.used = true
      // A new refresh token on every use; the app must store it (rotation, providers.md B5).
      return issue(grant, true)
    }
    throw new AadError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${form.grant_type ?? ''}'.`,
    )
  }

  function revokedError() {
    return new AadError(
      400,
      'invalid_grant',
      50173,
      'The provided grant has expired due to it being revoked, a fresh auth token is needed. ' +
        'The user might have changed or reset their password.',
    )
  }

  /** Bearer check for Graph routes. */
  function authenticate(header: string | undefined): AuthContext | 'missing' | 'invalid' | 'expired' {
    if (!header) return 'missing'
    const m = /^Bearer\s+(.+)$/i.exec(header)
    if (!m?.[1]) return 'invalid'
    const at = access.get(m[1])
    const grant = at ? grants.get(at.grantId) : undefined
    if (!at || !grant) return 'invalid'
    if (at.expiresAt <= opts.now()) return 'expired'
    return { userId: grant.userId, clientId: grant.clientId, scopes: grant.scopes }
  }

  /** Mints an access (and refresh) token directly, for tests that do not need the browser leg. */
  function mint(userId: string, clientId: string, scopes = 'offline_access Calendars.ReadWrite User.Read') {
    const grant: Grant = {
      id: randomUUID(),
      userId,
      clientId,
      scopes: normaliseScopes(scopes),
      revoked: false,
    }
    grants.set(grant.id, grant)
    return issue(grant, grant.scopes.includes('offline_access'))
  }

  function matching(filter: { userId?: string; clientId?: string }) {
    return [...grants.values()].filter(
      (g) =>
        (filter.userId === undefined || g.userId === filter.userId) &&
        (filter.clientId === undefined || g.clientId === filter.clientId),
    )
  }

  return {
    authorize,
    decide,
    token,
    authenticate,
    mint,
    setConsentMode(mode: ConsentMode) {
      consentMode = mode
    },
    refuseNext(n = 1) {
      refuseNext += n
    },
    setSignedInUser(idOrMail: string | null) {
      signedInUser = idOrMail
    },
    /** Revokes grants: refresh tokens then fail with AADSTS50173; access tokens too when asked (else they live on). */
    revoke(filter: { userId?: string; clientId?: string; accessTokens?: boolean }): number {
      const hit = matching(filter)
      for (const g of hit) g.revoked = true
      if (filter.accessTokens) {
        const ids = new Set(hit.map((g) => g.id))
        for (const t of access.values()) if (ids.has(t.grantId)) t.expiresAt = opts.now()
      }
      return hit.length
    },
    expireAccessTokens(filter: { userId?: string; clientId?: string } = {}): number {
      const ids = new Set(matching(filter).map((g) => g.id))
      let n = 0
      for (const t of access.values()) {
        if (ids.has(t.grantId)) {
          t.expiresAt = Math.min(t.expiresAt, opts.now())
          n += 1
        }
      }
      return n
    },
    expireRefreshTokens(filter: { userId?: string; clientId?: string } = {}): number {
      const ids = new Set(matching(filter).map((g) => g.id))
      let n = 0
      for (const t of refresh.values()) {
        if (ids.has(t.grantId)) {
          t.expiresAt = Math.min(t.expiresAt, opts.now())
          n += 1
        }
      }
      return n
    },
    clear() {
      grants.clear()
      codes.clear()
      access.clear()
      refresh.clear()
      pending.clear()
      consentMode = opts.consentMode
      refuseNext = 0
      signedInUser = null
    },
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

// Google OAuth 2.0 endpoints: the authorize/consent page, /token, /revoke, /tokeninfo and userinfo.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { type EmulatorContext, header, operation } from './context.js'
import type { AuthorizeOutcome } from './oauth.js'

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (typeof v !== 'object' || v === null) return out
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val
    else if (Array.isArray(val) && typeof val[0] === 'string') out[k] = val[0]
  }
  return out
}

function consentPage(o: Extract<AuthorizeOutcome, { kind: 'page' }>): string {
  const hidden = Object.entries(o.params)
    .filter(([k]) => k !== 'auto')
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('\n')
  const options = o.users
    .map((u) => `<option value="${esc(u)}"${u === o.selectedUser ? ' selected' : ''}>${esc(u)}</option>`)
    .join('')
  const scopes = (o.params['scope'] ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => `<li><code>${esc(s)}</code></li>`)
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts (sandbox)</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}</style></head>
<body><h1>officehours sandbox: Google sign-in</h1>
<p><strong>${esc(o.clientId)}</strong> wants to access your Google Account.</p>
<ul>${scopes}</ul>
<form method="post" action="/o/oauth2/v2/auth/consent">
${hidden}
<p><label>Account <select name="user">${options}</select></label></p>
<p><button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Cancel</button></p>
</form></body></html>`
}

function errorPage(status: number, error: string, description: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error ${status} (${esc(error)})</title></head>
<body><h1>Access blocked: authorization error</h1><p>Error ${status}: ${esc(error)}</p><p>${esc(description)}</p></body></html>`
}

function answer(reply: FastifyReply, o: AuthorizeOutcome) {
  if (o.kind === 'redirect') return reply.redirect(o.location, 302)
  if (o.kind === 'page') return reply.type('text/html; charset=utf-8').send(consentPage(o))
  return reply
    .code(o.status)
    .type('text/html; charset=utf-8')
    .send(errorPage(o.status, o.error, o.description))
}

export async function oauthRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const { oauth } = ctx

  for (const path of ['/o/oauth2/v2/auth', '/o/oauth2/auth']) {
    app.get(path, operation(ctx, 'authorize', undefined, 'oauth'), async (req, reply) =>
      answer(reply, oauth.authorize(strings(req.query))),
    )
  }

  app.post(
    '/o/oauth2/v2/auth/consent',
    operation(ctx, 'authorize', undefined, 'oauth'),
    async (req, reply) => {
      const p = strings(req.body)
      const check = oauth.authorize({ ...p, auto: 'deny' })
      // Re-validate client and redirect URI: the form is user-controlled.
      if (check.kind === 'error') return answer(reply, check)
      return answer(reply, oauth.decide(p, p['decision'] === 'allow', p['user'] ?? ''))
    },
  )

  for (const path of ['/token', '/o/oauth2/token', '/oauth2/v4/token']) {
    app.post(path, operation(ctx, 'token', undefined, 'oauth'), async (req, reply) => {
      const basic = /^Basic\s+(.+)$/i.exec(header(req, 'authorization') ?? '')?.[1]
      const tokens = oauth.token(strings(req.body), basic)
      return reply.header('cache-control', 'no-cache, no-store, max-age=0, must-revalidate').send(tokens)
    })
  }

  for (const path of ['/revoke', '/o/oauth2/revoke']) {
    app.post(path, operation(ctx, 'revoke', undefined, 'oauth'), async (req) => {
      oauth.revoke(strings(req.query)['token'] ?? strings(req.body)['token'])
      return {}
    })
  }

  for (const path of ['/tokeninfo', '/oauth2/v3/tokeninfo']) {
    app.get(path, operation(ctx, 'tokeninfo', undefined, 'oauth'), async (req) =>
      oauth.tokenInfo(strings(req.query)['access_token']),
    )
    app.post(path, operation(ctx, 'tokeninfo', undefined, 'oauth'), async (req) =>
      oauth.tokenInfo(strings(req.body)['access_token'] ?? strings(req.query)['access_token']),
    )
  }

  for (const path of ['/oauth2/v3/userinfo', '/oauth2/v2/userinfo']) {
    app.get(path, operation(ctx, 'userinfo'), async (req) => oauth.userInfo(header(req, 'authorization')))
  }
}

// Routes: the booking page /b/{token} and the manage page /m/{token} (HTML, outside /v1), and their script and style.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.js'
import { BOOKING_CSS, BOOKING_JS } from '../../pages/assets.js'
import { bookingPage, type ErrorKind, errorPage, managePage, PAGE_CSP } from '../../pages/html.js'
import { type Lang, pickLanguage } from '../../pages/i18n.js'
import { LinkUnavailableError, publicLink, publicManage } from '../../services/booking-links.js'
import type { App } from '../common.js'

const TOKEN = /^[A-Za-z0-9_-]{16,128}$/
const hidden = { schema: { hide: true } }

function languageOf(request: FastifyRequest): Lang {
  return pickLanguage(request.headers['accept-language'], (request.query as { lang?: unknown }).lang)
}

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('vary', 'Accept-Language')
    .header('x-robots-tag', 'noindex')
    .send(html)
}

/** The service's reason a link cannot be used, as an error page (404 unknown, 410 gone); anything else is rethrown. */
function unavailable(error: unknown, notFound: ErrorKind): { status: number; kind: ErrorKind } {
  if (!(error instanceof LinkUnavailableError)) throw error
  switch (error.code) {
    case 'link_expired':
    case 'link_used_up':
    case 'link_revoked':
      return { status: 410, kind: error.code }
    default:
      return { status: 404, kind: notFound }
  }
}

export function registerPageRoutes(app: App, deps: Deps): void {
  app.get('/assets/booking.js', hidden, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(BOOKING_JS),
  )

  app.get('/assets/booking.css', hidden, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(BOOKING_CSS),
  )

  app.get('/b/:token', hidden, async (request, reply) => {
    const lang = languageOf(request)
    const { token } = request.params as { token: string }
    const path = `/b/${encodeURIComponent(token)}`
    if (!TOKEN.test(token)) return sendPage(reply, 404, errorPage(lang, 'link_not_found', path))
    try {
      const link = await publicLink(deps, token)
      return sendPage(reply, 200, bookingPage(lang, token, link, deps.clock.now()))
    } catch (error) {
      const { status, kind } = unavailable(error, 'link_not_found')
      return sendPage(reply, status, errorPage(lang, kind, path))
    }
  })

  app.get('/m/:token', hidden, async (request, reply) => {
    const lang = languageOf(request)
    const { token } = request.params as { token: string }
    const path = `/m/${encodeURIComponent(token)}`
    if (!TOKEN.test(token)) return sendPage(reply, 404, errorPage(lang, 'manage_not_found', path))
    try {
      const booking = await publicManage(deps, token)
      return sendPage(reply, 200, managePage(lang, token, booking, deps.clock.now()))
    } catch (error) {
      const { status, kind } = unavailable(error, 'manage_not_found')
      return sendPage(reply, status, errorPage(lang, kind, path))
    }
  })
}

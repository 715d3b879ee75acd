// The pages over plain HTTP (no browser): headers, language choice, escaping, and the script's data block.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapeHtml } from '../../src/pages/html.js'
import { pickLanguage } from '../../src/pages/i18n.js'
import { type AccountClient, createTestApp, type TestApp } from '../helpers/app.js'
import { assistantBody, clientBody, meetingTypeBody } from '../helpers/factories.js'

let t: TestApp
let account: AccountClient
let token: string

beforeAll(async () => {
  t = await createTestApp({ now: '2026-06-01T08:00:00Z' })
  account = await t.createAccount()
  const assistantId = (await account.post('/v1/assistants', assistantBody())).body.id
  const clientId = (
    await account.post('/v1/clients', clientBody(assistantId, { name: '</script><script>alert(1)</script>' }))
  ).body.id
  const meetingTypeId = (await account.post('/v1/meeting-types', meetingTypeBody(clientId))).body.id
  token = (await account.post('/v1/booking-links', { meetingTypeId })).body.token
})
afterAll(() => t.close())

describe('pickLanguage', () => {
  it('takes ?lang= first, then the best of Accept-Language, then English', () => {
    expect(pickLanguage('de-DE,de;q=0.9,en;q=0.8', undefined)).toBe('de')
    expect(pickLanguage('de-DE', 'en')).toBe('en')
    expect(pickLanguage('en-US', 'de')).toBe('de')
    expect(pickLanguage('fr-FR,de;q=0.5,en;q=0.7', undefined)).toBe('en')
    expect(pickLanguage('fr-FR,de;q=0.5', undefined)).toBe('de')
    expect(pickLanguage('de;q=0', undefined)).toBe('en')
    expect(pickLanguage(undefined, 'xx')).toBe('en')
  })

  it('escapes the five HTML characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    )
  })
})

describe('GET /b/{token} and /m/{token} over HTTP', () => {
  it('serves the page with a strict CSP, no-store, and no inline script; user text cannot close the data block', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/b/${token}`,
      headers: { 'accept-language': 'de' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'.*script-src 'self'/)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers.vary).toMatch(/Accept-Language/i)
    expect(res.body).toContain('<html lang="de">')
    expect(res.body).not.toContain('<script>alert(1)')
    expect(res.body).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;')
    const scripts = res.body.match(/<script[^>]*>/g) ?? []
    expect(scripts).toEqual([
      '<script type="application/json" id="page-data">',
      '<script src="/assets/booking.js" defer>',
    ])
    const data = JSON.parse(/id="page-data">(.*?)<\/script>/s.exec(res.body)?.[1] ?? '{}')
    expect(data).toMatchObject({ kind: 'booking', lang: 'de', now: '2026-06-01T08:00:00.000Z', token })
    expect(data.client.name).toBe('</script><script>alert(1)</script>')
  })

  it('escapes a hostile token in the 404 page', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/b/%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).not.toContain('<script>alert')
    const manage = await t.app.inject({ method: 'GET', url: '/m/not_a_real_manage_token_at_all' })
    expect(manage.statusCode).toBe(404)
    expect(manage.body).toContain('Booking not found')
  })

  it('serves the script and style sheet, and keeps the pages out of the OpenAPI document', async () => {
    const js = await t.app.inject({ method: 'GET', url: '/assets/booking.js' })
    expect(js.statusCode).toBe(200)
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(() => new Function(js.body)).not.toThrow()
    const css = await t.app.inject({ method: 'GET', url: '/assets/booking.css' })
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const paths = Object.keys(spec.paths)
    expect(paths.some((p) => p.startsWith('/b/') || p.startsWith('/m/') || p.startsWith('/assets/'))).toBe(
      false,
    )
  })
})

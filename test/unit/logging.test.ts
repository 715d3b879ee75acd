// Logs never carry API keys, admin tokens, link tokens or OAuth codes.
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { genReqId, loggerOptions, redactUrl } from '../../src/plugins/logging.js'

describe('redactUrl', () => {
  it.each([
    ['/b/oh_link_secret123', '/b/[redacted]'],
    ['/m/abc?lang=de', '/m/[redacted]?lang=de'],
    ['/public/v1/links/tok/slots?from=2026-01-01', '/public/v1/links/[redacted]/slots?from=2026-01-01'],
    ['/public/v1/manage/tok', '/public/v1/manage/[redacted]'],
    [
      '/oauth/google/callback?code=4/abc&state=xyz&scope=cal',
      '/oauth/google/callback?code=%5Bredacted%5D&state=%5Bredacted%5D&scope=cal',
    ],
    ['/webhooks/microsoft?validationToken=secret', '/webhooks/microsoft?validationToken=%5Bredacted%5D'],
    ['/v1/clients/123', '/v1/clients/123'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected)
  })
})

describe('request logs', () => {
  it('contain no Authorization header, key or token', async () => {
    const lines: string[] = []
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const app = Fastify({ logger: { ...loggerOptions('trace'), stream }, genReqId })
    app.get('/b/:token', async (request) => {
      request.log.info({ headers: request.headers }, 'handler saw headers')
      return { ok: true }
    })
    await app.inject({
      method: 'GET',
      url: '/b/oh_link_topsecret?code=oauthcode',
      headers: { authorization: 'Bearer oh_key_verysecret', cookie: 'session=secret' },
    })
    await app.close()
    const output = lines.join('')
    expect(output).toContain('incoming request')
    for (const secret of ['oh_link_topsecret', 'oauthcode', 'oh_key_verysecret', 'session=secret']) {
      expect(output).not.toContain(secret)
    }
  })
})

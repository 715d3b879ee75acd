// Logger options: request ids, and serializers that keep secrets (keys, tokens, OAuth codes) out of the logs.
import { randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { LogLevel } from '../config.js'

// Path segments after these prefixes are secrets (booking-link and manage tokens).
const SECRET_PATH = /^(\/(?:b|m|public\/v1\/links|public\/v1\/manage)\/)[^/?]+/
const SECRET_QUERY = new Set([
  'code',
  'state',
  'token',
  'validationtoken',
  'access_token',
  'refresh_token',
  'key',
])

/** A URL safe to log: secret path segments and secret query values replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const [path = '', query] = url.split('?', 2)
  const safePath = path.replace(SECRET_PATH, '$1[redacted]')
  if (query === undefined) return safePath
  const params = new URLSearchParams(query)
  for (const name of [...params.keys()]) {
    if (SECRET_QUERY.has(name.toLowerCase())) params.set(name, '[redacted]')
  }
  return `${safePath}?${params.toString()}`
}

export function loggerOptions(level: LogLevel) {
  return {
    level,
    // Belt and braces: even if a header object is logged somewhere, these never reach the output.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.headers.authorization',
        'headers.cookie',
        '*.headers.cookie',
        'req.headers["x-goog-channel-token"]',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: FastifyRequest) {
        return {
          method: request.method,
          url: redactUrl(request.url),
          remoteAddress: request.ip,
        }
      },
    },
  }
}

export function genReqId(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers['x-request-id']
  return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID()
}

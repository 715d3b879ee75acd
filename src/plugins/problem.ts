// The one error seam: DomainErrors, validation and parser errors become RFC 9457 application/problem+json.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isConnectionLoss } from '../db/connect.js'
import { DomainError, type FieldProblem, ValidationError } from '../errors.js'

const STATUS_BY_CODE: Record<string, number> = {
  validation_failed: 400,
  malformed_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  link_not_found: 404,
  link_expired: 410,
  link_used_up: 410,
  link_revoked: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  errors?: FieldProblem[]
  [extra: string]: unknown
}

export function problem(
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
): Problem {
  return {
    type: `https://officehours.dev/problems/${code.replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extra,
  }
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p)
}

interface SchemaError {
  keyword: string
  instancePath: string
  params?: Record<string, unknown>
  message?: string
}

const PART: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1')
}

/** Turns schema errors into one message per field, named by a JSON pointer into `{ body, query, params, headers }`. */
export function fieldProblems(errors: SchemaError[], context: string | undefined): FieldProblem[] {
  const base = `/${PART[context ?? 'body'] ?? 'body'}`
  const byPointer = new Map<string, SchemaError[]>()
  const out: FieldProblem[] = []
  for (const error of errors) {
    const params = error.params ?? {}
    if (error.keyword === 'required') {
      const missing = (params.requiredProperties ?? [params.missingProperty]) as string[]
      for (const name of missing)
        out.push({ pointer: `${base}${error.instancePath}/${escapePointer(name)}`, message: 'is required' })
      continue
    }
    if (error.keyword === 'additionalProperties') {
      const extra = (params.additionalProperties ?? [params.additionalProperty]) as string[] | string
      for (const name of Array.isArray(extra) ? extra : [extra]) {
        out.push({
          pointer: `${base}${error.instancePath}/${escapePointer(name)}`,
          message: 'is not a known field',
        })
      }
      continue
    }
    if (error.keyword === 'boolean') continue // the per-field twin of additionalProperties
    const list = byPointer.get(error.instancePath) ?? []
    list.push(error)
    byPointer.set(error.instancePath, list)
  }
  for (const [path, list] of byPointer) {
    const pointer = `${base}${path}`
    if (out.some((p) => p.pointer === pointer)) continue
    const allowed = list
      .filter((e) => e.keyword === 'const')
      .map((e) => JSON.stringify(e.params?.allowedValue))
    const types = list.filter((e) => e.keyword === 'type').map((e) => String(e.params?.type))
    let message: string
    if (allowed.length > 0) message = `must be one of ${allowed.join(', ')}`
    else if (list.some((e) => e.keyword === 'anyOf') && types.length > 0)
      message = `must be ${types.join(' or ')}`
    else message = list.find((e) => e.keyword !== 'anyOf')?.message ?? list[0]?.message ?? 'is invalid'
    if (message.startsWith('must match pattern')) message = patternMessage(path, message)
    out.push({ pointer, message })
  }
  return out
}

function patternMessage(path: string, fallback: string): string {
  if (/\/(start|end)$/.test(path)) return 'must be a wall-clock time HH:mm (00:00–23:59, or 24:00 as an end)'
  if (/\/date$/.test(path)) return 'must be a date YYYY-MM-DD'
  return fallback
}

/** The problem document of a domain error (also stored for idempotent replays). */
export function domainProblem(error: DomainError): Problem {
  if (error instanceof ValidationError)
    return problem(400, error.code, error.message, { errors: error.problems })
  return problem(STATUS_BY_CODE[error.code] ?? 409, error.code, error.message, error.extra)
}

function isFastifyError(error: unknown): error is FastifyError {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof (error as FastifyError).code === 'string'
  )
}

/**
 * Pointers to the strings (and keys) that hold U+0000. PostgreSQL text and jsonb cannot store it, so such input is
 * refused as invalid here rather than failing in the database. Iterative: an unvalidated body may be deeply nested.
 */
export function nulCharacterProblems(parts: Record<string, unknown>): FieldProblem[] {
  const out: FieldProblem[] = []
  const stack: [unknown, string][] = Object.entries(parts).map(([part, value]) => [value, `/${part}`])
  while (stack.length > 0 && out.length < 20) {
    const [value, pointer] = stack.pop()!
    if (typeof value === 'string') {
      if (value.includes('\u0000')) out.push({ pointer, message: 'must not contain NUL (U+0000) characters' })
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const at = `${pointer}/${escapePointer(key)}`
        if (key.includes('\u0000'))
          out.push({ pointer: at, message: 'names a field with a NUL (U+0000) character' })
        else stack.push([item, at])
      }
    }
  }
  return out
}

/** Errors Fastify raises before any route runs (a path that is not valid percent-encoding, an over-long id). */
export function frameworkErrorProblem(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return sendProblem(reply, problem(414, 'uri_too_long', 'A path segment is too long.'))
  if (error.code === 'FST_ERR_BAD_URL')
    return sendProblem(reply, problem(400, 'bad_url', 'The path is not valid percent-encoded UTF-8.'))
  return sendProblem(reply, problem(500, 'internal_error', 'Something went wrong on our side.'))
}

export function registerProblemHandling(app: FastifyInstance): void {
  // After schema validation (whose messages come first), before any handler touches the database.
  app.addHook('preHandler', async (request) => {
    const problems = nulCharacterProblems({
      body: request.body,
      query: request.query,
      params: request.params,
    })
    if (problems.length > 0)
      throw new ValidationError(problems, problems.map((p) => `${p.pointer} ${p.message}`).join('; '))
  })
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof DomainError) return sendProblem(reply, domainProblem(error))
    const fe = error as FastifyError & { validation?: SchemaError[]; validationContext?: string }
    if (fe.validation) {
      const errors = fieldProblems(fe.validation, fe.validationContext)
      const detail = errors.map((e) => `${e.pointer} ${e.message}`).join('; ')
      return sendProblem(
        reply,
        problem(400, 'validation_failed', detail || 'The request is invalid.', { errors }),
      )
    }
    if (
      isFastifyError(error) &&
      typeof fe.statusCode === 'number' &&
      fe.statusCode >= 400 &&
      fe.statusCode < 500
    ) {
      const code =
        fe.statusCode === 413
          ? 'payload_too_large'
          : fe.statusCode === 415
            ? 'unsupported_media_type'
            : fe.statusCode === 429
              ? 'rate_limited'
              : fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
                ? 'malformed_json'
                : 'bad_request'
      const detail = code === 'malformed_json' ? 'The body is not valid JSON.' : fe.message
      return sendProblem(reply, problem(fe.statusCode, code, detail))
    }
    if (error instanceof SyntaxError && (fe as { statusCode?: number }).statusCode === 400) {
      return sendProblem(reply, problem(400, 'malformed_json', 'The body is not valid JSON.'))
    }
    // The database went away (restart, failover, network): the request may succeed if retried shortly.
    if (isConnectionLoss(error)) {
      request.log.warn({ err: error }, 'database unavailable')
      reply.header('retry-after', '5')
      return sendProblem(
        reply,
        problem(
          503,
          'database_unavailable',
          'The database is not reachable right now. Retry in a few seconds.',
        ),
      )
    }
    request.log.error({ err: error }, 'unhandled error')
    return sendProblem(
      reply,
      problem(
        500,
        'internal_error',
        `Something went wrong on our side. Quote request id ${request.id} when reporting it.`,
      ),
    )
  })

  app.setNotFoundHandler((request, reply) => {
    return sendProblem(
      reply,
      problem(404, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
    )
  })
}

// Graph and identity-platform error bodies, shaped like the real ones (providers.md B, B4, B5).
import { randomUUID } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Thrown inside handlers; rendered by the emulator's error handler as a Graph error body. */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** Graph's error envelope; the SDK's GraphErrorHandler reads innerError.request-id and innerError.date. */
export function graphErrorBody(
  code: string,
  message: string,
  requestId: string,
  clientRequestId: string,
  now: number,
) {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date(now).toISOString().replace(/\.\d{3}Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  }
}

export function sendGraphError(
  req: FastifyRequest,
  reply: FastifyReply,
  now: number,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): FastifyReply {
  const requestId = randomUUID()
  const clientHeader = req.headers['client-request-id']
  const clientRequestId = typeof clientHeader === 'string' ? clientHeader : requestId
  return reply
    .code(status)
    .headers({ ...headers, 'request-id': requestId, 'client-request-id': clientRequestId })
    .type('application/json')
    .send(graphErrorBody(code, message, requestId, clientRequestId, now))
}

/** The code and message Graph uses for a status forced by fault injection. */
export function faultError(status: number): { code: string; message: string } {
  switch (status) {
    case 400:
      return { code: 'BadRequest', message: 'Bad request.' }
    case 401:
      return { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' }
    case 403:
      return { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' }
    case 404:
      return { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' }
    case 409:
      return {
        code: 'ErrorIrresolvableConflict',
        message: 'The send or update operation could not be performed.',
      }
    case 410:
      return { code: 'SyncStateNotFound', message: 'The sync state generation is not found.' }
    case 412:
      return {
        code: 'ErrorIrresolvableConflict',
        message: 'The change key passed in the request does not match.',
      }
    case 429:
      return { code: 'TooManyRequests', message: 'Please retry again later.' }
    case 500:
      return { code: 'generalException', message: 'An internal server error occurred.' }
    case 502:
      return { code: 'BadGateway', message: 'Bad gateway.' }
    case 503:
      return {
        code: 'serviceNotAvailable',
        message: 'The service is temporarily unavailable. Please retry later.',
      }
    case 504:
      return { code: 'GatewayTimeout', message: 'The gateway timed out.' }
    default:
      return { code: status >= 500 ? 'generalException' : 'BadRequest', message: `Injected fault ${status}.` }
  }
}

/** Thrown by the OAuth endpoints; rendered as the identity platform's `{error, error_description, error_codes…}`. */
export class AadError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    readonly description: string,
  ) {
    super(description)
  }
}

export function aadErrorBody(err: { error: string; aadsts: number; description: string }, now: number) {
  const traceId = randomUUID()
  const correlationId = randomUUID()
  const timestamp = new Date(now)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z')
  return {
    error: err.error,
    error_description:
      `AADSTS${err.aadsts}: ${err.description} Trace ID: ${traceId} Correlation ID: ${correlationId} ` +
      `Timestamp: ${timestamp}`,
    error_codes: [err.aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${err.aadsts}`,
  }
}

// The /v1 routes of the OpenAPI document as calls with one account's ids, for the tenant-isolation tests: driven by
// the document so that a new route cannot be forgotten (an unknown path throws until it is added here).
import { contactBody } from './factories.js'

/** One id of each kind of resource an account owns. */
export interface AccountIds {
  assistant: string
  client: string
  contact: string
  meetingType: string
  apiKey: string
  connection: string
  booking: string
  bookingLink: string
  webhookEndpoint: string
  webhookDelivery: string
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>
}

export interface OpenApiOperation {
  parameters?: { in: string; name: string; required?: boolean }[]
  requestBody?: { content: Record<string, { schema: unknown }> }
}

export interface RouteCall {
  method: string
  /** The path template of the document, e.g. `/v1/clients/{id}`. */
  path: string
  /** The path filled with ids, with a query string that passes validation where one is required. */
  url: string
  /** A body that passes validation, so the request reaches the lookup (undefined: none). */
  body: unknown
}

/** The account-wide lists: each must show the caller's rows and never another account's. */
export const LIST_PATHS = [
  '/v1/assistants',
  '/v1/clients',
  '/v1/meeting-types',
  '/v1/api-keys',
  '/v1/bookings',
  '/v1/booking-links',
  '/v1/webhook-endpoints',
]

/** Which of the account's ids fills each path parameter, per path template. */
export function idsFor(path: string, ids: AccountIds): Record<string, string> {
  if (path.startsWith('/v1/clients/{clientId}/contacts')) return { clientId: ids.client, id: ids.contact }
  if (path.startsWith('/v1/clients')) return { id: ids.client, clientId: ids.client }
  if (path.startsWith('/v1/assistants')) return { id: ids.assistant }
  if (path.startsWith('/v1/meeting-types')) return { id: ids.meetingType }
  if (path.startsWith('/v1/api-keys')) return { id: ids.apiKey }
  if (path.startsWith('/v1/connections')) return { id: ids.connection }
  if (path.startsWith('/v1/bookings')) return { id: ids.booking }
  if (path.startsWith('/v1/booking-links')) return { id: ids.bookingLink }
  if (path.startsWith('/v1/webhook-endpoints'))
    return { id: ids.webhookEndpoint, deliveryId: ids.webhookDelivery }
  throw new Error(
    `the isolation tests do not know the ids of ${path}: add it to test/helpers/isolation-routes.ts`,
  )
}

/** A query string that passes validation, for routes that require one. */
export function queryFor(path: string): string {
  return path.endsWith('/busy') ? '?from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z' : ''
}

/** A body that passes validation, so the request reaches the lookup. */
export function bodyFor(method: string, path: string): unknown {
  if (method === 'patch') return {}
  if (method === 'post' && path === '/v1/clients/{clientId}/contacts') return contactBody()
  if (method === 'post' && path.endsWith('}/connections')) return { provider: 'google' }
  if (method === 'post' && path === '/v1/bookings/{id}/reschedule') return { start: '2026-06-03T10:00:00Z' }
  if (method === 'post') return {}
  return undefined
}

/** Every (path, method) of the document under /v1. */
export function v1Operations(
  spec: OpenApiDocument,
): { path: string; method: string; operation: OpenApiOperation }[] {
  const out: { path: string; method: string; operation: OpenApiOperation }[] = []
  for (const [path, operations] of Object.entries(spec.paths)) {
    if (!path.startsWith('/v1/')) continue
    for (const [method, operation] of Object.entries(operations)) out.push({ path, method, operation })
  }
  return out
}

/** Every /v1 route with a path id, as a call filled with `ids` (another account's, in the tests). */
export function routesWithPathIds(spec: OpenApiDocument, ids: AccountIds): RouteCall[] {
  return v1Operations(spec)
    .filter(({ path }) => path.includes('{'))
    .map(({ path, method }) => {
      const values = idsFor(path, ids)
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => values[name]!) + queryFor(path)
      return { method, path, url, body: bodyFor(method, path) }
    })
}

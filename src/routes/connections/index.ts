// Routes: calendar connections (/v1/.../connections) and the public OAuth callbacks (/oauth/{provider}/callback).
import { Type } from 'typebox'
import type { Owner } from '../../db/repositories/calendars.js'
import type { Deps } from '../../deps.js'
import { IdempotencyHeadersSchema, idempotently } from '../../plugins/idempotency.js'
import * as connections from '../../services/connections.js'
import type { ProviderName } from '../../sync/provider.js'
import { type App, bearerSecurity, IdParamsSchema, problems } from '../common.js'
import {
  AuthorizationSchema,
  CalendarListSchema,
  CallbackQuerySchema,
  ConnectionListSchema,
  ConnectionSchema,
  StartConnectionBodySchema,
  UpdateConnectionBodySchema,
} from './schemas.js'

const tags = ['connections']

export function registerConnectionRoutes(app: App, deps: Deps): void {
  for (const ownerType of ['client', 'assistant'] as const) {
    app.post(
      `/v1/${ownerType}s/:id/connections`,
      {
        schema: {
          tags,
          summary: `Connect a calendar of ${ownerType === 'client' ? 'a client' : 'an assistant'}`,
          description:
            'Returns the provider’s consent URL (offline access, calendar read and write) carrying a signed state ' +
            'that expires in 10 minutes. After consent, the callback stores the tokens encrypted, takes the ' +
            'primary calendar as busy and destination, and imports its busy time.',
          security: bearerSecurity,
          params: IdParamsSchema,
          headers: IdempotencyHeadersSchema,
          body: StartConnectionBodySchema,
          response: { 201: AuthorizationSchema, ...problems(400, 401, 404, 409, 413, 415) },
        },
      },
      async (request, reply) => {
        const owner: Owner = { type: ownerType, id: request.params.id }
        reply.code(201)
        return idempotently(deps, request, reply, (d) =>
          connections.startConnection(d, request.accountId, owner, request.body.provider),
        )
      },
    )

    app.get(
      `/v1/${ownerType}s/:id/connections`,
      {
        schema: {
          tags,
          summary: `List the calendar connections of ${ownerType === 'client' ? 'a client' : 'an assistant'}`,
          security: bearerSecurity,
          params: IdParamsSchema,
          response: { 200: ConnectionListSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) =>
        connections.listConnections(deps, request.accountId, { type: ownerType, id: request.params.id }),
    )
  }

  app.get(
    '/v1/connections/:id',
    {
      schema: {
        tags,
        summary: 'Get a connection',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 200: ConnectionSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => connections.getConnection(deps, request.accountId, request.params.id),
  )

  app.get(
    '/v1/connections/:id/calendars',
    {
      schema: {
        tags,
        summary: 'List the calendars of a connection',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 200: CalendarListSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => connections.listCalendars(deps, request.accountId, request.params.id),
  )

  app.patch(
    '/v1/connections/:id',
    {
      schema: {
        tags,
        summary: 'Choose busy and destination calendars',
        description:
          'Calendars that become busy are imported at once; calendars that stop being busy stop counting.',
        security: bearerSecurity,
        params: IdParamsSchema,
        body: UpdateConnectionBodySchema,
        response: { 200: ConnectionSchema, ...problems(400, 401, 404, 413, 415) },
      },
    },
    async (request) => connections.updateConnection(deps, request.accountId, request.params.id, request.body),
  )

  app.post(
    '/v1/connections/:id/sync',
    {
      schema: {
        tags,
        summary: 'Sync a connection now',
        description:
          'Fetches the changes of every busy calendar since its last sync; an expired provider cursor triggers a ' +
          'full import. A provider failure is reported in `status` and `lastError`; `409 reauth_required` when ' +
          'the owner must connect again.',
        security: bearerSecurity,
        params: IdParamsSchema,
        // Not replayed through the idempotency store: that would hold a transaction across provider calls, and a
        // sync is idempotent by nature (a repeat fetches what changed since, usually nothing).
        headers: Type.Object({
          'idempotency-key': Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 255,
              description:
                'Accepted like on every POST; a sync is safe to repeat, so a repeat simply syncs again.',
            }),
          ),
        }),
        response: { 200: ConnectionSchema, ...problems(400, 401, 404, 409) },
      },
    },
    async (request) => connections.syncConnection(deps, request.accountId, request.params.id),
  )

  app.delete(
    '/v1/connections/:id',
    {
      schema: {
        tags,
        summary: 'Disconnect a calendar',
        description:
          'Revokes the grant at the provider (best effort), deletes the tokens and the imported events; the ' +
          'calendar stops counting for availability.',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 204: Type.Null({ description: 'Disconnected.' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await connections.deleteConnection(deps, request.accountId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(title: string, message: string, code?: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head>' +
    `<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">` +
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>` +
    (code ? `<p><small>Code: <code>${escapeHtml(code)}</code></small></p>` : '') +
    '</body></html>'
  )
}

const HtmlResponse = (description: string) =>
  ({ description, content: { 'text/html': { schema: { type: 'string' } } } }) as unknown as ReturnType<
    typeof Type.String
  >

/** Public: the provider sends the owner's browser here. Answers a page, never a 5xx, for every outcome. */
export function registerOAuthCallbackRoutes(app: App, deps: Deps): void {
  for (const provider of ['google', 'microsoft'] as const satisfies readonly ProviderName[]) {
    app.get(
      `/oauth/${provider}/callback`,
      {
        schema: {
          tags,
          summary: `OAuth callback of ${provider === 'google' ? 'Google' : 'Microsoft'}`,
          description:
            'The provider redirects the calendar owner here with `code` and `state`. The state must be ours, ' +
            'unaltered and at most 10 minutes old.',
          querystring: CallbackQuerySchema,
          response: {
            200: HtmlResponse('Connected: a page saying the tab can be closed.'),
            400: HtmlResponse('A page explaining why nothing was connected (declined, bad or expired link).'),
          },
        },
      },
      async (request, reply) => {
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-store')
        try {
          const done = await connections.completeConnection(deps, provider, request.query)
          return page(
            'Calendar connected',
            `${done.accountEmail ?? 'Your calendar'} is connected. You can close this tab.`,
          )
        } catch (err) {
          const code =
            err instanceof connections.OAuthCallbackError
              ? err.code
              : (err as { code?: string }).code === 'encryption_key_missing'
                ? 'encryption_key_missing'
                : null
          if (code === null) {
            request.log.error({ err }, 'OAuth callback failed')
            return reply
              .code(400)
              .send(
                page(
                  'Calendar not connected',
                  'Something went wrong on our side. Try connecting again.',
                  'internal_error',
                ),
              )
          }
          return reply.code(400).send(page('Calendar not connected', (err as Error).message, code))
        }
      },
    )
  }
}

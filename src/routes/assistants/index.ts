// Routes: /v1/assistants CRUD.
import { Type } from 'typebox'
import type { Deps } from '../../deps.js'
import { IdempotencyHeadersSchema, idempotently } from '../../plugins/idempotency.js'
import * as people from '../../services/people.js'
import { type App, bearerSecurity, IdParamsSchema, PageQuerySchema, pageOf, problems } from '../common.js'
import { AssistantSchema, CreateAssistantBodySchema, UpdateAssistantBodySchema } from './schemas.js'

const tags = ['assistants']

export function registerAssistantRoutes(app: App, deps: Deps): void {
  app.post(
    '/v1/assistants',
    {
      schema: {
        tags,
        summary: 'Create an assistant',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        body: CreateAssistantBodySchema,
        response: { 201: AssistantSchema, ...problems(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      reply.code(201)
      return idempotently(deps, request, reply, (d) =>
        people.createAssistant(d, request.accountId, request.body),
      )
    },
  )

  app.get(
    '/v1/assistants',
    {
      schema: {
        tags,
        summary: 'List assistants',
        security: bearerSecurity,
        querystring: Type.Object(PageQuerySchema, { additionalProperties: false }),
        response: { 200: pageOf(AssistantSchema), ...problems(400, 401) },
      },
    },
    async (request) => people.listAssistants(deps, request.accountId, request.query),
  )

  app.get(
    '/v1/assistants/:id',
    {
      schema: {
        tags,
        summary: 'Get an assistant',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 200: AssistantSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => people.getAssistant(deps, request.accountId, request.params.id),
  )

  app.patch(
    '/v1/assistants/:id',
    {
      schema: {
        tags,
        summary: 'Update an assistant',
        security: bearerSecurity,
        params: IdParamsSchema,
        body: UpdateAssistantBodySchema,
        response: { 200: AssistantSchema, ...problems(400, 401, 404, 413, 415) },
      },
    },
    async (request) => people.updateAssistant(deps, request.accountId, request.params.id, request.body),
  )

  app.delete(
    '/v1/assistants/:id',
    {
      schema: {
        tags,
        summary: 'Delete an assistant',
        description: 'Refused with 409 `assistant_in_use` while clients have this assistant in charge.',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problems(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      await people.deleteAssistant(deps, request.accountId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}

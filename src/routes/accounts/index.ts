// Routes: POST /admin/v1/accounts (admin token) and the account's API keys under /v1/api-keys.
import { Type } from 'typebox'
import type { Deps } from '../../deps.js'
import { IdempotencyHeadersSchema, idempotently } from '../../plugins/idempotency.js'
import * as accounts from '../../services/accounts.js'
import { type App, bearerSecurity, IdParamsSchema, problems } from '../common.js'
import {
  ApiKeySchema,
  CreateAccountBodySchema,
  CreateApiKeyBodySchema,
  CreatedAccountSchema,
  NewApiKeySchema,
} from './schemas.js'

export function registerAdminRoutes(app: App, deps: Deps): void {
  app.post(
    '/admin/v1/accounts',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create an account',
        description: 'Creates a VA business and its first API key (shown once). Needs the admin token.',
        security: [{ adminToken: [] }],
        body: CreateAccountBodySchema,
        response: { 201: CreatedAccountSchema, ...problems(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      reply.code(201)
      return accounts.createAccount(deps, request.body.name)
    },
  )
}

export function registerApiKeyRoutes(app: App, deps: Deps): void {
  app.get(
    '/v1/api-keys',
    {
      schema: {
        tags: ['api keys'],
        summary: 'List API keys',
        description: 'The account’s keys, live and revoked, by prefix only.',
        security: bearerSecurity,
        response: {
          200: Type.Object({
            data: Type.Array(ApiKeySchema, { description: 'Every key of the account, oldest first.' }),
          }),
          ...problems(401),
        },
      },
    },
    async (request) => ({ data: await accounts.listApiKeys(deps, request.accountId) }),
  )

  app.post(
    '/v1/api-keys',
    {
      schema: {
        tags: ['api keys'],
        summary: 'Create an API key',
        description: 'The response holds the key; it is stored hashed and never shown again.',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        body: CreateApiKeyBodySchema,
        response: { 201: NewApiKeySchema, ...problems(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      reply.code(201)
      return idempotently(deps, request, reply, (d) =>
        accounts.createApiKey(d, request.accountId, request.body.name),
      )
    },
  )

  app.delete(
    '/v1/api-keys/:id',
    {
      schema: {
        tags: ['api keys'],
        summary: 'Revoke an API key',
        description: 'Revoked keys stop working at once and stay listed with `revokedAt`.',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 204: Type.Null({ description: 'Revoked.' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await accounts.revokeApiKey(deps, request.accountId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}

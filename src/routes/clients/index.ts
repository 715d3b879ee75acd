// Routes: /v1/clients CRUD and /v1/clients/{clientId}/contacts CRUD.
import { Type } from 'typebox'
import type { Deps } from '../../deps.js'
import { IdempotencyHeadersSchema, idempotently } from '../../plugins/idempotency.js'
import * as people from '../../services/people.js'
import { type App, bearerSecurity, IdParamsSchema, PageQuerySchema, pageOf, problems } from '../common.js'
import {
  ClientParamsSchema,
  ClientSchema,
  ContactParamsSchema,
  ContactSchema,
  CreateClientBodySchema,
  CreateContactBodySchema,
  ListClientsQuerySchema,
  UpdateClientBodySchema,
  UpdateContactBodySchema,
} from './schemas.js'

export function registerClientRoutes(app: App, deps: Deps): void {
  const tags = ['clients']

  app.post(
    '/v1/clients',
    {
      schema: {
        tags,
        summary: 'Create a client',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        body: CreateClientBodySchema,
        response: { 201: ClientSchema, ...problems(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      reply.code(201)
      return idempotently(deps, request, reply, (d) =>
        people.createClient(d, request.accountId, request.body),
      )
    },
  )

  app.get(
    '/v1/clients',
    {
      schema: {
        tags,
        summary: 'List clients',
        security: bearerSecurity,
        querystring: Type.Object(
          { ...PageQuerySchema, ...ListClientsQuerySchema },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(ClientSchema), ...problems(400, 401) },
      },
    },
    async (request) => {
      const { assistantId, ...page } = request.query
      return people.listClients(deps, request.accountId, { assistantId }, page)
    },
  )

  app.get(
    '/v1/clients/:id',
    {
      schema: {
        tags,
        summary: 'Get a client',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 200: ClientSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => people.getClient(deps, request.accountId, request.params.id),
  )

  app.patch(
    '/v1/clients/:id',
    {
      schema: {
        tags,
        summary: 'Update a client',
        security: bearerSecurity,
        params: IdParamsSchema,
        body: UpdateClientBodySchema,
        response: { 200: ClientSchema, ...problems(400, 401, 404, 413, 415) },
      },
    },
    async (request) => people.updateClient(deps, request.accountId, request.params.id, request.body),
  )

  app.delete(
    '/v1/clients/:id',
    {
      schema: {
        tags,
        summary: 'Delete a client',
        description:
          'Soft delete: the client, its contacts and meeting types disappear from the API; its bookings are kept on record.',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await people.deleteClient(deps, request.accountId, request.params.id)
      return reply.code(204).send(null)
    },
  )

  registerContactRoutes(app, deps)
}

function registerContactRoutes(app: App, deps: Deps): void {
  const tags = ['contacts']

  app.post(
    '/v1/clients/:clientId/contacts',
    {
      schema: {
        tags,
        summary: 'Create a contact of a client',
        security: bearerSecurity,
        params: ClientParamsSchema,
        headers: IdempotencyHeadersSchema,
        body: CreateContactBodySchema,
        response: { 201: ContactSchema, ...problems(400, 401, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      reply.code(201)
      return idempotently(deps, request, reply, (d) =>
        people.createContact(d, request.accountId, request.params.clientId, request.body),
      )
    },
  )

  app.get(
    '/v1/clients/:clientId/contacts',
    {
      schema: {
        tags,
        summary: 'List the contacts of a client',
        security: bearerSecurity,
        params: ClientParamsSchema,
        querystring: Type.Object(PageQuerySchema, { additionalProperties: false }),
        response: { 200: pageOf(ContactSchema), ...problems(400, 401, 404) },
      },
    },
    async (request) => people.listContacts(deps, request.accountId, request.params.clientId, request.query),
  )

  app.get(
    '/v1/clients/:clientId/contacts/:id',
    {
      schema: {
        tags,
        summary: 'Get a contact',
        security: bearerSecurity,
        params: ContactParamsSchema,
        response: { 200: ContactSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => people.getContact(deps, request.accountId, request.params.clientId, request.params.id),
  )

  app.patch(
    '/v1/clients/:clientId/contacts/:id',
    {
      schema: {
        tags,
        summary: 'Update a contact',
        security: bearerSecurity,
        params: ContactParamsSchema,
        body: UpdateContactBodySchema,
        response: { 200: ContactSchema, ...problems(400, 401, 404, 409, 413, 415) },
      },
    },
    async (request) =>
      people.updateContact(deps, request.accountId, request.params.clientId, request.params.id, request.body),
  )

  app.delete(
    '/v1/clients/:clientId/contacts/:id',
    {
      schema: {
        tags,
        summary: 'Delete a contact',
        description: 'Soft delete: bookings with this contact are kept.',
        security: bearerSecurity,
        params: ContactParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await people.deleteContact(deps, request.accountId, request.params.clientId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}

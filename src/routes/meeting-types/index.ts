// Routes: /v1/meeting-types CRUD.
import { Type } from 'typebox'
import type { Deps } from '../../deps.js'
import { IdempotencyHeadersSchema, idempotently } from '../../plugins/idempotency.js'
import * as meetingTypes from '../../services/meeting-types.js'
import { type App, bearerSecurity, IdParamsSchema, PageQuerySchema, pageOf, problems } from '../common.js'
import {
  CreateMeetingTypeBodySchema,
  ListMeetingTypesQuerySchema,
  MeetingTypeSchema,
  UpdateMeetingTypeBodySchema,
} from './schemas.js'

const tags = ['meeting types']

export function registerMeetingTypeRoutes(app: App, deps: Deps): void {
  app.post(
    '/v1/meeting-types',
    {
      schema: {
        tags,
        summary: 'Create a meeting type',
        description: 'Unset settings take the defaults given on each field.',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        body: CreateMeetingTypeBodySchema,
        response: { 201: MeetingTypeSchema, ...problems(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      reply.code(201)
      return idempotently(deps, request, reply, (d) =>
        meetingTypes.createMeetingType(d, request.accountId, request.body),
      )
    },
  )

  app.get(
    '/v1/meeting-types',
    {
      schema: {
        tags,
        summary: 'List meeting types',
        security: bearerSecurity,
        querystring: Type.Object(
          { ...PageQuerySchema, ...ListMeetingTypesQuerySchema },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(MeetingTypeSchema), ...problems(400, 401) },
      },
    },
    async (request) => {
      const { clientId, ...page } = request.query
      return meetingTypes.listMeetingTypes(deps, request.accountId, { clientId }, page)
    },
  )

  app.get(
    '/v1/meeting-types/:id',
    {
      schema: {
        tags,
        summary: 'Get a meeting type',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 200: MeetingTypeSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => meetingTypes.getMeetingType(deps, request.accountId, request.params.id),
  )

  app.patch(
    '/v1/meeting-types/:id',
    {
      schema: {
        tags,
        summary: 'Update a meeting type',
        security: bearerSecurity,
        params: IdParamsSchema,
        body: UpdateMeetingTypeBodySchema,
        response: { 200: MeetingTypeSchema, ...problems(400, 401, 404, 413, 415) },
      },
    },
    async (request) =>
      meetingTypes.updateMeetingType(deps, request.accountId, request.params.id, request.body),
  )

  app.delete(
    '/v1/meeting-types/:id',
    {
      schema: {
        tags,
        summary: 'Delete a meeting type',
        description: 'Soft delete: existing bookings of this type are kept.',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await meetingTypes.deleteMeetingType(deps, request.accountId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}

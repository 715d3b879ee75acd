// Routes: /v1/booking-links create, list, read, revoke.
import { Type } from 'typebox'
import type { Deps } from '../../deps.js'
import { IdempotencyHeadersSchema, idempotently } from '../../plugins/idempotency.js'
import * as links from '../../services/booking-links.js'
import {
  type App,
  bearerSecurity,
  IdParamsSchema,
  IdSchema,
  InstantOutSchema,
  InstantSchema,
  NullableInstantOutSchema,
  problems,
} from '../common.js'

const tags = ['booking links']

const BookingLinkSchema = Type.Object(
  {
    id: IdSchema,
    meetingTypeId: { ...IdSchema, description: 'The meeting type the link books.' },
    contactId: Type.Union([IdSchema, Type.Null()], {
      description: 'The contact the link is for; null for anyone.',
    }),
    expiresAt: NullableInstantOutSchema('After this instant the link no longer books; null for never.'),
    maxUses: Type.Union([Type.Integer(), Type.Null()], {
      description: 'How many bookings the link makes at most; null for no limit.',
    }),
    uses: Type.Integer({ description: 'Bookings made through the link so far.' }),
    revokedAt: NullableInstantOutSchema('When the link was revoked; null while live.'),
    createdAt: InstantOutSchema,
  },
  {
    description:
      'A secret URL for one meeting type. The token itself is only shown when the link is created.',
  },
)

const NewBookingLinkSchema = Type.Object(
  {
    ...BookingLinkSchema.properties,
    token: Type.String({ description: 'The link’s secret (≥128 random bits), shown once; stored hashed.' }),
    url: Type.String({ description: 'The booking page to send: `{PUBLIC_BASE_URL}/b/{token}`.' }),
  },
  { description: 'A new booking link with its token and URL (shown once).' },
)

const CreateBookingLinkBodySchema = Type.Object(
  {
    meetingTypeId: { ...IdSchema, description: 'The meeting type to book.' },
    contactId: Type.Optional({
      ...IdSchema,
      description: 'Make the link for one contact of the client (pre-filled, their zone applies).',
    }),
    expiresAt: Type.Optional({ ...InstantSchema, description: 'When the link stops working.' }),
    maxUses: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100_000, description: 'How many bookings it may make.' }),
    ),
  },
  { additionalProperties: false },
)

export function registerBookingLinkRoutes(app: App, deps: Deps): void {
  app.post(
    '/v1/booking-links',
    {
      schema: {
        tags,
        summary: 'Create a booking link',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        body: CreateBookingLinkBodySchema,
        response: { 201: NewBookingLinkSchema, ...problems(400, 401, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      reply.code(201)
      return idempotently(deps, request, reply, (d) =>
        links.createBookingLink(d, request.accountId, request.body),
      )
    },
  )

  app.get(
    '/v1/booking-links',
    {
      schema: {
        tags,
        summary: 'List booking links',
        description: 'The newest 500 links, optionally of one meeting type. Tokens are never shown again.',
        security: bearerSecurity,
        querystring: Type.Object(
          { meetingTypeId: Type.Optional({ ...IdSchema, description: 'Only links of this meeting type.' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(BookingLinkSchema, { description: 'The links.' }) }),
          ...problems(400, 401),
        },
      },
    },
    async (request) => ({ data: await links.listBookingLinks(deps, request.accountId, request.query) }),
  )

  app.get(
    '/v1/booking-links/:id',
    {
      schema: {
        tags,
        summary: 'Get a booking link',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 200: BookingLinkSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => links.getBookingLink(deps, request.accountId, request.params.id),
  )

  app.delete(
    '/v1/booking-links/:id',
    {
      schema: {
        tags,
        summary: 'Revoke a booking link',
        description:
          'The link stops working at once; its page says it was withdrawn. Bookings made through it stay.',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 204: Type.Null({ description: 'Revoked.' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await links.revokeBookingLink(deps, request.accountId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}

// Routes: /v1/webhook-endpoints (app webhooks, SPEC 1.7): create, list, read, update, delete, rotate the secret,
// list deliveries, redeliver.
import { Type } from 'typebox'
import type { Deps } from '../../deps.js'
import { IdempotencyHeadersSchema, idempotently } from '../../plugins/idempotency.js'
import * as webhooks from '../../services/webhooks.js'
import {
  type App,
  bearerSecurity,
  IdParamsSchema,
  IdSchema,
  InstantOutSchema,
  NullableInstantOutSchema,
  PageQuerySchema,
  pageOf,
  problems,
} from '../common.js'

const tags = ['webhook endpoints']

const EventSchema = Type.Union(
  [
    Type.Literal('booking.created'),
    Type.Literal('booking.rescheduled'),
    Type.Literal('booking.cancelled'),
    Type.Literal('booking.conflict'),
    Type.Literal('booking.sync_failed'),
    Type.Literal('connection.reauth_required'),
  ],
  {
    description:
      'An event type: `booking.created`, `booking.rescheduled`, `booking.cancelled`, `booking.conflict` (a calendar event now overlaps a booking), `booking.sync_failed`, `connection.reauth_required`.',
  },
)

const UrlSchema = Type.String({
  minLength: 1,
  maxLength: 2000,
  description:
    'Where events are POSTed: an http(s) URL. Loopback, private and link-local addresses are refused unless `WEBHOOK_ALLOW_PRIVATE_URLS` is set; a name is checked again on every delivery.',
  examples: ['https://app.example.com/hooks/officehours'],
})

const EventsSchema = Type.Array(EventSchema, {
  minItems: 1,
  maxItems: 6,
  description: 'The events this endpoint receives.',
})

const DescriptionSchema = Type.String({ maxLength: 500, description: 'What the endpoint is for.' })

const WebhookEndpointSchema = Type.Object(
  {
    id: IdSchema,
    url: UrlSchema,
    events: EventsSchema,
    description: Type.Union([DescriptionSchema, Type.Null()], {
      description: 'What the endpoint is for; null for nothing.',
    }),
    enabled: Type.Boolean({
      description:
        'False: nothing is delivered to it; pending retries end as `failed` (redeliver them after enabling it again).',
    }),
    status: Type.Union([Type.Literal('active'), Type.Literal('failing')], {
      description:
        '`failing` once a delivery ran out of retries (over 24 h); back to `active` at the next successful delivery.',
    }),
    failingSince: NullableInstantOutSchema('When the endpoint became `failing`; null while active.'),
    createdAt: InstantOutSchema,
    updatedAt: InstantOutSchema,
  },
  { description: 'An app’s webhook endpoint. Its signing secret is only shown at creation and rotation.' },
)

const WebhookEndpointWithSecretSchema = Type.Object(
  {
    ...WebhookEndpointSchema.properties,
    secret: Type.String({
      description:
        'The signing secret (`whsec_…`, Standard Webhooks form), shown this once; stored encrypted. Pass it to a Standard Webhooks library to verify deliveries.',
    }),
  },
  { description: 'A webhook endpoint with its signing secret (shown once).' },
)

const DeliverySchema = Type.Object(
  {
    id: IdSchema,
    endpointId: { ...IdSchema, description: 'The endpoint delivered to.' },
    eventId: {
      ...IdSchema,
      description: 'The event’s id, sent as `webhook-id` on every attempt: deduplicate on it.',
    },
    eventType: EventSchema,
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')], {
      description: '`pending` while attempts remain, `delivered` after a 2xx, `failed` after the last retry.',
    }),
    attempts: Type.Integer({ description: 'Attempts made so far (a redelivery starts again at 0).' }),
    lastResponseCode: Type.Union([Type.Integer(), Type.Null()], {
      description: 'HTTP status of the last attempt; null if it got no answer (timeout, refused).',
    }),
    lastError: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the last attempt failed; null after a success.',
    }),
    lastAttemptAt: NullableInstantOutSchema('When the last attempt was made.'),
    nextAttemptAt: NullableInstantOutSchema('When the next attempt is due; null when none is.'),
    deliveredAt: NullableInstantOutSchema('When a 2xx answer was received.'),
    createdAt: InstantOutSchema,
    updatedAt: InstantOutSchema,
  },
  { description: 'One event’s delivery to one endpoint.' },
)

const DeliveryParamsSchema = Type.Object(
  { id: IdSchema, deliveryId: { ...IdSchema, description: 'The delivery.' } },
  { additionalProperties: false },
)

export function registerWebhookEndpointRoutes(app: App, deps: Deps): void {
  app.post(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Register a webhook endpoint',
        description:
          'Events are POSTed as `{ type, timestamp, data }` with `webhook-id`, `webhook-timestamp` and `webhook-signature` headers (Standard Webhooks) and retried for over 24 h.',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        body: Type.Object(
          { url: UrlSchema, events: EventsSchema, description: Type.Optional(DescriptionSchema) },
          { additionalProperties: false },
        ),
        response: { 201: WebhookEndpointWithSecretSchema, ...problems(400, 401, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      reply.code(201)
      return idempotently(deps, request, reply, (d) =>
        webhooks.createEndpoint(d, request.accountId, request.body),
      )
    },
  )

  app.get(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'List webhook endpoints',
        security: bearerSecurity,
        querystring: Type.Object({ ...PageQuerySchema }, { additionalProperties: false }),
        response: { 200: pageOf(WebhookEndpointSchema), ...problems(400, 401) },
      },
    },
    async (request) => webhooks.listEndpoints(deps, request.accountId, request.query),
  )

  app.get(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Get a webhook endpoint',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 200: WebhookEndpointSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => webhooks.getEndpoint(deps, request.accountId, request.params.id),
  )

  app.patch(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Update a webhook endpoint',
        description:
          'Change the URL, the events or the description, or stop deliveries with `enabled: false` (pending retries end as `failed`).',
        security: bearerSecurity,
        params: IdParamsSchema,
        body: Type.Object(
          {
            url: Type.Optional(UrlSchema),
            events: Type.Optional(EventsSchema),
            description: Type.Optional(
              Type.Union([DescriptionSchema, Type.Null()], {
                description: 'What the endpoint is for; null for nothing.',
              }),
            ),
            enabled: Type.Optional(Type.Boolean({ description: 'False pauses deliveries.' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: WebhookEndpointSchema, ...problems(400, 401, 404, 413, 415) },
      },
    },
    async (request) => webhooks.updateEndpoint(deps, request.accountId, request.params.id, request.body),
  )

  app.delete(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Delete a webhook endpoint',
        description: 'Deliveries stop at once and its delivery history is removed.',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await webhooks.deleteEndpoint(deps, request.accountId, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/v1/webhook-endpoints/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Rotate the signing secret',
        description: 'Returns a new secret, shown once; every delivery from now on is signed with it.',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        params: IdParamsSchema,
        response: { 200: WebhookEndpointWithSecretSchema, ...problems(400, 401, 404, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      idempotently(deps, request, reply, (d) =>
        webhooks.rotateSecret(d, request.accountId, request.params.id),
      ),
  )

  app.get(
    '/v1/webhook-endpoints/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'List deliveries of an endpoint',
        description: 'Every event sent to the endpoint, answered or not, oldest first.',
        security: bearerSecurity,
        params: IdParamsSchema,
        querystring: Type.Object(
          {
            ...PageQuerySchema,
            status: Type.Optional(
              Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')], {
                description: 'Only deliveries in this state.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(DeliverySchema), ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const { status, ...page } = request.query
      return webhooks.listDeliveries(deps, request.accountId, request.params.id, { status }, page)
    },
  )

  app.post(
    '/v1/webhook-endpoints/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        tags,
        summary: 'Redeliver an event',
        description:
          'Starts a fresh round of attempts (same `webhook-id`, same retry schedule), made by a worker within moments.',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        params: DeliveryParamsSchema,
        response: { 202: DeliverySchema, ...problems(400, 401, 404, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      reply.code(202)
      return idempotently(deps, request, reply, (d) =>
        webhooks.redeliver(d, request.accountId, request.params.id, request.params.deliveryId),
      )
    },
  )
}

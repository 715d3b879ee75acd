// Routes: the public JSON API behind the booking and manage pages. A token is the only credential; answers
// reveal free slots and the contact's own booking, nothing else. Rate-limited per IP and per token.
import { createHash } from 'node:crypto'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Deps } from '../../deps.js'
import * as links from '../../services/booking-links.js'
import {
  type App,
  EmailSchema,
  IdSchema,
  InstantOutSchema,
  InstantSchema,
  NameSchema,
  NullableInstantOutSchema,
  problems,
  TimeZoneSchema,
} from '../common.js'

const tags = ['public']

export interface PublicRateLimits {
  /** Requests per minute from one IP to the public API. */
  perIp: number
  /** Requests per minute with one token. */
  perToken: number
  /** Bookings, reschedules and cancels per minute with one token. */
  writesPerToken: number
}

export const DEFAULT_PUBLIC_RATE_LIMITS: PublicRateLimits = { perIp: 300, perToken: 120, writesPerToken: 10 }

const TokenParamsSchema = Type.Object(
  {
    token: Type.String({
      minLength: 16,
      maxLength: 128,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'The link or manage token.',
    }),
  },
  { additionalProperties: false },
)

const WindowQuerySchema = Type.Object(
  {
    from: { ...InstantSchema, description: 'Window start (inclusive).' },
    to: { ...InstantSchema, description: 'Window end (exclusive); at most 62 days after `from`.' },
    timeZone: Type.Optional({
      ...TimeZoneSchema,
      description: 'The browser’s zone, for contact hours when the contact’s zone is unknown.',
    }),
  },
  { additionalProperties: false },
)

const SlotsSchema = Type.Object({
  slots: Type.Array(
    Type.Object({
      start: Type.String({ format: 'date-time', description: 'Slot start (UTC).' }),
      end: Type.String({ format: 'date-time', description: 'Slot end (UTC).' }),
    }),
    { description: 'Free slots, sorted.' },
  ),
})

const MeetingSchema = Type.Object(
  {
    name: Type.String({ description: 'The meeting’s name.' }),
    durationMinutes: Type.Integer({ description: 'Its length.' }),
  },
  { description: 'The meeting type, as the contact sees it.' },
)

const ClientPublicSchema = Type.Object(
  {
    name: Type.String({ description: 'The client’s display name.' }),
    timeZone: Type.String({ description: 'The client’s zone.' }),
  },
  { description: 'Who the contact meets.' },
)

const LinkInfoSchema = Type.Object({
  meeting: MeetingSchema,
  client: ClientPublicSchema,
  contact: Type.Union(
    [
      Type.Object({
        name: Type.String({ description: 'Name.' }),
        email: Type.String({ description: 'Email.' }),
        timeZone: Type.Union([Type.String(), Type.Null()], { description: 'Zone, if known.' }),
      }),
      Type.Null(),
    ],
    { description: 'The contact the link is for, to pre-fill the form; null for an open link.' },
  ),
  expiresAt: NullableInstantOutSchema('When the link expires.'),
  horizonDays: Type.Integer({ description: 'How far ahead slots are offered.' }),
})

const PublicBookingSchema = Type.Object(
  {
    id: IdSchema,
    status: Type.Union([Type.Literal('confirmed'), Type.Literal('cancelled')], { description: 'Status.' }),
    start: { ...InstantOutSchema, description: 'Start (UTC).' },
    end: { ...InstantOutSchema, description: 'End (UTC).' },
    meeting: MeetingSchema,
    client: ClientPublicSchema,
    contact: Type.Object(
      {
        name: Type.String({ description: 'Name.' }),
        email: Type.String({ description: 'Email.' }),
        timeZone: Type.Union([Type.String(), Type.Null()], { description: 'Zone, if known.' }),
      },
      { description: 'The contact who booked.' },
    ),
  },
  { description: 'A booking as its contact sees it.' },
)

const BookedSchema = Type.Object({
  booking: { ...PublicBookingSchema, description: 'The booking made.' },
  manageToken: Type.String({ description: 'Token of the manage page (keep it: it is the only way back).' }),
  manageUrl: Type.String({ description: 'The page to reschedule or cancel.' }),
  icsUrl: Type.String({ description: 'The booking as an iCalendar file.' }),
})

const PublicBookingBodySchema = Type.Object(
  {
    start: { ...InstantSchema, description: 'A slot start from the slots list.' },
    name: NameSchema,
    email: EmailSchema,
    timeZone: Type.Optional({ ...TimeZoneSchema, description: 'The contact’s zone (the browser’s).' }),
    notes: Type.Optional(Type.String({ maxLength: 5000, description: 'Notes for the meeting.' })),
  },
  { additionalProperties: false },
)

function tokenKey(request: FastifyRequest): string {
  const token = (request.params as { token?: string }).token ?? ''
  return `token:${createHash('sha256').update(token).digest('base64url')}`
}

const limitExceeded = (_request: FastifyRequest, context: { after: string }) => ({
  // Thrown by the plugin and turned into a problem document (429 rate_limited) by the error seam.
  statusCode: 429,
  code: 'FST_RATE_LIMITED',
  message: `Too many requests; try again in ${context.after}.`,
})

/**
 * Three nested scopes, each with its own limiter, so every limit applies (one @fastify/rate-limit registration
 * runs one limiter per request): per IP on everything, per token on everything, and per token on writes.
 * Limits are per instance (an in-memory store): with N API instances a client gets up to N times as many.
 */
export async function registerPublicRoutes(app: App, deps: Deps, limits: PublicRateLimits): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: limits.perIp,
    timeWindow: 60_000,
    errorResponseBuilder: limitExceeded,
  })
  await app.register(async (reads: App) => {
    await reads.register(rateLimit, {
      global: true,
      max: limits.perToken,
      timeWindow: 60_000,
      keyGenerator: tokenKey,
      errorResponseBuilder: limitExceeded,
    })
    const linkProblems = problems(400, 404, 410, 429)

    reads.get(
      '/public/v1/links/:token',
      {
        schema: {
          tags,
          summary: 'A booking link’s meeting',
          params: TokenParamsSchema,
          response: { 200: LinkInfoSchema, ...linkProblems },
        },
      },
      async (request) => links.publicLink(deps, request.params.token),
    )

    reads.get(
      '/public/v1/links/:token/slots',
      {
        schema: {
          tags,
          summary: 'Free slots of a booking link',
          params: TokenParamsSchema,
          querystring: WindowQuerySchema,
          response: { 200: SlotsSchema, ...linkProblems },
        },
      },
      async (request) => links.publicLinkSlots(deps, request.params.token, request.query),
    )

    reads.get(
      '/public/v1/manage/:token',
      {
        schema: {
          tags,
          summary: 'A booking, by its manage token',
          params: TokenParamsSchema,
          response: { 200: PublicBookingSchema, ...linkProblems },
        },
      },
      async (request) => links.publicManage(deps, request.params.token),
    )

    reads.get(
      '/public/v1/manage/:token/slots',
      {
        schema: {
          tags,
          summary: 'Free slots to move a booking to',
          params: TokenParamsSchema,
          querystring: WindowQuerySchema,
          response: { 200: SlotsSchema, ...linkProblems },
        },
      },
      async (request) => links.publicManageSlots(deps, request.params.token, request.query),
    )

    reads.get(
      '/public/v1/manage/:token/booking.ics',
      {
        schema: {
          tags,
          summary: 'A booking as an iCalendar file',
          params: TokenParamsSchema,
          response: {
            200: {
              description: 'An iCalendar file.',
              content: { 'text/calendar': { schema: Type.String() } },
            },
            ...linkProblems,
          },
        },
      },
      async (request, reply) => {
        reply
          .type('text/calendar; charset=utf-8')
          .header('content-disposition', 'attachment; filename="booking.ics"')
        return links.manageIcs(deps, request.params.token)
      },
    )

    await reads.register(async (writes: App) => {
      await writes.register(rateLimit, {
        global: true,
        max: limits.writesPerToken,
        timeWindow: 60_000,
        keyGenerator: (request) => `write:${tokenKey(request)}`,
        errorResponseBuilder: limitExceeded,
      })

      writes.post(
        '/public/v1/links/:token/bookings',
        {
          schema: {
            tags,
            summary: 'Book through a link',
            description:
              '409 `slot_unavailable` when the slot was taken meanwhile; 410 when the link expired, was used up or revoked.',
            params: TokenParamsSchema,
            body: PublicBookingBodySchema,
            response: { 201: BookedSchema, ...problems(400, 404, 409, 410, 413, 415, 429) },
          },
        },
        async (request, reply) => {
          reply.code(201)
          return links.bookThroughLink(deps, request.params.token, request.body)
        },
      )

      writes.post(
        '/public/v1/manage/:token/reschedule',
        {
          schema: {
            tags,
            summary: 'Move a booking',
            params: TokenParamsSchema,
            body: Type.Object(
              { start: { ...InstantSchema, description: 'The new start.' } },
              { additionalProperties: false },
            ),
            response: { 200: PublicBookingSchema, ...problems(400, 404, 409, 410, 413, 415, 429) },
          },
        },
        async (request) => links.rescheduleThroughManage(deps, request.params.token, request.body),
      )

      writes.post(
        '/public/v1/manage/:token/cancel',
        {
          schema: {
            tags,
            summary: 'Cancel a booking',
            params: TokenParamsSchema,
            body: Type.Optional(
              Type.Object(
                { reason: Type.Optional(Type.String({ maxLength: 2000, description: 'Why.' })) },
                { additionalProperties: false },
              ),
            ),
            response: { 200: PublicBookingSchema, ...problems(400, 404, 410, 413, 415, 429) },
          },
        },
        async (request) => links.cancelThroughManage(deps, request.params.token, request.body ?? {}),
      )
    })
  })
}

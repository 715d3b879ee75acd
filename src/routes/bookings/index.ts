// Routes: /v1/bookings create, read, list, reschedule, cancel, and the booking's ICS file.
import { Type } from 'typebox'
import type { Booking } from '../../db/repositories/bookings.js'
import type { Deps } from '../../deps.js'
import { IdempotencyHeadersSchema, idempotently } from '../../plugins/idempotency.js'
import { icsFor } from '../../services/booking-links.js'
import * as bookings from '../../services/bookings.js'
import { type App, bearerSecurity, IdParamsSchema, PageQuerySchema, pageOf, problems } from '../common.js'
import {
  BookingSchema,
  CancelBodySchema,
  CreateBookingBodySchema,
  ListBookingsQuerySchema,
  RescheduleBodySchema,
} from './schemas.js'

const tags = ['bookings']

function view(deps: Deps, booking: Booking) {
  return { ...booking, manageUrl: bookings.bookingManageUrl(deps, booking) }
}

export function registerBookingRoutes(app: App, deps: Deps): void {
  app.post(
    '/v1/bookings',
    {
      schema: {
        tags,
        summary: 'Book a meeting',
        description:
          'Books [start, start + duration) after re-checking every availability rule in one transaction. 409 `slot_unavailable` lists the failing reasons. Never double-books, whatever the concurrency.',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        body: CreateBookingBodySchema,
        response: { 201: BookingSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      reply.code(201)
      return idempotently(deps, request, reply, async (d) =>
        view(d, (await bookings.createBooking(d, request.accountId, request.body)).booking),
      )
    },
  )

  app.get(
    '/v1/bookings',
    {
      schema: {
        tags,
        summary: 'List bookings',
        security: bearerSecurity,
        querystring: Type.Object(
          { ...PageQuerySchema, ...ListBookingsQuerySchema },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(BookingSchema), ...problems(400, 401) },
      },
    },
    async (request) => {
      const { cursor, limit, from, to, ...filter } = request.query
      const page = await bookings.listBookings(
        deps,
        request.accountId,
        { ...filter, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined },
        { cursor, limit },
      )
      return { data: page.data.map((b) => view(deps, b)), nextCursor: page.nextCursor }
    },
  )

  app.get(
    '/v1/bookings/:id',
    {
      schema: {
        tags,
        summary: 'Get a booking',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: { 200: BookingSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => view(deps, await bookings.getBooking(deps, request.accountId, request.params.id)),
  )

  app.get(
    '/v1/bookings/:id.ics',
    {
      schema: {
        tags,
        summary: 'The booking as an iCalendar file',
        description: 'RFC 5545, with a stable UID per booking and a SEQUENCE that rises on every change.',
        security: bearerSecurity,
        params: IdParamsSchema,
        response: {
          200: { description: 'An iCalendar file.', content: { 'text/calendar': { schema: Type.String() } } },
          ...problems(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const booking = await bookings.getBooking(deps, request.accountId, request.params.id)
      reply
        .type('text/calendar; charset=utf-8')
        .header('content-disposition', `attachment; filename="booking-${booking.id}.ics"`)
      return icsFor(deps, request.accountId, booking, null)
    },
  )

  app.post(
    '/v1/bookings/:id/reschedule',
    {
      schema: {
        tags,
        summary: 'Move a booking',
        description:
          'Re-checks every rule at the new time (the booking’s own time counts as free). 409 `slot_unavailable` with reasons.',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        params: IdParamsSchema,
        body: RescheduleBodySchema,
        response: { 200: BookingSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      idempotently(deps, request, reply, async (d) =>
        view(d, await bookings.rescheduleBooking(d, request.accountId, request.params.id, request.body)),
      ),
  )

  app.post(
    '/v1/bookings/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a booking',
        description: 'Cancelling a cancelled booking changes nothing and answers the booking.',
        security: bearerSecurity,
        headers: IdempotencyHeadersSchema,
        params: IdParamsSchema,
        body: Type.Optional(CancelBodySchema),
        response: { 200: BookingSchema, ...problems(400, 401, 404, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      idempotently(deps, request, reply, async (d) =>
        view(d, await bookings.cancelBooking(d, request.accountId, request.params.id, request.body ?? {})),
      ),
  )
}

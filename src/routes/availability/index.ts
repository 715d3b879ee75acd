// Routes: GET /v1/availability, GET /v1/availability/explain, GET /v1/clients/{id}/busy.
import type { Deps } from '../../deps.js'
import * as availability from '../../services/availability.js'
import { type App, bearerSecurity, IdParamsSchema, problems } from '../common.js'
import {
  AvailabilityQuerySchema,
  AvailabilitySchema,
  BusyQuerySchema,
  BusySchema,
  ExplainQuerySchema,
  ExplainSchema,
} from './schemas.js'

const tags = ['availability']

export function registerAvailabilityRoutes(app: App, deps: Deps): void {
  app.get(
    '/v1/availability',
    {
      schema: {
        tags,
        summary: 'Find bookable slots',
        description:
          'Slots of the meeting type inside [from, to) that satisfy every rule of SPEC 1.2: business hours, office hours, contact hours, busy calendars and bookings with buffers, notice, horizon, daily limit and the grid.',
        security: bearerSecurity,
        querystring: AvailabilityQuerySchema,
        response: { 200: AvailabilitySchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => availability.getAvailability(deps, request.accountId, request.query),
  )

  app.get(
    '/v1/availability/explain',
    {
      schema: {
        tags,
        summary: 'Explain why a time is or is not offered',
        description:
          'Every failing rule for one start time, with its code. Busy events are named by connection and range, never by title.',
        security: bearerSecurity,
        querystring: ExplainQuerySchema,
        response: { 200: ExplainSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const result = await availability.explainAvailability(deps, request.accountId, request.query)
      return {
        available: result.available,
        reasons: result.reasons.map((r) => ({
          ...r,
          start: r.start === undefined ? undefined : new Date(r.start),
          end: r.end === undefined ? undefined : new Date(r.end),
        })),
      }
    },
  )

  app.get(
    '/v1/clients/:id/busy',
    {
      schema: {
        tags,
        summary: 'A client’s busy time',
        description:
          'Merged busy intervals of the client’s busy calendars inside the window, without titles.',
        security: bearerSecurity,
        params: IdParamsSchema,
        querystring: BusyQuerySchema,
        response: { 200: BusySchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const result = await availability.getClientBusy(
        deps,
        request.accountId,
        request.params.id,
        request.query,
      )
      return {
        busy: result.busy.map((b) => ({ start: new Date(b.start), end: new Date(b.end) })),
        calendars: result.calendars,
      }
    },
  )
}

// The Calendar v3 routes (/calendar/v3/...): thin handlers over the store, queries and channels.
import type { FastifyInstance } from 'fastify'
import { callerOf, type EmulatorContext, header, operation } from './context.js'
import { errors } from './errors.js'
import { parseListQuery, type RawQuery } from './queries.js'
import type { CalendarRecord } from './store.js'
import { formatTimestamp } from './time.js'

type CalParams = { calendarId: string }
type EventParams = { calendarId: string; eventId: string }

function calendarListEntry(cal: CalendarRecord): Record<string, unknown> {
  return {
    kind: 'calendar#calendarListEntry',
    etag: `"${cal.created * 1000}"`,
    id: cal.id,
    summary: cal.summary,
    ...(cal.description !== undefined ? { description: cal.description } : {}),
    timeZone: cal.timeZone,
    colorId: cal.primary ? '14' : '9',
    backgroundColor: cal.primary ? '#9fe1e7' : '#7bd148',
    foregroundColor: '#000000',
    selected: true,
    accessRole: 'owner',
    ...(cal.primary ? { primary: true } : {}),
    defaultReminders: cal.primary ? [{ method: 'popup', minutes: 10 }] : [],
    conferenceProperties: { allowedConferenceSolutionTypes: ['hangoutsMeet'] },
  }
}

export async function apiRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const { store, queries } = ctx
  const calOf = (userEmail: string, calendarId: string) => store.resolveCalendar(userEmail, calendarId)
  const body = (v: unknown) => (v ?? {}) as Record<string, unknown>

  app.get('/calendar/v3/users/me/calendarList', operation(ctx, 'calendarList.list', 'read'), async (req) => {
    const me = callerOf(req).userEmail
    const items = [...store.calendars.values()]
      .filter((c) => c.ownerEmail === me)
      .sort((a, b) => Number(b.primary) - Number(a.primary) || a.id.localeCompare(b.id))
      .map(calendarListEntry)
    return {
      kind: 'calendar#calendarList',
      etag: `"${ctx.now() * 1000}"`,
      nextSyncToken: Buffer.from(`calendarList:${me}:${ctx.now()}`).toString('base64url'),
      items,
    }
  })

  app.get<{ Params: CalParams }>(
    '/calendar/v3/users/me/calendarList/:calendarId',
    operation(ctx, 'calendarList.get', 'read'),
    async (req) => calendarListEntry(calOf(callerOf(req).userEmail, req.params.calendarId)),
  )

  app.get<{ Params: CalParams }>(
    '/calendar/v3/calendars/:calendarId',
    operation(ctx, 'calendars.get', 'read'),
    async (req) => {
      const cal = calOf(callerOf(req).userEmail, req.params.calendarId)
      return {
        kind: 'calendar#calendar',
        etag: `"${cal.created * 1000}"`,
        id: cal.id,
        summary: cal.summary,
        ...(cal.description !== undefined ? { description: cal.description } : {}),
        timeZone: cal.timeZone,
        conferenceProperties: { allowedConferenceSolutionTypes: ['hangoutsMeet'] },
      }
    },
  )

  app.get<{ Params: CalParams; Querystring: RawQuery }>(
    '/calendar/v3/calendars/:calendarId/events',
    operation(ctx, 'events.list', 'read'),
    async (req) => {
      const cal = calOf(callerOf(req).userEmail, req.params.calendarId)
      return queries.listEvents(cal, parseListQuery(req.query, ctx.now()))
    },
  )

  app.post<{ Params: CalParams }>(
    '/calendar/v3/calendars/:calendarId/events',
    operation(ctx, 'events.insert', 'write'),
    async (req) => {
      const cal = calOf(callerOf(req).userEmail, req.params.calendarId)
      return store.render(store.insertEvent(cal, body(req.body)), cal)
    },
  )

  app.post<{ Params: CalParams }>(
    '/calendar/v3/calendars/:calendarId/events/watch',
    operation(ctx, 'events.watch', 'read'),
    async (req) => {
      const caller = callerOf(req)
      const cal = calOf(caller.userEmail, req.params.calendarId)
      return ctx.channels.watch(cal, caller, req.body)
    },
  )

  app.get<{ Params: EventParams }>(
    '/calendar/v3/calendars/:calendarId/events/:eventId',
    operation(ctx, 'events.get', 'read'),
    async (req, reply) => {
      const cal = calOf(callerOf(req).userEmail, req.params.calendarId)
      const record = store.getEvent(cal, req.params.eventId)
      const inm = header(req, 'if-none-match')
      if (inm?.split(',').some((e) => e.trim().replace(/^W\//, '') === record.etag)) {
        return reply.code(304).send()
      }
      return store.render(record, cal)
    },
  )

  app.patch<{ Params: EventParams }>(
    '/calendar/v3/calendars/:calendarId/events/:eventId',
    operation(ctx, 'events.patch', 'write'),
    async (req) => {
      const cal = calOf(callerOf(req).userEmail, req.params.calendarId)
      const ifMatch = header(req, 'if-match')
      return store.render(store.patchEvent(cal, req.params.eventId, body(req.body), { ifMatch }), cal)
    },
  )

  app.put<{ Params: EventParams }>(
    '/calendar/v3/calendars/:calendarId/events/:eventId',
    operation(ctx, 'events.update', 'write'),
    async (req) => {
      const cal = calOf(callerOf(req).userEmail, req.params.calendarId)
      const ifMatch = header(req, 'if-match')
      return store.render(store.updateEvent(cal, req.params.eventId, body(req.body), { ifMatch }), cal)
    },
  )

  app.delete<{ Params: EventParams }>(
    '/calendar/v3/calendars/:calendarId/events/:eventId',
    operation(ctx, 'events.delete', 'write'),
    async (req, reply) => {
      const cal = calOf(callerOf(req).userEmail, req.params.calendarId)
      store.deleteEvent(cal, req.params.eventId, { ifMatch: header(req, 'if-match') })
      return reply.code(204).send()
    },
  )

  app.get<{ Params: EventParams; Querystring: RawQuery }>(
    '/calendar/v3/calendars/:calendarId/events/:eventId/instances',
    operation(ctx, 'events.instances', 'read'),
    async (req) => {
      const cal = calOf(callerOf(req).userEmail, req.params.calendarId)
      return queries.listInstances(cal, req.params.eventId, parseListQuery(req.query, ctx.now()))
    },
  )

  app.post('/calendar/v3/freeBusy', operation(ctx, 'freebusy.query', 'freebusy'), async (req) => {
    return queries.freeBusy(callerOf(req).userEmail, req.body)
  })

  app.post('/calendar/v3/channels/stop', operation(ctx, 'channels.stop', 'read'), async (req, reply) => {
    ctx.channels.stop(callerOf(req), req.body)
    return reply.code(204).send()
  })

  app.get('/calendar/v3/colors', operation(ctx, 'colors.get', 'read'), async () => ({
    kind: 'calendar#colors',
    updated: formatTimestamp(0),
    calendar: {},
    event: {},
  }))

  app.all('/calendar/v3/*', operation(ctx, 'unknown'), async () => {
    throw errors.notFound()
  })
}

// Graph v1.0 routes: /me and /users/{id} calendars, events, calendarView (+delta), getSchedule, and /subscriptions.
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { DeltaEngine, DeltaItem, DeltaPage } from './delta.js'
import { GraphHttpError } from './errors.js'
import type { AuthContext } from './oauth.js'
import {
  type Instance,
  type MailboxStore,
  type MailboxUser,
  renderEvent,
  type ShowAs,
  type StoredCalendar,
} from './store.js'
import type { SubscriptionsService } from './subscriptions.js'
import { parseDateTimeTimeZone, parseInstant, parsePrefer, toDateTimeTimeZone } from './time.js'

export interface GraphRouteContext {
  store: MailboxStore
  delta: DeltaEngine
  subscriptions: SubscriptionsService
  /** The bearer check's result for this request (set by the auth hook). */
  auth(req: FastifyRequest): AuthContext
  /** Absolute `…/v1.0` base for @odata links. */
  linkBase(req: FastifyRequest): string
  defaultPageSize: number
  transactionIdConflictStatus: number
}

type Params = { userId?: string; calendarId?: string; eventId?: string; subscriptionId?: string }
type Query = Record<string, string | undefined>

/** Route options naming the operation, which fault rules and the request log use. */
export const op = (name: string) => ({ config: { op: name } as FastifyContextConfig })

const NOT_DELTA_PARAMS = ['$select', '$expand', '$filter', '$orderby', '$search']

const QUOTED = `'((?:[^']|'')*)'`
const unquote = (text: string) => text.replace(/''/g, "'")

/**
 * The one `$filter` on events the emulator answers: `singleValueExtendedProperties/Any(ep: ep/id eq '…' and
 * ep/value eq '…')`, the documented way to find events by an extended property. Any other filter is refused
 * rather than ignored, so a client never mistakes an unfiltered list for a filtered one.
 */
function extendedPropertyFilter($filter: string): { id: string; value: string } {
  const m = new RegExp(
    `^\\s*singleValueExtendedProperties/Any\\(\\s*(\\w+)\\s*:\\s*\\1/id eq ${QUOTED} and \\1/value eq ${QUOTED}\\s*\\)\\s*$`,
    'i',
  ).exec($filter)
  if (!m)
    throw new GraphHttpError(
      400,
      'ErrorInvalidUrlQueryFilter',
      'The query filter contains one or more invalid nodes.',
    )
  return { id: unquote(m[2] ?? ''), value: unquote(m[3] ?? '') }
}

/** `$expand=singleValueExtendedProperties($filter=id eq '…')`: the property ids to show ('*' for all). */
function extendedPropertyExpand($expand: string): string[] | undefined {
  const m = new RegExp(
    `^\\s*singleValueExtendedProperties(?:\\(\\$filter=id eq ${QUOTED}\\))?\\s*$`,
    'i',
  ).exec($expand)
  if (!m) return undefined
  return m[1] === undefined ? ['*'] : [unquote(m[1])]
}

function accessDenied(): GraphHttpError {
  return new GraphHttpError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.')
}

function select(obj: Record<string, unknown>, $select: string | undefined): Record<string, unknown> {
  if (!$select) return obj
  const keep = new Set(['@odata.etag', 'id', ...$select.split(',').map((s) => s.trim())])
  return Object.fromEntries(Object.entries(obj).filter(([k]) => keep.has(k)))
}

function renderCalendar(cal: StoredCalendar, owner: MailboxUser) {
  return {
    '@odata.id': `users('${owner.id}')/calendars('${cal.id}')`,
    id: cal.id,
    name: cal.name,
    color: cal.color,
    hexColor: cal.hexColor,
    isDefaultCalendar: cal.isDefaultCalendar,
    changeKey: cal.changeKey,
    canShare: true,
    canViewPrivateItems: true,
    canEdit: cal.canEdit,
    allowedOnlineMeetingProviders: ['teamsForBusiness'],
    defaultOnlineMeetingProvider: 'teamsForBusiness',
    isTallyingResponses: true,
    isRemovable: !cal.isDefaultCalendar,
    owner: { name: owner.displayName, address: owner.mail },
  }
}

/** Registers the mailbox routes twice: under /v1.0/me and under /v1.0/users/:userId. */
export function registerGraphRoutes(app: FastifyInstance, ctx: GraphRouteContext) {
  const { store } = ctx

  function owner(req: FastifyRequest): { user: MailboxUser; linkPath: string } {
    const auth = ctx.auth(req)
    const { userId } = req.params as Params
    if (userId === undefined) {
      const user = store.users.get(auth.userId)
      if (!user) throw new GraphHttpError(404, 'ErrorInvalidUser', 'The requested user is invalid.')
      return { user, linkPath: 'me' }
    }
    const user = store.findUser(userId)
    if (!user) throw new GraphHttpError(404, 'ErrorInvalidUser', `The requested user '${userId}' is invalid.`)
    // Delegated tokens only reach the signed-in user's own mailbox here (no shared calendars).
    if (user.id !== auth.userId) throw accessDenied()
    return { user, linkPath: `users/${userId}` }
  }

  function need(req: FastifyRequest, write: boolean) {
    const scopes = ctx.auth(req).scopes
    if (scopes.includes('Calendars.ReadWrite')) return
    if (!write && scopes.includes('Calendars.Read')) return
    throw accessDenied()
  }

  function calendarOf(req: FastifyRequest, user: MailboxUser): StoredCalendar {
    const { calendarId } = req.params as Params
    return calendarId === undefined ? store.defaultCalendar(user.id) : store.getCalendar(user.id, calendarId)
  }

  function prefer(req: FastifyRequest) {
    return parsePrefer(req.headers.prefer)
  }

  function applied(
    reply: FastifyReply,
    pref: { timeZone?: string; maxPageSize?: number },
    extra: string[] = [],
  ) {
    const parts = [...extra]
    if (pref.timeZone !== undefined) parts.push(`outlook.timezone="${pref.timeZone}"`)
    if (pref.maxPageSize !== undefined) parts.push(`odata.maxpagesize=${pref.maxPageSize}`)
    if (parts.length > 0) reply.header('Preference-Applied', parts.join(', '))
  }

  function page<T>(req: FastifyRequest, all: T[], base: string, keep: Record<string, string>) {
    const q = req.query as Query
    const pref = prefer(req)
    const skip = Math.max(0, Number(q.$skip ?? 0) || 0)
    const top = Math.min(1000, Math.max(1, Number(q.$top ?? pref.maxPageSize ?? ctx.defaultPageSize) || 10))
    const items = all.slice(skip, skip + top)
    let nextLink: string | undefined
    if (skip + top < all.length) {
      const params = new URLSearchParams({ ...keep })
      if (q.$select) params.set('$select', q.$select)
      params.set('$top', String(top))
      params.set('$skip', String(skip + top))
      nextLink = `${base}?${params.toString().replace(/%24/g, '$')}`
    }
    return { items, nextLink }
  }

  function eventJson(req: FastifyRequest, source: Parameters<typeof renderEvent>[0]) {
    const pref = prefer(req)
    const q = req.query as Query
    const expanded = q.$expand === undefined ? undefined : extendedPropertyExpand(q.$expand)
    return select(
      renderEvent(source, {
        ...(pref.timeZone !== undefined ? { timeZone: pref.timeZone } : {}),
        ...(expanded !== undefined ? { extendedPropertyIds: expanded } : {}),
      }),
      q.$select === undefined || expanded === undefined
        ? q.$select
        : `${q.$select},singleValueExtendedProperties`,
    )
  }

  function window(req: FastifyRequest): { from: number; to: number } {
    const q = req.query as Query
    const from = parseInstant(q.startDateTime)
    const to = parseInstant(q.endDateTime)
    if (from === null || to === null) {
      throw new GraphHttpError(
        400,
        'ErrorInvalidParameter',
        'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
      )
    }
    if (to <= from) {
      throw new GraphHttpError(
        400,
        'ErrorInvalidParameter',
        'The EndDateTime must be later than the StartDateTime.',
      )
    }
    return { from, to }
  }

  function ifMatch(req: FastifyRequest, userId: string, eventId: string) {
    const header = req.headers['if-match']
    if (typeof header !== 'string' || header.trim() === '*') return
    const wanted = header.trim().replace(/^W\//, '').replace(/^"|"$/g, '')
    if (wanted !== store.changeKeyOf(userId, eventId)) {
      // ⚠ providers.md B3: several fakes agree on 412 ErrorIrresolvableConflict for a stale If-Match.
      throw new GraphHttpError(
        412,
        'ErrorIrresolvableConflict',
        'The send or update operation could not be performed because the change key passed in the request does ' +
          'not match the current change key for the item.',
      )
    }
  }

  const mailbox = async (m: FastifyInstance) => {
    m.get('/', op('me'), async (req) => {
      const { user } = owner(req)
      return {
        '@odata.context': `${ctx.linkBase(req)}/$metadata#users/$entity`,
        businessPhones: [],
        displayName: user.displayName,
        givenName: user.displayName.split(' ')[0] ?? user.displayName,
        surname: user.displayName.split(' ').slice(1).join(' ') || null,
        jobTitle: null,
        mail: user.mail,
        mobilePhone: null,
        officeLocation: null,
        preferredLanguage: 'en-US',
        userPrincipalName: user.mail,
        id: user.id,
      }
    })

    m.get('/calendars', op('calendars.list'), async (req) => {
      need(req, false)
      const { user } = owner(req)
      return {
        '@odata.context': `${ctx.linkBase(req)}/$metadata#users('${user.id}')/calendars`,
        value: store.listCalendars(user.id).map((c) => renderCalendar(c, user)),
      }
    })

    const getCalendar = async (req: FastifyRequest) => {
      need(req, false)
      const { user } = owner(req)
      return {
        '@odata.context': `${ctx.linkBase(req)}/$metadata#users('${user.id}')/calendars/$entity`,
        ...renderCalendar(calendarOf(req, user), user),
      }
    }
    m.get('/calendar', op('calendars.get'), getCalendar)
    m.get('/calendars/:calendarId', op('calendars.get'), getCalendar)

    const listEvents = async (req: FastifyRequest, reply: FastifyReply) => {
      need(req, false)
      const { user } = owner(req)
      const { calendarId } = req.params as Params
      const inCalendar =
        req.url.includes('/calendar/') || calendarId !== undefined ? calendarOf(req, user).id : null
      const $filter = (req.query as Query).$filter
      const byProperty = $filter === undefined ? null : extendedPropertyFilter($filter)
      const all = byProperty
        ? store.findByExtendedProperty(user.id, inCalendar, byProperty.id, byProperty.value)
        : store.listEvents(user.id, inCalendar)
      const base = `${ctx.linkBase(req)}${req.url.split('?')[0]?.replace(/^\/v1\.0/, '')}`
      const q = req.query as Query
      const keep = Object.fromEntries(
        (['$filter', '$expand'] as const).flatMap((k) => (q[k] === undefined ? [] : [[k, q[k]]])),
      )
      const { items, nextLink } = page(req, all, base, keep)
      applied(reply, prefer(req))
      return {
        '@odata.context': `${ctx.linkBase(req)}/$metadata#users('${user.id}')/events`,
        value: items.map((e) => eventJson(req, e)),
        ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
      }
    }
    m.get('/events', op('events.list'), listEvents)
    m.get('/calendar/events', op('events.list'), listEvents)
    m.get('/calendars/:calendarId/events', op('events.list'), listEvents)

    const createEvent = async (req: FastifyRequest, reply: FastifyReply) => {
      need(req, true)
      const { user } = owner(req)
      const cal = calendarOf(req, user)
      const body = (req.body ?? {}) as Record<string, unknown>
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw new GraphHttpError(
          400,
          'UnableToDeserializePostBody',
          'Were unable to deserialize the request body.',
        )
      }
      if (typeof body.transactionId === 'string') {
        const existing = store.findByTransactionId(user.id, body.transactionId)
        if (existing) {
          // A retried create returns the event it already made; reuse for another event is refused
          // (providers.md B3, alcionai/corso #2490; statuses are ⚠ unverified, the conflict one is configurable).
          const probe = store.createEventProbe(user.id, cal.id, body)
          const same =
            !existing.deleted &&
            existing.calendarId === cal.id &&
            existing.subject === probe.subject &&
            existing.start === probe.start &&
            existing.end === probe.end
          if (!same) {
            throw new GraphHttpError(
              ctx.transactionIdConflictStatus,
              'ErrorDuplicateTransactionId',
              "Your request can't be completed. The TransactionId specified in the request has already been used " +
                'to create a different event.',
            )
          }
          reply.code(201)
          return {
            '@odata.context': `${ctx.linkBase(req)}/$metadata#users('${user.id}')/events/$entity`,
            ...eventJson(req, existing),
          }
        }
      }
      const ev = store.createEvent(user.id, cal.id, body)
      reply.code(201)
      return {
        '@odata.context': `${ctx.linkBase(req)}/$metadata#users('${user.id}')/events/$entity`,
        ...eventJson(req, ev),
      }
    }
    m.post('/events', op('events.create'), createEvent)
    m.post('/calendar/events', op('events.create'), createEvent)
    m.post('/calendars/:calendarId/events', op('events.create'), createEvent)

    const eventResource = (req: FastifyRequest) => {
      const { user } = owner(req)
      const { eventId } = req.params as Params
      return { user, eventId: eventId ?? '' }
    }

    const getEvent = async (req: FastifyRequest) => {
      need(req, false)
      const { user, eventId } = eventResource(req)
      const r = store.resolve(user.id, eventId)
      const json =
        r.occurrenceStart !== undefined
          ? eventJson(req, {
              id: eventId,
              type: 'occurrence',
              event: r.event,
              start: r.occurrenceStart,
              end: r.occurrenceStart + (r.event.end - r.event.start),
              changeKey: r.event.seriesKey,
            } satisfies Instance)
          : eventJson(req, r.event)
      return {
        '@odata.context': `${ctx.linkBase(req)}/$metadata#users('${user.id}')/events/$entity`,
        ...json,
      }
    }
    m.get('/events/:eventId', op('events.get'), getEvent)
    m.get('/calendars/:calendarId/events/:eventId', op('events.get'), getEvent)

    const patchEvent = async (req: FastifyRequest) => {
      need(req, true)
      const { user, eventId } = eventResource(req)
      ifMatch(req, user.id, eventId)
      const ev = store.updateEvent(user.id, eventId, { ...((req.body ?? {}) as Record<string, unknown>) })
      return {
        '@odata.context': `${ctx.linkBase(req)}/$metadata#users('${user.id}')/events/$entity`,
        ...eventJson(req, ev),
      }
    }
    m.patch('/events/:eventId', op('events.update'), patchEvent)
    m.patch('/calendars/:calendarId/events/:eventId', op('events.update'), patchEvent)

    const deleteEvent = async (req: FastifyRequest, reply: FastifyReply) => {
      need(req, true)
      const { user, eventId } = eventResource(req)
      ifMatch(req, user.id, eventId)
      store.deleteEvent(user.id, eventId)
      return reply.code(204).send()
    }
    m.delete('/events/:eventId', op('events.delete'), deleteEvent)
    m.delete('/calendars/:calendarId/events/:eventId', op('events.delete'), deleteEvent)

    for (const [action, response] of [
      ['accept', 'accepted'],
      ['tentativelyAccept', 'tentativelyAccepted'],
      ['decline', 'declined'],
    ] as const) {
      m.post(`/events/:eventId/${action}`, op('events.respond'), async (req, reply) => {
        need(req, true)
        const { user, eventId } = eventResource(req)
        const r = store.resolve(user.id, eventId)
        if (r.event.isOrganizer) {
          throw new GraphHttpError(
            400,
            'ErrorInvalidRequest',
            "Your request can't be completed. You can't respond to a meeting you organized.",
          )
        }
        store.respond(user.id, eventId, response)
        return reply.code(202).send()
      })
    }

    m.post('/events/:eventId/cancel', op('events.cancel'), async (req, reply) => {
      need(req, true)
      const { user, eventId } = eventResource(req)
      const r = store.resolve(user.id, eventId)
      if (!r.event.isOrganizer) {
        throw new GraphHttpError(
          400,
          'ErrorAccessDenied',
          "Your request can't be completed. Only the meeting organizer can cancel the meeting.",
        )
      }
      // The organizer's copy goes away; attendees would receive a cancellation.
      store.deleteEvent(user.id, eventId)
      return reply.code(202).send()
    })

    m.get('/events/:eventId/instances', op('events.instances'), async (req, reply) => {
      need(req, false)
      const { user, eventId } = eventResource(req)
      const { from, to } = window(req)
      const r = store.resolve(user.id, eventId)
      if (r.event.type !== 'seriesMaster' || r.occurrenceStart !== undefined) {
        throw new GraphHttpError(400, 'ErrorInvalidRequest', 'The specified event is not a series master.')
      }
      const all = store
        .instances(user.id, r.event.calendarId, from, to)
        .filter((i) => i.event.id === r.event.id || i.event.seriesMasterId === r.event.id)
      const q = req.query as Query
      const base = `${ctx.linkBase(req)}${req.url.split('?')[0]?.replace(/^\/v1\.0/, '')}`
      const { items, nextLink } = page(req, all, base, {
        startDateTime: q.startDateTime ?? '',
        endDateTime: q.endDateTime ?? '',
      })
      applied(reply, prefer(req))
      return {
        '@odata.context': `${ctx.linkBase(req)}/$metadata#Collection(event)`,
        value: items.map((i) => eventJson(req, i)),
        ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
      }
    })

    const calendarView = async (req: FastifyRequest, reply: FastifyReply) => {
      need(req, false)
      const { user } = owner(req)
      const cal = calendarOf(req, user)
      const { from, to } = window(req)
      const q = req.query as Query
      const all = store.instances(user.id, cal.id, from, to)
      const base = `${ctx.linkBase(req)}${req.url.split('?')[0]?.replace(/^\/v1\.0/, '')}`
      const { items, nextLink } = page(req, all, base, {
        startDateTime: q.startDateTime ?? '',
        endDateTime: q.endDateTime ?? '',
      })
      applied(reply, prefer(req))
      return {
        '@odata.context': `${ctx.linkBase(req)}/$metadata#users('${user.id}')/calendarView`,
        value: items.map((i) => eventJson(req, i)),
        ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
      }
    }
    m.get('/calendarView', op('calendarView'), calendarView)
    m.get('/calendar/calendarView', op('calendarView'), calendarView)
    m.get('/calendars/:calendarId/calendarView', op('calendarView'), calendarView)

    const delta = async (req: FastifyRequest, reply: FastifyReply) => {
      need(req, false)
      const { user, linkPath } = owner(req)
      const q = req.query as Query
      for (const p of NOT_DELTA_PARAMS) {
        if (q[p] !== undefined) {
          throw new GraphHttpError(
            400,
            'ErrorInvalidUrlQuery',
            `The query parameter '${p}' is not supported with change tracking over the 'CalendarView' resource.`,
          )
        }
      }
      const pref = prefer(req)
      const linkBase = ctx.linkBase(req)
      let result: DeltaPage
      if (q.$deltatoken) result = ctx.delta.incremental(user.id, q.$deltatoken, pref, linkBase)
      else if (q.$skiptoken) result = ctx.delta.page(user.id, q.$skiptoken, pref, linkBase)
      else {
        const cal = calendarOf(req, user)
        const { from, to } = window(req)
        const { calendarId } = req.params as Params
        const viewPath =
          calendarId !== undefined
            ? `calendars/${calendarId}/calendarView/delta`
            : req.url.includes('/calendar/calendarView')
              ? 'calendar/calendarView/delta'
              : 'calendarView/delta'
        result = ctx.delta.initial(
          { userId: user.id, calendarId: cal.id, linkPath: `${linkPath}/${viewPath}`, from, to },
          pref,
          linkBase,
        )
      }
      // Real responses say change tracking was applied [obs] (providers.md B2).
      applied(reply, { ...(pref.maxPageSize !== undefined ? { maxPageSize: pref.maxPageSize } : {}) }, [
        'odata.track-changes',
      ])
      const tzOpt = result.timeZone !== undefined ? { timeZone: result.timeZone } : {}
      return {
        '@odata.context': `${linkBase}/$metadata#Collection(event)`,
        ...(result.nextLink ? { '@odata.nextLink': result.nextLink } : {}),
        ...(result.deltaLink ? { '@odata.deltaLink': result.deltaLink } : {}),
        value: result.items.map((item: DeltaItem) =>
          'removed' in item
            ? { '@odata.type': '#microsoft.graph.event', id: item.id, '@removed': { reason: 'deleted' } }
            : { '@odata.type': '#microsoft.graph.event', ...renderEvent(item, tzOpt) },
        ),
      }
    }
    m.get('/calendarView/delta', op('delta'), delta)
    m.get('/calendar/calendarView/delta', op('delta'), delta)
    m.get('/calendars/:calendarId/calendarView/delta', op('delta'), delta)

    m.post('/calendar/getSchedule', op('getSchedule'), async (req) => {
      need(req, false)
      owner(req)
      return getSchedule(req)
    })
  }

  function getSchedule(req: FastifyRequest) {
    const body = (req.body ?? {}) as {
      schedules?: unknown
      startTime?: unknown
      endTime?: unknown
      availabilityViewInterval?: unknown
    }
    const from = parseDateTimeTimeZone(body.startTime)
    const to = parseDateTimeTimeZone(body.endTime)
    if (
      !Array.isArray(body.schedules) ||
      body.schedules.length === 0 ||
      from === null ||
      to === null ||
      to <= from
    ) {
      throw new GraphHttpError(
        400,
        'ErrorInvalidParameter',
        'schedules, startTime and endTime are required; endTime must be after startTime.',
      )
    }
    const interval = body.availabilityViewInterval === undefined ? 30 : Number(body.availabilityViewInterval)
    if (!(Number.isInteger(interval) && interval >= 5 && interval <= 1440)) {
      throw new GraphHttpError(
        400,
        'ErrorInvalidParameter',
        'availabilityViewInterval must be between 5 and 1440.',
      )
    }
    const tz = prefer(req).timeZone ?? 'UTC'
    // Each availabilityView digit is the strongest status in its slot (providers.md B3).
    const digit: Record<ShowAs, string> = {
      free: '0',
      tentative: '1',
      busy: '2',
      oof: '3',
      workingElsewhere: '4',
      unknown: '0',
    }
    const rank: Record<ShowAs, number> = {
      free: 0,
      unknown: 0,
      workingElsewhere: 1,
      tentative: 2,
      busy: 3,
      oof: 4,
    }
    return {
      '@odata.context': `${ctx.linkBase(req)}/$metadata#Collection(microsoft.graph.scheduleInformation)`,
      value: body.schedules.map((raw) => {
        const scheduleId = String(raw)
        const user = store.findUser(scheduleId)
        if (!user) {
          return {
            scheduleId,
            availabilityView: '',
            scheduleItems: [],
            error: {
              message: 'The specified emailAddress is invalid.',
              responseCode: 'ErrorMailRecipientNotFound',
            },
          }
        }
        const items = store
          .instances(user.id, store.defaultCalendar(user.id).id, from, to)
          .filter(
            (i) =>
              !i.event.isCancelled &&
              i.event.showAs !== 'free' &&
              i.event.responseStatus.response !== 'declined',
          )
        let view = ''
        for (let t = from; t < to; t += interval * 60_000) {
          let best: ShowAs = 'free'
          for (const i of items) {
            if (i.start < t + interval * 60_000 && i.end > t && rank[i.event.showAs] > rank[best])
              best = i.event.showAs
          }
          view += digit[best]
        }
        return {
          scheduleId,
          availabilityView: view,
          scheduleItems: items.map((i) => ({
            isPrivate: i.event.sensitivity === 'private',
            status: i.event.showAs,
            subject: i.event.subject,
            location: i.event.location.displayName,
            isMeeting: i.event.attendees.length > 0,
            isRecurring: i.type !== 'singleInstance',
            isException: i.type === 'exception',
            isReminderSet: i.event.isReminderOn,
            start: toDateTimeTimeZone(i.start, tz),
            end: toDateTimeTimeZone(i.end, tz),
          })),
          workingHours: {
            daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
            startTime: '08:00:00.0000000',
            endTime: '17:00:00.0000000',
            timeZone: { name: user.timeZone },
          },
        }
      }),
    }
  }

  app.register(mailbox, { prefix: '/v1.0/me' })
  app.register(mailbox, { prefix: '/v1.0/users/:userId' })

  app.register(
    async (s) => {
      const subs = ctx.subscriptions
      s.post('/', op('subscriptions.create'), async (req, reply) => {
        need(req, false)
        const created = await subs.create((req.body ?? {}) as Record<string, unknown>, ctx.auth(req))
        reply.code(201)
        return { '@odata.context': `${ctx.linkBase(req)}/$metadata#subscriptions/$entity`, ...created }
      })
      s.get('/', op('subscriptions.list'), async (req) => ({
        '@odata.context': `${ctx.linkBase(req)}/$metadata#subscriptions`,
        value: subs.list(ctx.auth(req)),
      }))
      s.get('/:subscriptionId', op('subscriptions.get'), async (req) => ({
        '@odata.context': `${ctx.linkBase(req)}/$metadata#subscriptions/$entity`,
        ...subs.get((req.params as Params).subscriptionId ?? '', ctx.auth(req)),
      }))
      s.patch('/:subscriptionId', op('subscriptions.update'), async (req) => ({
        '@odata.context': `${ctx.linkBase(req)}/$metadata#subscriptions/$entity`,
        ...(await subs.update(
          (req.params as Params).subscriptionId ?? '',
          (req.body ?? {}) as Record<string, unknown>,
          ctx.auth(req),
        )),
      }))
      s.delete('/:subscriptionId', op('subscriptions.delete'), async (req, reply) => {
        subs.remove((req.params as Params).subscriptionId ?? '', ctx.auth(req))
        return reply.code(204).send()
      })
      s.post('/:subscriptionId/reauthorize', op('subscriptions.reauthorize'), async (req, reply) => {
        subs.reauthorize((req.params as Params).subscriptionId ?? '', ctx.auth(req))
        return reply.code(204).send()
      })
    },
    { prefix: '/v1.0/subscriptions' },
  )
}

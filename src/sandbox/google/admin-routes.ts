// The admin API (/__admin/...): act as the calendar owner in the Calendar app and steer the emulator (docs/sandbox.md).
import type { FastifyInstance } from 'fastify'
import type { FaultRule } from '../shared/faults.js'
import type { EmulatorContext } from './context.js'
import { errors } from './errors.js'
import type { ConsentMode } from './oauth.js'

type Obj = Record<string, unknown>

const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {})
const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || v.length === 0) throw errors.required(`Missing ${name}.`, name)
  return v
}
const optStr = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined)

export function parseFaultRule(v: unknown): FaultRule {
  const b = obj(v)
  const rule: FaultRule = { route: optStr(b['route']) ?? '*' }
  for (const k of [
    'status',
    'count',
    'errorRate',
    'latencyMs',
    'answerDelayMs',
    'retryAfterSeconds',
  ] as const) {
    const x = b[k]
    if (x === undefined) continue
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0)
      throw errors.invalid(`Invalid value for: ${k}`, k)
    rule[k] = x
  }
  if (rule.errorRate !== undefined && rule.errorRate > 1)
    throw errors.invalid('errorRate must be within 0..1', 'errorRate')
  if (rule.status !== undefined && (rule.status < 100 || rule.status > 599)) {
    throw errors.invalid('Invalid value for: status', 'status')
  }
  return rule
}

export async function adminRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const { store, oauth, channels } = ctx
  const cal = (id: string) => store.resolveCalendar(null, id)
  type CalP = { Params: { calendarId: string } }
  type EvP = { Params: { calendarId: string; eventId: string } }

  app.get('/__admin', async () => ({
    emulator: 'google-calendar-v3',
    now: new Date(ctx.now()).toISOString(),
    users: [...store.users.values()],
    calendars: [...store.calendars.values()].map((c) => ({
      id: c.id,
      owner: c.ownerEmail,
      summary: c.summary,
    })),
    clients: [...oauth.clients.values()].map((c) => ({ clientId: c.clientId, redirectUris: c.redirectUris })),
    consent: oauth.consent(),
    accessTokenTtlSeconds: oauth.accessTokenTtl(),
    docs: 'docs/sandbox.md',
  }))

  app.post('/__admin/reset', async (req) => {
    ctx.reset({ seed: obj(req.body)['seed'] === true })
    return { ok: true }
  })

  app.get('/__admin/users', async () => [...store.users.values()])
  app.post('/__admin/users', async (req) => {
    const b = obj(req.body)
    return store.addUser({
      email: str(b['email'], 'email'),
      ...(optStr(b['name']) ? { name: optStr(b['name']) as string } : {}),
      ...(optStr(b['timeZone']) ? { timeZone: optStr(b['timeZone']) as string } : {}),
    })
  })

  app.get('/__admin/calendars', async () => [...store.calendars.values()])
  app.post('/__admin/calendars', async (req) => {
    const b = obj(req.body)
    return store.addCalendar({
      ownerEmail: str(b['owner'], 'owner'),
      summary: str(b['summary'], 'summary'),
      ...(optStr(b['id']) ? { id: optStr(b['id']) as string } : {}),
      ...(optStr(b['timeZone']) ? { timeZone: optStr(b['timeZone']) as string } : {}),
    })
  })

  app.get<CalP>('/__admin/calendars/:calendarId/events', async (req) => {
    const c = cal(req.params.calendarId)
    return [...store.eventsOf(c).values()].map((r) => store.render(r, c))
  })
  app.post<CalP>('/__admin/calendars/:calendarId/events', async (req) => {
    const c = cal(req.params.calendarId)
    return store.render(store.insertEvent(c, obj(req.body)), c)
  })
  app.patch<EvP>('/__admin/calendars/:calendarId/events/:eventId', async (req) => {
    const c = cal(req.params.calendarId)
    return store.render(store.patchEvent(c, req.params.eventId, obj(req.body)), c)
  })
  app.delete<EvP>('/__admin/calendars/:calendarId/events/:eventId', async (req, reply) => {
    store.deleteEvent(cal(req.params.calendarId), req.params.eventId)
    return reply.code(204).send()
  })
  app.post<EvP>('/__admin/calendars/:calendarId/events/:eventId/respond', async (req) => {
    const c = cal(req.params.calendarId)
    return store.render(
      store.respond(c, req.params.eventId, str(obj(req.body)['responseStatus'], 'responseStatus')),
      c,
    )
  })

  app.post('/__admin/sync-tokens/invalidate', async (req) => {
    const id = optStr(obj(req.body)['calendarId'])
    if (id !== undefined) cal(id)
    store.invalidateSyncTokens(id)
    return { ok: true }
  })

  app.get('/__admin/channels', async () => channels.list())
  app.post<{ Params: { channelId: string } }>('/__admin/channels/:channelId/expire', async (req) => {
    if (!channels.expire(req.params.channelId)) throw errors.notFound()
    return { ok: true }
  })

  app.get('/__admin/notifications', async () => channels.deliveries())
  app.put('/__admin/notifications', async (req) => {
    const rate = obj(req.body)['dropRate']
    if (typeof rate !== 'number' || rate < 0 || rate > 1)
      throw errors.invalid('dropRate must be within 0..1', 'dropRate')
    ctx.notifier.setDropRate(rate)
    return { dropRate: rate }
  })

  app.get('/__admin/oauth/clients', async () => [...oauth.clients.values()])
  app.post('/__admin/oauth/clients', async (req) => {
    const b = obj(req.body)
    const uris = Array.isArray(b['redirectUris'])
      ? b['redirectUris'].filter((u) => typeof u === 'string')
      : []
    return oauth.registerClient({
      clientId: str(b['clientId'], 'clientId'),
      clientSecret: str(b['clientSecret'], 'clientSecret'),
      redirectUris: uris,
    })
  })
  app.put('/__admin/oauth/consent', async (req) => {
    const b = obj(req.body)
    const mode = b['mode']
    if (mode !== 'allow' && mode !== 'deny' && mode !== 'page')
      throw errors.invalid('mode must be allow, deny or page', 'mode')
    oauth.setConsent(mode as ConsentMode, optStr(b['user']))
    return oauth.consent()
  })
  app.put('/__admin/oauth/access-token-ttl', async (req) => {
    const seconds = obj(req.body)['seconds']
    if (typeof seconds !== 'number' || !(seconds > 0))
      throw errors.invalid('seconds must be positive', 'seconds')
    oauth.setAccessTokenTtl(seconds)
    return { seconds }
  })
  app.post('/__admin/oauth/access-tokens/expire', async (req) => {
    oauth.expireAccessTokens(optStr(obj(req.body)['user']))
    return { ok: true }
  })
  app.get('/__admin/oauth/grants', async () => oauth.grants())
  app.post('/__admin/oauth/grants/revoke', async (req) => {
    const b = obj(req.body)
    const revoked = oauth.revokeGrants({
      ...(optStr(b['id']) ? { id: optStr(b['id']) as string } : {}),
      ...(optStr(b['user']) ? { userEmail: optStr(b['user']) as string } : {}),
      ...(optStr(b['clientId']) ? { clientId: optStr(b['clientId']) as string } : {}),
      ...(optStr(b['refreshToken']) ? { refreshToken: optStr(b['refreshToken']) as string } : {}),
    })
    return { revoked }
  })
  app.post('/__admin/oauth/tokens', async (req) => {
    const b = obj(req.body)
    const scopes = Array.isArray(b['scopes'])
      ? b['scopes'].filter((s): s is string => typeof s === 'string')
      : undefined
    return oauth.issueTokens({
      userEmail: str(b['user'], 'user'),
      ...(optStr(b['clientId']) ? { clientId: optStr(b['clientId']) as string } : {}),
      ...(scopes ? { scopes } : {}),
    })
  })

  app.get('/__admin/clock', async () => ({ now: new Date(ctx.now()).toISOString(), ms: ctx.now() }))
  app.post('/__admin/clock', async (req) => {
    const ms = obj(req.body)['advanceMs']
    if (typeof ms !== 'number' || !(ms >= 0))
      throw errors.invalid('advanceMs must be a non-negative number', 'advanceMs')
    ctx.advanceClock(ms)
    return { now: new Date(ctx.now()).toISOString(), ms: ctx.now() }
  })

  app.get('/__admin/faults', async () => ctx.faults.list())
  app.post('/__admin/faults', async (req) => {
    const rule = parseFaultRule(req.body)
    ctx.faults.add(rule)
    return rule
  })
  app.delete('/__admin/faults', async (_req, reply) => {
    ctx.faults.clear()
    return reply.code(204).send()
  })

  app.get<{ Querystring: { route?: string } }>('/__admin/requests', async (req) =>
    ctx.requests.list(req.query.route !== undefined ? { route: req.query.route } : undefined),
  )
  app.delete('/__admin/requests', async (_req, reply) => {
    ctx.requests.clear()
    return reply.code(204).send()
  })
}

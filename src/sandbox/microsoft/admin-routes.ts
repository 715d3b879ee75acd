// Admin HTTP API under /__admin: the same owner, OAuth, delta, subscription and fault controls as the in-process API.
import type { FastifyContextConfig, FastifyInstance } from 'fastify'
import type { FaultRule } from '../shared/faults.js'
import type {
  DeltaInvalidation,
  LifecycleEvent,
  MicrosoftEmulator,
  OwnerEventInput,
  TimeInput,
} from './index.js'
import type { ConsentMode } from './oauth.js'

const admin = (name: string) => ({ config: { op: `admin.${name}` } as FastifyContextConfig })
const LIFECYCLE: LifecycleEvent[] = ['reauthorizationRequired', 'subscriptionRemoved', 'missed']
const REASONS: DeltaInvalidation[] = ['syncStateNotFound', 'resyncRequired', 'location']
const MODES: ConsentMode[] = ['auto', 'page', 'deny']

type Body = Record<string, unknown>
type IdParams = { id: string }

function userOpt(q: unknown): { userId?: string } {
  const userId = (q as { userId?: string } | undefined)?.userId
  return userId !== undefined ? { userId } : {}
}

export function registerAdminRoutes(app: FastifyInstance, em: MicrosoftEmulator) {
  app.register(
    async (a) => {
      a.get('/state', admin('state'), async () => ({
        graphBaseUrl: em.graphBaseUrl,
        authBaseUrl: em.authBaseUrl,
        tenantId: em.tenantId,
        defaultUser: em.defaultUser,
        calendars: em.listCalendars(),
        subscriptions: em.listSubscriptions(),
        faults: em.faults.list(),
      }))
      a.post('/reset', admin('reset'), async (req) => {
        const seed = (req.body as { seed?: boolean } | undefined)?.seed
        em.reset(seed !== undefined ? { seed } : {})
        return { ok: true }
      })
      a.post('/users', admin('users'), async (req) => em.addUser(req.body as { mail: string }))
      a.post('/calendars', admin('calendars'), async (req) => {
        const body = (req.body ?? {}) as { name?: string; userId?: string }
        return em.addCalendar(body.name ?? 'Calendar', userOpt(body))
      })

      a.get('/events', admin('events'), async (req) => {
        const q = req.query as { from?: string; to?: string; userId?: string; calendarId?: string }
        return {
          value: em.listInstances({
            from: q.from ?? new Date(Date.now() - 7 * 86_400_000).toISOString(),
            to: q.to ?? new Date(Date.now() + 28 * 86_400_000).toISOString(),
            ...userOpt(q),
            ...(q.calendarId !== undefined ? { calendarId: q.calendarId } : {}),
          }),
        }
      })
      a.post('/events', admin('events'), async (req, reply) => {
        reply.code(201)
        return em.createEvent((req.body ?? {}) as OwnerEventInput)
      })
      a.get('/events/:id', admin('events'), async (req, reply) => {
        const ev = em.getEvent((req.params as IdParams).id, userOpt(req.query))
        return ev ?? reply.code(404).send({ error: 'not_found' })
      })
      a.patch('/events/:id', admin('events'), async (req) =>
        em.updateEvent((req.params as IdParams).id, (req.body ?? {}) as Body, userOpt(req.query)),
      )
      a.post('/events/:id/move', admin('events'), async (req) => {
        const body = (req.body ?? {}) as { start: TimeInput; end?: TimeInput }
        return em.moveEvent((req.params as IdParams).id, body, userOpt(req.query))
      })
      a.delete('/events/:id', admin('events'), async (req, reply) => {
        em.deleteEvent((req.params as IdParams).id, userOpt(req.query))
        return reply.code(204).send()
      })
      a.post('/events/:id/decline', admin('events'), async (req) =>
        em.declineEvent((req.params as IdParams).id, userOpt(req.query)),
      )
      a.post('/events/:id/accept', admin('events'), async (req) =>
        em.acceptEvent((req.params as IdParams).id, userOpt(req.query)),
      )
      a.post('/events/:id/cancel', admin('events'), async (req) =>
        em.cancelEvent((req.params as IdParams).id, userOpt(req.query)),
      )

      a.post('/oauth/consent', admin('oauth'), async (req, reply) => {
        const body = (req.body ?? {}) as { mode?: ConsentMode; refuseNext?: number }
        if (body.mode !== undefined) {
          if (!MODES.includes(body.mode))
            return reply.code(400).send({ error: `mode must be one of ${MODES.join(', ')}` })
          em.setConsentMode(body.mode)
        }
        if (body.refuseNext !== undefined) em.refuseNextAuthorization(body.refuseNext)
        return { ok: true }
      })
      a.post('/oauth/signed-in-user', admin('oauth'), async (req) => {
        em.setSignedInUser(((req.body ?? {}) as { user?: string | null }).user ?? null)
        return { ok: true }
      })
      a.post('/oauth/revoke', admin('oauth'), async (req) => ({
        revoked: em.revokeGrant(
          (req.body ?? {}) as { userId?: string; clientId?: string; accessTokens?: boolean },
        ),
      }))
      a.post('/oauth/expire', admin('oauth'), async (req) => {
        const body = (req.body ?? {}) as { kind?: 'access' | 'refresh'; userId?: string; clientId?: string }
        const { kind, ...filter } = body
        return {
          expired: kind === 'refresh' ? em.expireRefreshTokens(filter) : em.expireAccessTokens(filter),
        }
      })
      a.post('/oauth/tokens', admin('oauth'), async (req) =>
        em.issueTokens((req.body ?? {}) as { userId?: string; clientId?: string; scope?: string }),
      )

      a.post('/delta/invalidate', admin('delta'), async (req, reply) => {
        const body = (req.body ?? {}) as { userId?: string; reason?: DeltaInvalidation }
        if (body.reason !== undefined && !REASONS.includes(body.reason)) {
          return reply.code(400).send({ error: `reason must be one of ${REASONS.join(', ')}` })
        }
        return { invalidated: em.invalidateDeltaTokens(body) }
      })

      a.get('/subscriptions', admin('subscriptions'), async () => ({ value: em.listSubscriptions() }))
      a.post('/subscriptions/:id/expire', admin('subscriptions'), async (req, reply) =>
        em.expireSubscription((req.params as IdParams).id)
          ? { ok: true }
          : reply.code(404).send({ error: 'not_found' }),
      )
      a.post('/subscriptions/:id/remove', admin('subscriptions'), async (req, reply) =>
        em.removeSubscription((req.params as IdParams).id)
          ? { ok: true }
          : reply.code(404).send({ error: 'not_found' }),
      )
      a.post('/subscriptions/:id/lifecycle', admin('subscriptions'), async (req, reply) => {
        const event = ((req.body ?? {}) as { event?: LifecycleEvent }).event
        if (event === undefined || !LIFECYCLE.includes(event)) {
          return reply.code(400).send({ error: `event must be one of ${LIFECYCLE.join(', ')}` })
        }
        return { sent: em.sendLifecycleNotification((req.params as IdParams).id, event) }
      })
      a.get('/notifications', admin('notifications'), async () => ({ value: em.notifications() }))
      a.post('/notifications/drop-rate', admin('notifications'), async (req) => {
        em.setNotificationDropRate(Number(((req.body ?? {}) as { rate?: number }).rate ?? 0))
        return { ok: true }
      })

      a.get('/faults', admin('faults'), async () => ({ value: em.faults.list() }))
      a.post('/faults', admin('faults'), async (req, reply) => {
        em.faults.add((req.body ?? {}) as FaultRule)
        reply.code(201)
        return { value: em.faults.list() }
      })
      a.delete('/faults', admin('faults'), async (_req, reply) => {
        em.faults.clear()
        return reply.code(204).send()
      })
      a.get('/requests', admin('requests'), async (req) => {
        const route = (req.query as { route?: string }).route
        return { value: em.requestLog.list(route !== undefined ? { route } : undefined) }
      })
      a.delete('/requests', admin('requests'), async (_req, reply) => {
        em.requestLog.clear()
        return reply.code(204).send()
      })
    },
    { prefix: '/__admin' },
  )
}

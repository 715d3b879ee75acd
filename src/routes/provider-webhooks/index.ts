// Routes: /webhooks/google, /webhooks/microsoft and its lifecycle URL, where providers say a calendar changed.
// They check the channel's secret, enqueue a sync job and answer at once (SPEC 2.3); hidden from OpenAPI, since
// only Google and Microsoft call them.
import type { FastifyReply } from 'fastify'
import type PgBoss from 'pg-boss'
import * as channels from '../../db/repositories/channels.js'
import type { Deps } from '../../deps.js'
import { problem, sendProblem } from '../../plugins/problem.js'
import { hashToken, safeEqual } from '../../secrets.js'
import { createJobSender, enqueueChannelWork, enqueueSync } from '../../sync/inbound.js'
import type { App } from '../common.js'

const hidden = { schema: { hide: true } }

interface GraphNotification {
  subscriptionId?: unknown
  clientState?: unknown
  lifecycleEvent?: unknown
}

/** The secret matches the stored hash; compared in constant time. */
function secretMatches(channel: channels.CalendarChannel, secret: string | undefined): boolean {
  if (!secret || !channel.secretHash) return false
  return safeEqual(hashToken(secret), channel.secretHash)
}

const REJECTION_CODES: Record<number, string> = { 400: 'bad_request', 403: 'forbidden', 404: 'not_found' }

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

export async function registerProviderWebhookRoutes(app: App, deps: Deps): Promise<void> {
  let sender: PgBoss | null = null
  const jobs = () => {
    sender ??= createJobSender(deps.database)
    return sender
  }
  const rejected = (reply: FastifyReply, status: number, why: string, fields: Record<string, unknown>) => {
    // What failed and which channel, never the token or clientState (neither in the log nor in the answer).
    deps.log.warn({ ...fields, why }, 'provider notification rejected')
    return sendProblem(
      reply,
      problem(status, REJECTION_CODES[status] ?? 'bad_request', `Notification rejected: ${why}.`),
    )
  }

  const googleRejected = (...args: Parameters<typeof rejected>) => {
    deps.metrics.providerNotifications.inc({ provider: 'google', outcome: 'rejected' })
    return rejected(...args)
  }

  await app.register(async (hooks: App) => {
    // Google's notifications are empty bodies labelled `application/json; utf-8` (providers.md), which the
    // default JSON parser refuses with a 400: here an empty body is no body, and anything else is JSON.
    hooks.removeContentTypeParser('application/json')
    hooks.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = String(body)
      if (text.trim() === '') return done(null, undefined)
      try {
        done(null, JSON.parse(text))
      } catch {
        // A SyntaxError with a 400 is what the error seam answers as a malformed_json problem.
        done(Object.assign(new SyntaxError('The body is not JSON.'), { statusCode: 400 }))
      }
    })

    hooks.post('/webhooks/google', hidden, async (request, reply) => {
      const receivedAt = Date.now()
      const channelId = header(request.headers['x-goog-channel-id'])
      const state = header(request.headers['x-goog-resource-state'])
      const resourceId = header(request.headers['x-goog-resource-id'])
      if (!channelId) return googleRejected(reply, 400, 'no channel id', { provider: 'google' })
      const channel = await channels.findChannelForNotification(deps.db, { channelId })
      if (channel?.provider !== 'google')
        return googleRejected(reply, 404, 'unknown channel', { provider: 'google', channelId })
      if (!secretMatches(channel, header(request.headers['x-goog-channel-token'])))
        return googleRejected(reply, 403, 'wrong channel token', { provider: 'google', channelId })
      if (channel.resourceId && resourceId && channel.resourceId !== resourceId)
        return googleRejected(reply, 403, 'wrong resource id', { provider: 'google', channelId })
      deps.metrics.providerNotifications.inc({ provider: 'google', outcome: 'accepted' })
      // `sync` only says the channel works (it may come before the watch call has returned): nothing changed.
      if (state !== 'sync')
        await enqueueSync(jobs(), {
          accountId: channel.accountId,
          connectionId: channel.connectionId,
          calendarId: channel.calendarId,
          notifiedAt: receivedAt,
        })
      return reply.code(200).send()
    })

    /** Each Graph notification's channel: ours named in the URL, else by subscription id; its clientState checked. */
    const graphChannels = async (
      query: { channel?: string },
      body: unknown,
      kind: 'change' | 'lifecycle',
    ): Promise<{ channel: channels.CalendarChannel; n: GraphNotification }[]> => {
      const value = (body as { value?: unknown } | undefined)?.value
      const list = Array.isArray(value) ? (value as GraphNotification[]) : []
      const accepted: { channel: channels.CalendarChannel; n: GraphNotification }[] = []
      const count = (outcome: 'accepted' | 'rejected', n = 1) =>
        deps.metrics.providerNotifications.inc({ provider: 'microsoft', outcome }, n)
      if (list.length === 0) count('rejected')
      for (const n of list) {
        if (!n || typeof n !== 'object') {
          deps.log.warn(
            { provider: 'microsoft', kind, why: 'not a notification' },
            'provider notification rejected',
          )
          continue
        }
        const subscriptionId = typeof n.subscriptionId === 'string' ? n.subscriptionId : ''
        const channel = query.channel
          ? await channels.findChannelForNotification(deps.db, { channelId: query.channel })
          : subscriptionId
            ? await channels.findChannelForNotification(deps.db, {
                provider: 'microsoft',
                resourceId: subscriptionId,
              })
            : null
        const fields = { provider: 'microsoft', kind, channelId: channel?.id, subscriptionId }
        if (channel?.provider !== 'microsoft') {
          deps.log.warn({ ...fields, why: 'unknown subscription' }, 'provider notification rejected')
          continue
        }
        if (channel.resourceId && subscriptionId !== channel.resourceId) {
          deps.log.warn({ ...fields, why: 'wrong subscription id' }, 'provider notification rejected')
          continue
        }
        if (!secretMatches(channel, typeof n.clientState === 'string' ? n.clientState : undefined)) {
          deps.log.warn({ ...fields, why: 'wrong clientState' }, 'provider notification rejected')
          continue
        }
        accepted.push({ channel, n })
      }
      count('accepted', accepted.length)
      count('rejected', list.length - accepted.length)
      return accepted
    }

    /** Graph checks a notification URL by POSTing `?validationToken=`: echo it decoded, as text, at once. */
    const validation = (query: { validationToken?: string }, reply: FastifyReply) =>
      reply.code(200).type('text/plain; charset=utf-8').send(query.validationToken)

    hooks.post<{ Querystring: { validationToken?: string; channel?: string } }>(
      '/webhooks/microsoft',
      hidden,
      async (request, reply) => {
        if (typeof request.query.validationToken === 'string') return validation(request.query, reply)
        const receivedAt = Date.now()
        const accepted = await graphChannels(request.query, request.body, 'change')
        const calendars = new Map(accepted.map(({ channel }) => [channel.id, channel]))
        for (const channel of calendars.values())
          await enqueueSync(jobs(), {
            accountId: channel.accountId,
            connectionId: channel.connectionId,
            calendarId: channel.calendarId,
            notifiedAt: receivedAt,
          })
        if (accepted.length === 0)
          return rejected(reply, 403, 'no notification with a known channel', { provider: 'microsoft' })
        return reply.code(202).send()
      },
    )

    hooks.post<{ Querystring: { validationToken?: string; channel?: string } }>(
      '/webhooks/microsoft/lifecycle',
      hidden,
      async (request, reply) => {
        if (typeof request.query.validationToken === 'string') return validation(request.query, reply)
        const receivedAt = Date.now()
        const accepted = await graphChannels(request.query, request.body, 'lifecycle')
        for (const { channel, n } of accepted) {
          const calendar = {
            accountId: channel.accountId,
            connectionId: channel.connectionId,
            calendarId: channel.calendarId,
          }
          // The need is written on the channel row, then upkeep is asked for: the queue keeps one waiting upkeep job
          // per calendar and drops a duplicate, and whichever job runs reads the row (due → renewed, gone → made).
          switch (n.lifecycleEvent) {
            case 'reauthorizationRequired':
              await channels.markChannelDue(deps.db, channel.accountId, channel.id, new Date(receivedAt))
              await enqueueChannelWork(jobs(), calendar)
              break
            case 'subscriptionRemoved':
              await channels.deleteChannel(deps.db, channel.accountId, channel.id)
              await enqueueChannelWork(jobs(), calendar)
              break
            case 'missed':
              await enqueueSync(jobs(), { ...calendar, full: true, notifiedAt: receivedAt })
              break
            default:
              deps.log.info({ lifecycleEvent: String(n.lifecycleEvent) }, 'lifecycle event ignored')
          }
        }
        if (accepted.length === 0)
          return rejected(reply, 403, 'no notification with a known channel', { provider: 'microsoft' })
        return reply.code(202).send()
      },
    )
  })
}

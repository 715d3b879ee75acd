// The parts of one Google emulator instance that its route modules share.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Faults } from '../shared/faults.js'
import type { Notifier } from '../shared/notifier.js'
import type { RequestLog } from '../shared/request-log.js'
import type { Channels } from './channels.js'
import { faultError, oauthFaultError } from './errors.js'
import type { AuthContext, OAuth } from './oauth.js'
import type { createQueries } from './queries.js'
import type { CalendarStore } from './store.js'

export interface EmulatorContext {
  now: () => number
  store: CalendarStore
  queries: ReturnType<typeof createQueries>
  oauth: OAuth
  channels: Channels
  faults: Faults
  requests: RequestLog
  notifier: Notifier
  /** Moves the emulator's clock (token expiry, channel expiry, `updated`) forward without waiting. */
  advanceClock: (ms: number) => void
  /** Clears everything and optionally seeds again. */
  reset: (opts?: { seed?: boolean }) => void
}

const operations = new WeakMap<FastifyRequest, string>()
const callers = new WeakMap<FastifyRequest, AuthContext>()

export function operationOf(req: FastifyRequest): string {
  return operations.get(req) ?? 'unknown'
}

export function callerOf(req: FastifyRequest): AuthContext {
  const c = callers.get(req)
  if (!c) throw new Error('route registered without auth')
  return c
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Route options that name the operation (for faults and the request log), apply injected faults,
 * and authenticate the caller when `access` is given. Faults come first so a forced 429 needs no token.
 */
export function operation(
  ctx: EmulatorContext,
  name: string,
  access?: 'read' | 'write' | 'freebusy',
  style: 'api' | 'oauth' = 'api',
) {
  return {
    onRequest: async (req: FastifyRequest, _reply: FastifyReply) => {
      operations.set(req, name)
      const fault = ctx.faults.take(name)
      if (fault?.answerDelayMs) answerDelays.set(req, fault.answerDelayMs)
      if (fault?.latencyMs) await sleep(fault.latencyMs)
      if (fault?.status !== undefined) {
        if (style === 'oauth') throw oauthFaultError(fault.status)
        throw faultError(fault.status, fault.retryAfterSeconds)
      }
      if (access) callers.set(req, ctx.oauth.authenticate(req.headers.authorization, access))
    },
    // The work is done; the answer waits (see FaultRule.answerDelayMs).
    onSend: async (req: FastifyRequest) => {
      const delay = answerDelays.get(req)
      if (delay) await sleep(delay)
    },
  }
}

const answerDelays = new WeakMap<FastifyRequest, number>()

export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

// Fault injection shared by both emulators: forced statuses, error rates and latency, per operation.

export interface FaultRule {
  /** An operation name like 'events.list', 'events.insert', 'token', or '*' for every operation. */
  route: string
  /** The status to answer with; the emulator renders the provider-specific error body. */
  status?: number
  /** Apply to the next N matching calls only; unlimited when omitted. */
  count?: number
  /** Probability (0..1) that a matching call fails with `status` (500 when no status is given). */
  errorRate?: number
  /** Delay before answering a matching call. */
  latencyMs?: number
  /**
   * Delay after the call took effect, before its answer goes out: a client that dies meanwhile never learns the
   * outcome of a write that happened (the case idempotent inserts exist for).
   */
  answerDelayMs?: number
  /** Sent as `Retry-After` with the error. */
  retryAfterSeconds?: number
}

export interface FaultDecision {
  status?: number
  latencyMs?: number
  answerDelayMs?: number
  retryAfterSeconds?: number
}

export interface Faults {
  add(rule: FaultRule): void
  clear(): void
  /** Decides what happens to one call of `route` (decrementing counts); null when no rule applies. */
  take(route: string): FaultDecision | null
  list(): FaultRule[]
}

export interface FaultsOptions {
  /** Injectable randomness for error rates, so tests can make them deterministic. */
  random?: () => number
}

export function createFaults(opts: FaultsOptions = {}): Faults {
  const random = opts.random ?? Math.random
  let rules: Array<FaultRule & { remaining: number }> = []

  return {
    add(rule) {
      if (typeof rule.route !== 'string' || rule.route.length === 0)
        throw new TypeError('fault rule needs a route')
      rules.push({ ...rule, remaining: rule.count ?? Number.POSITIVE_INFINITY })
    },
    clear() {
      rules = []
    },
    list() {
      return rules.map(({ remaining, ...rule }) => ({
        ...rule,
        ...(Number.isFinite(remaining) ? { count: remaining } : {}),
      }))
    },
    take(route) {
      let decision: FaultDecision | null = null
      const merge = (extra: FaultDecision): FaultDecision => ({ ...(decision ?? {}), ...extra })
      for (const rule of rules) {
        if (rule.remaining <= 0) continue
        if (rule.route !== '*' && rule.route !== route) continue
        // An error rate rolls the dice per call; a miss does not consume the rule's count.
        if (rule.errorRate !== undefined && random() >= rule.errorRate) {
          if (rule.latencyMs !== undefined) decision = merge({ latencyMs: rule.latencyMs })
          continue
        }
        rule.remaining -= 1
        const status = rule.status ?? (rule.errorRate !== undefined ? 500 : undefined)
        decision = merge({
          ...(rule.latencyMs !== undefined ? { latencyMs: rule.latencyMs } : {}),
          ...(rule.answerDelayMs !== undefined ? { answerDelayMs: rule.answerDelayMs } : {}),
          ...(status !== undefined ? { status } : {}),
          ...(rule.retryAfterSeconds !== undefined ? { retryAfterSeconds: rule.retryAfterSeconds } : {}),
        })
        if (status !== undefined) break
      }
      rules = rules.filter((r) => r.remaining > 0)
      return decision
    },
  }
}

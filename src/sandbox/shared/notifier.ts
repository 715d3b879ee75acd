// Outbound notification delivery shared by both emulators: fire-and-forget POSTs with retries, timeouts and a drop rate.

export interface NotifierOptions {
  /** Probability (0..1) that a notification is silently never sent; Google says delivery is not 100% reliable. */
  dropRate?: number
  /** Per-attempt timeout; a timeout counts as a failed attempt and is retried. */
  timeoutMs?: number
  /** Attempts in total, the first one included. */
  maxAttempts?: number
  /** Delay before the first retry; doubles on every further retry. */
  backoffMs?: number
  /** Injectable randomness for the drop rate. */
  random?: () => number
}

export interface DeliveryResult {
  url: string
  /** The final status, when a response arrived. */
  status?: number
  /** The last network or timeout error, when no response arrived. */
  error?: string
  attempts: number
  delivered: boolean
  dropped: boolean
}

export interface SendOptions {
  headers: Record<string, string>
  body?: string
  /** Called once the delivery is finished (delivered, given up, or dropped). */
  onResult?: (result: DeliveryResult) => void
}

export interface Notifier {
  send(url: string, opts: SendOptions): void
  /** Resolves when nothing is in flight or waiting for a retry. */
  settle(): Promise<void>
  setDropRate(rate: number): void
  /** Stops pending retries and aborts requests in flight. */
  close(): void
}

export function createNotifier(opts: NotifierOptions = {}): Notifier {
  let dropRate = opts.dropRate ?? 0
  const timeoutMs = opts.timeoutMs ?? 10_000
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5)
  const backoffMs = opts.backoffMs ?? 500
  const random = opts.random ?? Math.random
  let inFlight = 0
  let closed = false
  let waiters: Array<() => void> = []
  const controllers = new Set<AbortController>()
  const timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>()

  const finishOne = () => {
    inFlight -= 1
    if (inFlight === 0) {
      const w = waiters
      waiters = []
      for (const resolve of w) resolve()
    }
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          timers.delete(entry)
          resolve()
        }, ms),
        wake: resolve,
      }
      timers.add(entry)
    })

  // Google retries 500/502/503/504 with exponential backoff and counts other non-2xx as failures
  // (providers.md A2 "Notification delivery"); Graph retries anything not 2xx in time, which 5xx covers here.
  const deliver = async (url: string, send: SendOptions): Promise<DeliveryResult> => {
    let status: number | undefined
    let error: string | undefined
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (closed) return { url, attempts: attempt - 1, delivered: false, dropped: false, error: 'closed' }
      const controller = new AbortController()
      controllers.add(controller)
      const timer = setTimeout(() => controller.abort(), timeoutMs)
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: send.headers,
          ...(send.body !== undefined ? { body: send.body } : {}),
          signal: controller.signal,
        })
        await res.arrayBuffer().catch(() => undefined)
        status = res.status
        error = undefined
        if (status < 500) {
          const delivered = status >= 200 && status < 300 ? true : status === 102
          return { url, status, attempts: attempt, delivered, dropped: false }
        }
      } catch (err) {
        status = undefined
        error = controller.signal.aborted ? 'timeout' : err instanceof Error ? err.message : String(err)
      } finally {
        clearTimeout(timer)
        controllers.delete(controller)
      }
      if (attempt < maxAttempts && !closed) await sleep(backoffMs * 2 ** (attempt - 1))
    }
    return {
      url,
      attempts: maxAttempts,
      delivered: false,
      dropped: false,
      ...(status !== undefined ? { status } : {}),
      ...(error !== undefined ? { error } : {}),
    }
  }

  return {
    send(url, send) {
      if (closed) return
      if (dropRate > 0 && random() < dropRate) {
        send.onResult?.({ url, attempts: 0, delivered: false, dropped: true })
        return
      }
      inFlight += 1
      deliver(url, send)
        .then((result) => send.onResult?.(result))
        .catch(() => undefined)
        .finally(finishOne)
    },
    settle() {
      if (inFlight === 0) return Promise.resolve()
      return new Promise<void>((resolve) => waiters.push(resolve))
    },
    setDropRate(rate) {
      if (!(rate >= 0 && rate <= 1)) throw new RangeError('drop rate must be between 0 and 1')
      dropRate = rate
    },
    close() {
      closed = true
      for (const c of controllers) c.abort()
      for (const t of timers) {
        clearTimeout(t.timer)
        t.wake()
      }
      timers.clear()
    },
  }
}

// The background worker (ROLE=worker or all): hands committed outbox rows to the queue and runs the queue's jobs.
// Any number of workers can run against one database: pg-boss gives each job to one of them, and the outbox
// dispatcher takes rows with SKIP LOCKED.
import type PgBoss from 'pg-boss'
import type { Deps } from './deps.js'
import { QUEUES, startJobQueue, workDraining } from './jobs/queue.js'
import { listenForWork, onLocalWork } from './jobs/wake.js'
import {
  DEFAULT_RETRY_DELAYS_SECONDS,
  deliverWebhook,
  dispatchRedeliveries,
  overdueAfterMs,
  requeueOverdueDeliveries,
  type WebhookDeliveryJob,
} from './services/webhook-delivery.js'
import { type InboundOptions, startInbound } from './sync/inbound.js'
import {
  type CalendarWriteJob,
  dispatchOutbox,
  MAX_BACKOFF_SECONDS,
  requeueStalePending,
  writeBookingEvent,
} from './sync/outbound.js'

export interface WorkerOptions {
  /** A job whose worker died is given to another after this long. */
  jobTimeoutSeconds: number
  /** How often the outbox is checked for new booking changes when nothing wakes the worker (src/jobs/wake.ts). */
  dispatchIntervalMs?: number
  /** How often each queue is polled for jobs when nothing wakes the worker (default 0.5 s; tests lengthen it). */
  queuePollingIntervalSeconds?: number
  /** First retry delay of a failed calendar write, or of a job whose worker died, doubling after each (tests shorten it). */
  backoffBaseSeconds?: number
  /** Waits between app webhook attempts; after the last, the delivery fails (tests shorten the schedule). */
  webhookRetryDelaysSeconds?: readonly number[]
  /** How often queue depths are sampled into the metrics. */
  queueSampleIntervalMs?: number
  /** Calendar changes coming in (SPEC 2.3): channel life, renewal, polling interval (tests shorten them). */
  inbound?: InboundOptions
}

export interface Worker {
  boss: PgBoss
  /** Stops taking work, lets running jobs finish (up to 10 s), releases the rest. */
  stop(): Promise<void>
}

export async function startWorker(deps: Deps, options: WorkerOptions): Promise<Worker> {
  const boss = await startJobQueue(deps.database, {
    jobTimeoutSeconds: options.jobTimeoutSeconds,
    ...(options.backoffBaseSeconds
      ? { retryDelaySeconds: Math.max(1, Math.round(options.backoffBaseSeconds)) }
      : {}),
  })
  const polling = options.queuePollingIntervalSeconds
  const writes = await workDraining<CalendarWriteJob>(
    boss,
    QUEUES.calendarWrite,
    1,
    async (jobs) => {
      for (const job of jobs) await writeBookingEvent(deps, boss, job.data, options.backoffBaseSeconds)
    },
    polling,
  )
  const retryDelays = options.webhookRetryDelaysSeconds ?? DEFAULT_RETRY_DELAYS_SECONDS
  // A few at a time: one slow endpoint (up to 10 s) must not hold up every other app's events.
  const deliveries = await workDraining<WebhookDeliveryJob>(
    boss,
    QUEUES.webhookDelivery,
    4,
    async (jobs) => {
      await Promise.all(jobs.map((job) => deliverWebhook(deps, boss, job.data, retryDelays)))
    },
    polling,
  )

  const inbound = await startInbound(deps, boss, options.jobTimeoutSeconds, {
    ...options.inbound,
    ...(polling ? { queuePollingIntervalSeconds: polling } : {}),
  })

  let stopped = false
  let running: Promise<void> = Promise.resolve()
  const interval = options.dispatchIntervalMs ?? 250
  // The dispatcher sleeps `interval` between rounds unless woken: by a booking committed in this process, or in
  // another through the listener (src/jobs/wake.ts). A wake-up during a round makes the next start at once.
  let woken = false
  let endSleep: (() => void) | null = null
  const wakeDispatch = () => {
    woken = true
    endSleep?.()
  }
  const sleep = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, interval)
      endSleep = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  const unregister = onLocalWork(deps.database, 'outbox', wakeDispatch)
  const listener = listenForWork(deps.database, deps.log)
  // Jobs just committed by the dispatcher: their workers take them now, not at their next poll.
  const queued = (count: number, ...workers: string[]) => {
    if (count > 0) for (const worker of workers) boss.notifyWorker(worker)
    return count
  }
  // Longer than the longest backoff between two attempts, so a write waiting for its retry is never stale.
  const staleAfterMs = (MAX_BACKOFF_SECONDS * 1.25 + options.jobTimeoutSeconds * 2) * 1000
  let lastStaleCheck = 0
  let lastQueueSample = 0
  const sampleEvery = options.queueSampleIntervalMs ?? 15_000
  const loop = async () => {
    while (!stopped) {
      woken = false
      try {
        // Drain: keep going while full batches come back.
        while (!stopped && queued(await dispatchOutbox(deps, boss), writes, deliveries) === 100) {}
        while (!stopped && queued(await dispatchRedeliveries(deps, boss), deliveries) === 100) {}
        if (Date.now() - lastQueueSample > sampleEvery) {
          lastQueueSample = Date.now()
          for (const queue of Object.values(QUEUES))
            deps.metrics.queueDepth.set({ queue }, await boss.getQueueSize(queue))
        }
        if (Date.now() - lastStaleCheck > 60_000) {
          lastStaleCheck = Date.now()
          await requeueStalePending(deps, boss, staleAfterMs)
          await requeueOverdueDeliveries(deps, overdueAfterMs(options.jobTimeoutSeconds, retryDelays))
        }
      } catch (err) {
        deps.log.warn({ err }, 'outbox dispatch failed; retrying')
      }
      if (!woken && !stopped) await sleep()
      endSleep = null
    }
  }
  running = loop()

  return {
    boss,
    async stop() {
      stopped = true
      unregister()
      endSleep?.()
      await Promise.all([running, inbound.stop(), listener.stop()])
      await boss.stop({ graceful: true, timeout: 10_000, close: false })
    },
  }
}

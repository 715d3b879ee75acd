// The background worker (ROLE=worker or all): hands committed outbox rows to the queue and runs the queue's jobs.
// Any number of workers can run against one database: pg-boss gives each job to one of them, and the outbox
// dispatcher takes rows with SKIP LOCKED.
import type PgBoss from 'pg-boss'
import type { Deps } from './deps.js'
import { QUEUES, startJobQueue } from './jobs/queue.js'
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
  /** How often the outbox is checked for new booking changes. */
  dispatchIntervalMs?: number
  /** First retry delay of a failed calendar write, doubling after each failure (tests shorten it). */
  backoffBaseSeconds?: number
}

export interface Worker {
  boss: PgBoss
  /** Stops taking work, lets running jobs finish (up to 10 s), releases the rest. */
  stop(): Promise<void>
}

export async function startWorker(deps: Deps, options: WorkerOptions): Promise<Worker> {
  const boss = await startJobQueue(deps.database, { jobTimeoutSeconds: options.jobTimeoutSeconds })
  await boss.work<CalendarWriteJob>(
    QUEUES.calendarWrite,
    { pollingIntervalSeconds: 0.5, batchSize: 1 },
    async (jobs) => {
      for (const job of jobs) await writeBookingEvent(deps, boss, job.data, options.backoffBaseSeconds)
    },
  )

  let stopped = false
  let running: Promise<void> = Promise.resolve()
  const interval = options.dispatchIntervalMs ?? 250
  // Longer than the longest backoff between two attempts, so a write waiting for its retry is never stale.
  const staleAfterMs = (MAX_BACKOFF_SECONDS * 1.25 + options.jobTimeoutSeconds * 2) * 1000
  let lastStaleCheck = 0
  const loop = async () => {
    while (!stopped) {
      try {
        // Drain: keep going while full batches come back.
        while (!stopped && (await dispatchOutbox(deps, boss)) === 100) {}
        if (Date.now() - lastStaleCheck > 60_000) {
          lastStaleCheck = Date.now()
          await requeueStalePending(deps, boss, staleAfterMs)
        }
      } catch (err) {
        deps.log.warn({ err }, 'outbox dispatch failed; retrying')
      }
      await new Promise((resolve) => setTimeout(resolve, interval))
    }
  }
  running = loop()

  return {
    boss,
    async stop() {
      stopped = true
      await running
      await boss.stop({ graceful: true, timeout: 10_000, close: false })
    },
  }
}

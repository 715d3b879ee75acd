// The job queue: pg-boss on the service's own PostgreSQL (or PGlite, through our one-session pool).
import { CompiledQuery, type Kysely } from 'kysely'
import PgBoss from 'pg-boss'
import type { Database } from '../db/connect.js'
import type { DB } from '../db/schema.js'

export const QUEUES = {
  /** Write one booking's event to one connection's destination calendar. */
  calendarWrite: 'calendar-write',
  /** Deliver one app webhook (one event to one endpoint); the handler schedules its own retries. */
  webhookDelivery: 'webhook-delivery',
} as const

export interface JobQueueOptions {
  /** A job whose worker died is retried after this long (pg-boss expiry). */
  jobTimeoutSeconds: number
  /** First wait before such a job runs again, doubling with each retry (default 5). */
  retryDelaySeconds?: number
}

export async function startJobQueue(database: Database, options: JobQueueOptions): Promise<PgBoss> {
  const base = {
    // Workers poll; a second instance of this queue anywhere sees the same jobs, each processed once.
    expireInSeconds: options.jobTimeoutSeconds,
    retentionDays: 7,
    schedule: false,
    // Maintenance (which also gives expired jobs of dead workers back) runs in one instance at a time; often
    // enough that a crashed worker's job is retried about one timeout after it expired.
    maintenanceIntervalSeconds: Math.max(1, Math.min(60, options.jobTimeoutSeconds)),
  }
  const boss = new PgBoss({ ...base, db: poolExecutor(database) })
  boss.on('error', () => {})
  await boss.start()
  // pg-boss retries only a job whose worker died or that threw (the database failed mid-job): the handlers
  // reschedule provider and endpoint failures themselves. Five retries outlast a worker killed a few times in a row.
  const retries = { retryLimit: 5, retryDelay: options.retryDelaySeconds ?? 5, retryBackoff: true }
  // 'stately': at most one waiting job per key, so a burst of changes to one booking is written once.
  await ensureQueue(boss, {
    name: QUEUES.calendarWrite,
    policy: 'stately',
    ...retries,
    expireInSeconds: options.jobTimeoutSeconds,
  })
  await ensureQueue(boss, {
    name: QUEUES.webhookDelivery,
    policy: 'standard',
    ...retries,
    expireInSeconds: options.jobTimeoutSeconds,
  })
  return boss
}

/**
 * Creates the queue, or brings an existing one to this configuration: pg-boss keeps the options a queue was first
 * created with, so a changed WORKER_JOB_TIMEOUT_SECONDS would otherwise never reach the queue. Processes starting
 * together on a fresh database deadlock inside pg-boss's create_queue (it inserts the queue row and attaches its
 * partition to the job table in one transaction): the pool executor runs the loser's statement again.
 */
export async function ensureQueue(boss: PgBoss, queue: PgBoss.Queue): Promise<void> {
  await boss.createQueue(queue.name, queue)
  await boss.updateQueue(queue.name, queue)
}

/**
 * Works a queue and drains it: pg-boss waits out the polling interval after every batch, even with more jobs
 * waiting, so a worker would take at most batchSize jobs per half second however long the queue. A full batch asks
 * for the next one at once. Returns the worker id (for `boss.notifyWorker`, which src/jobs/wake.ts calls when
 * work is committed; polling every `pollingIntervalSeconds` is the fallback).
 */
export async function workDraining<T>(
  boss: PgBoss,
  queue: string,
  batchSize: number,
  handle: (jobs: PgBoss.Job<T>[]) => Promise<void>,
  pollingIntervalSeconds = 0.5,
): Promise<string> {
  let id = ''
  id = await boss.work<T>(queue, { pollingIntervalSeconds, batchSize }, async (jobs) => {
    await handle(jobs)
    if (jobs.length === batchSize) boss.notifyWorker(id)
  })
  return id
}

/** SQLSTATEs of a statement PostgreSQL rolled back whole: a deadlock victim, a serialization failure. */
const ROLLED_BACK = new Set(['40P01', '40001'])

/** Whether `err` is a statement PostgreSQL rolled back to break a lock cycle or a serialization conflict. */
export function isRolledBackStatement(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && ROLLED_BACK.has(code)
}

/**
 * pg-boss on the service's own pool: no second pool, and on PGlite the one session it has. A single statement
 * that lost a deadlock is run again (it was rolled back whole, so that is safe): pg-boss's statements deadlock
 * with each other now and then (queue creation by processes starting together; a failed job's retry against a
 * send on a stately queue), and it completes and fails jobs without awaiting them, so such an error would go
 * unheard. A text with its own BEGIN is left alone: after an error its transaction is pg-boss's to end.
 */
export function poolExecutor(database: Database): PgBoss.Db {
  return {
    executeSql: async (text, values) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await database.pool.query(text, values)
        } catch (err) {
          if (!isRolledBackStatement(err) || attempt >= 6 || /\bBEGIN\b/i.test(text)) throw err
          await new Promise((resolve) => setTimeout(resolve, 25 * attempt + Math.random() * 75))
        }
      }
    },
  }
}

/** pg-boss inside a Kysely transaction: a job sent this way exists only if the transaction commits. */
export function transactionExecutor(trx: Kysely<DB>): PgBoss.Db {
  return {
    executeSql: async (text, values) => {
      const result = await trx.executeQuery(CompiledQuery.raw(text, values))
      return { rows: result.rows as unknown[] }
    },
  }
}

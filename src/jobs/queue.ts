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
  // 'stately': at most one waiting job per key, so a burst of changes to one booking is written once.
  await boss.createQueue(QUEUES.calendarWrite, {
    name: QUEUES.calendarWrite,
    policy: 'stately',
    retryLimit: 3,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: options.jobTimeoutSeconds,
  })
  // pg-boss retries only a job whose worker died or threw; answered-or-not attempts are rescheduled by the handler.
  await boss.createQueue(QUEUES.webhookDelivery, {
    name: QUEUES.webhookDelivery,
    policy: 'standard',
    retryLimit: 5,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: options.jobTimeoutSeconds,
  })
  return boss
}

/** pg-boss on the service's own pool: no second pool, and on PGlite the one session it has. */
function poolExecutor(database: Database): PgBoss.Db {
  return { executeSql: (text, values) => database.pool.query(text, values) }
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

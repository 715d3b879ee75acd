// Processes starting together on a fresh database (a fleet's first deploy) must all come up: pg-boss's queue
// creation deadlocks when several run it at once, and the loser has to try again rather than exit.
import { describe, expect, it } from 'vitest'
import { connectDatabase } from '../../../src/db/connect.js'
import { startJobQueue } from '../../../src/jobs/queue.js'
import { createInboundQueues } from '../../../src/sync/inbound.js'
import { createTestDatabase } from '../../helpers/database.js'

const onPostgres = Boolean(process.env.TEST_DATABASE_URL)

describe.runIf(onPostgres)('job queue start', () => {
  it('brings up six processes at once on a fresh database, five times over', async () => {
    for (let round = 0; round < 5; round++) {
      const database = await createTestDatabase()
      // One pool per "process", as separate processes would have.
      const pools = await Promise.all(
        Array.from({ length: 6 }, () => connectDatabase({ databaseUrl: database.url!, dataDir: '' })),
      )
      try {
        const started = await Promise.allSettled(
          pools.map(async (pool) => {
            const boss = await startJobQueue(pool, { jobTimeoutSeconds: 7 })
            await createInboundQueues(boss, 7)
            return boss
          }),
        )
        const failures = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []))
        expect(failures).toEqual([])
        for (const s of started)
          if (s.status === 'fulfilled') await s.value.stop({ graceful: false, wait: true })
        // Every queue exists once, with the options of this start.
        const { rows } = await database.pool.query<{ name: string; expire_seconds: number }>(
          'SELECT name, expire_seconds FROM pgboss.queue ORDER BY name',
        )
        expect(rows.map((r) => r.name)).toEqual([
          'calendar-channel',
          'calendar-sync',
          'calendar-write',
          'webhook-delivery',
        ])
        expect(rows.every((r) => r.expire_seconds === 7)).toBe(true)
      } finally {
        await Promise.all(pools.map((pool) => pool.close()))
        await database.drop()
      }
    }
  })
})

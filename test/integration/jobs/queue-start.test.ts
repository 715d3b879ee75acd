// Processes starting together on a fresh database (a fleet's first deploy) must all come up: pg-boss's queue
// creation deadlocks when several run it at once, and the loser has to try again rather than exit.
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { connectDatabase } from '../../../src/db/connect.js'
import { poolExecutor, startJobQueue } from '../../../src/jobs/queue.js'
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

  it('runs a statement of pg-boss again when it lost a deadlock', async () => {
    const database = await createTestDatabase()
    const other = new pg.Client({ connectionString: database.url! })
    await other.connect()
    try {
      // The statement locks row 2, waits, then wants row 1; meanwhile another session holds row 1 and then asks for
      // row 2. The statement waits first, so PostgreSQL picks it as the deadlock's victim.
      await database.pool.query(`
        CREATE TABLE locks (id int PRIMARY KEY);
        INSERT INTO locks VALUES (1), (2);
        CREATE SEQUENCE attempts;
        CREATE FUNCTION lock_both() RETURNS bigint LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM nextval('attempts');
          PERFORM 1 FROM locks WHERE id = 2 FOR UPDATE;
          PERFORM pg_sleep(0.3);
          PERFORM 1 FROM locks WHERE id = 1 FOR UPDATE;
          RETURN currval('attempts');
        END $$;`)
      await other.query('BEGIN')
      await other.query('SELECT 1 FROM locks WHERE id = 1 FOR UPDATE')
      const statement = poolExecutor(database).executeSql('SELECT lock_both() AS attempt', [])
      // Once the statement waits for row 1 (it holds row 2 by then), ask for row 2.
      for (;;) {
        const waiting = await other.query(
          `SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT lock_both()%' AND wait_event_type = 'Lock'`,
        )
        if (waiting.rowCount) break
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      // Blocks until the statement is rolled back (deadlock_timeout, 1 s), then holds both rows: release them.
      await other.query('SELECT 1 FROM locks WHERE id = 2 FOR UPDATE')
      await other.query('COMMIT')
      const result = (await statement) as { rows: Array<{ attempt: string }> }
      expect(Number(result.rows[0]?.attempt)).toBe(2)
    } finally {
      await other.end()
      await database.drop()
    }
  })
})

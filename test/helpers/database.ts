// A fresh database per test file, cloned from the run's migrated template (see test/global-setup.ts).
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { inject } from 'vitest'
import { connectDatabase, connectEmbeddedFromDump, type Database } from '../../src/db/connect.js'

export interface TestDatabase extends Database {
  /** Connection URL on PostgreSQL (for a second app instance or a child process); null on PGlite. */
  url: string | null
  /** Closes the connections and drops the cloned database. */
  drop(): Promise<void>
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const setup = inject('testDatabase')
  if (setup.kind === 'pglite') {
    const database = await connectEmbeddedFromDump(new Blob([readFileSync(setup.dumpFile)]))
    return { ...database, url: null, drop: () => database.close() }
  }
  const name = `oh_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: setup.url })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${setup.template}`)
  await admin.end()
  const url = new URL(setup.url)
  url.pathname = `/${name}`
  const database = await connectDatabase({ databaseUrl: url.href, dataDir: '' })
  return {
    ...database,
    url: url.href,
    drop: async () => {
      await database.close()
      const cleanup = new pg.Client({ connectionString: setup.url })
      await cleanup.connect()
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await cleanup.end()
    },
  }
}

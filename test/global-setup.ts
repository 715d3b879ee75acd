// Vitest global setup: one migrated template database per run, cloned by each test file.
// PostgreSQL (TEST_DATABASE_URL set): a template database. Otherwise: a migrated PGlite data dir dumped to a file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { connectEmbedded } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabase: { kind: 'postgres'; url: string; template: string } | { kind: 'pglite'; dumpFile: string }
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.TEST_DATABASE_URL
  if (url) {
    const template = `oh_template_${process.pid}`
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${template}`)
    await admin.query(`CREATE DATABASE ${template}`)
    const templateUrl = new URL(url)
    templateUrl.pathname = `/${template}`
    const db = new Kysely({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: templateUrl.href, max: 1 }) }),
    })
    await migrateToLatest(db)
    await db.destroy()
    await admin.query(`ALTER DATABASE ${template} WITH is_template true`)
    project.provide('testDatabase', { kind: 'postgres', url, template })
    return async () => {
      await admin.query(`ALTER DATABASE ${template} WITH is_template false`)
      await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`)
      await admin.end()
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'oh-pglite-'))
  const database = await connectEmbedded('memory://')
  await migrateToLatest(database.db)
  const dump = await database.pglite!.dumpDataDir('none')
  const dumpFile = join(dir, 'template.tar')
  writeFileSync(dumpFile, Buffer.from(await dump.arrayBuffer()))
  await database.close()
  project.provide('testDatabase', { kind: 'pglite', dumpFile })
  return async () => rmSync(dir, { recursive: true, force: true })
}

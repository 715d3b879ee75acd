// Database connection: Kysely over PostgreSQL (DATABASE_URL) or over an embedded PGlite in DATA_DIR.
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { DB } from './schema.js'

export interface Database {
  db: Kysely<DB>
  kind: 'postgres' | 'pglite'
  /** The node-postgres pool under Kysely (pg-boss shares it on PGlite). Size 1 on PGlite: one session. */
  pool: pg.Pool
  /** The embedded instance, on PGlite. */
  pglite?: PgliteInstance
  close(): Promise<void>
}

// Instants stay Date objects; bigint counts come back as numbers (they are small here).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10))

export interface ConnectOptions {
  databaseUrl: string | null
  dataDir: string
  /** Pool size on PostgreSQL. */
  maxConnections?: number
}

export async function connectDatabase(options: ConnectOptions): Promise<Database> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.maxConnections ?? 10 })
    // A client that loses its server (a restart, a crash) emits 'error'; unheard, that kills the process. The pool
    // hears it for idle clients; a checked-out one (inside a transaction, between two statements) must be heard
    // too. Its pending query fails on its own, and the pool drops the broken client when it is released.
    pool.on('error', () => {})
    pool.on('connect', (client) => {
      client.on('error', () => {})
    })
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
    return { db, kind: 'postgres', pool, close: () => db.destroy() }
  }
  return connectEmbedded(options.dataDir)
}

/** PGlite kept in `<dataDir>/pgdata` (or in memory for `memory://`), with btree_gist for exclusion constraints. */
export async function connectEmbedded(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite')
  const { btree_gist } = await import('@electric-sql/pglite/contrib/btree_gist')
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres')
  let location = dataDir
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(resolve(dataDir), { recursive: true })
    location = join(resolve(dataDir), 'pgdata')
  }
  const pglite = await PGlite.create(location, { extensions: { btree_gist } })
  return wrapPglite(pglite, createPgConfig)
}

/** An in-memory PGlite loaded from a dumped data directory (tests clone a migrated template this way). */
export async function connectEmbeddedFromDump(dump: Blob): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite')
  const { btree_gist } = await import('@electric-sql/pglite/contrib/btree_gist')
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres')
  const pglite = await PGlite.create({ loadDataDir: dump, extensions: { btree_gist } })
  return wrapPglite(pglite, createPgConfig)
}

type PgliteInstance = Awaited<ReturnType<typeof import('@electric-sql/pglite').PGlite.create>>

export function wrapPglite(
  pglite: PgliteInstance,
  createPgConfig: typeof import('@electric-sql/pglite/node-postgres').createPgConfig,
): Database {
  // One PGlite is one session: a pool of one makes every caller queue for it.
  const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1 } as pg.PoolConfig)
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    kind: 'pglite',
    pool,
    pglite,
    close: async () => {
      await db.destroy()
      await pglite.close()
    },
  }
}

/** Errors of a database connection that went away (server restart, crash, network), not of a query. */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null
  if (!e || typeof e !== 'object') return false
  // Refused/reset sockets; admin_shutdown, crash_shutdown, cannot_connect_now; class 08 connection exceptions.
  if (typeof e.code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|57P0[123]|08\w{3})$/.test(e.code))
    return true
  return (
    typeof e.message === 'string' &&
    /^(Connection terminated|Client has encountered a connection error|terminating connection|timeout exceeded when trying to connect)/.test(
      e.message,
    )
  )
}

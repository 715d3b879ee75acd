// Prepared statements for hot read paths: each pooled connection parses and plans a fixed query once, then only
// executes it. The availability path is the user; anything else reads through plain Kysely.
import { createHash } from 'node:crypto'
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import type { DB } from './schema.js'

/**
 * Where a hot read runs: through Kysely (any connection, or a transaction), or straight on the node-postgres
 * pool as a named statement, which each pooled connection parses and plans once and then only executes.
 * Planning costs PostgreSQL more than executing these reads, so the availability path passes the pool.
 */
export type HotReader = Kysely<DB> | { prepared: pg.Pool }

/**
 * A Kysely over `pool` whose every statement is prepared once per pooled connection (named by its text), for
 * the few fixed queries of a hot read path that are written with the query builder. Only for queries of a
 * bounded set of shapes: each distinct text stays prepared on each connection for the connection's life.
 */
export function preparedKysely(pool: pg.Pool): Kysely<DB> {
  let db = preparedKyselys.get(pool)
  if (!db) {
    const clients = new WeakMap<pg.PoolClient, PreparingClient>()
    const preparing = {
      async connect() {
        const client = await pool.connect()
        let wrapped = clients.get(client)
        if (!wrapped) {
          wrapped = new PreparingClient(client)
          clients.set(client, wrapped)
        }
        return wrapped
      },
      async end() {
        // The pool belongs to the database connection, which closes it.
      },
    }
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparing as unknown as pg.Pool }) })
    preparedKyselys.set(pool, db)
  }
  return db
}

const preparedKyselys = new WeakMap<pg.Pool, Kysely<DB>>()
const statementNames = new Map<string, string>()

class PreparingClient {
  constructor(private readonly client: pg.PoolClient) {}

  query(text: string, values: unknown[]) {
    let name = statementNames.get(text)
    if (name === undefined) {
      name = `oh_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`
      statementNames.set(text, name)
    }
    return this.client.query({ name, text, values })
  }

  release(destroy?: boolean | Error) {
    this.client.release(destroy)
  }
}

export async function readHot<R extends object>(
  reader: HotReader,
  statement: { name: string; text: string },
  values: unknown[],
): Promise<R[]> {
  if ('prepared' in reader) {
    return (await reader.prepared.query<R & pg.QueryResultRow>({ ...statement, values })).rows
  }
  return (await reader.executeQuery<R>(CompiledQuery.raw(statement.text, values) as CompiledQuery<R>)).rows
}

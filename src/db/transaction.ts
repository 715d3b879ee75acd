// Transactions that nest: inside an outer transaction (an idempotent request), services join it.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from './schema.js'

export function inTransaction<T>(db: Kysely<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<DB>) : db.transaction().execute(fn)
}

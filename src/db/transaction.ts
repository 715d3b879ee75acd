// Transactions that nest: inside an outer transaction (an idempotent request), services join it.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from './schema.js'

/** What to do once each open transaction (opened by inTransaction) has committed. */
const committed = new WeakMap<Kysely<DB>, (() => void)[]>()

export async function inTransaction<T>(db: Kysely<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<DB>)
  const callbacks: (() => void)[] = []
  const result = await db.transaction().execute((trx) => {
    committed.set(trx, callbacks)
    return fn(trx)
  })
  for (const callback of callbacks) callback()
  return result
}

/**
 * Runs `callback` once what was written through `db` is committed: after the commit of the outermost
 * inTransaction, or at once outside a transaction (or in one opened some other way). Not run if that transaction
 * rolls back (a savepoint rolled back inside it does not cancel it: use it for hints, like a wake-up).
 */
export function afterCommit(db: Kysely<DB>, callback: () => void): void {
  const callbacks = db.isTransaction ? committed.get(db) : undefined
  if (callbacks) callbacks.push(callback)
  else callback()
}

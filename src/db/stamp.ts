// Soft deletes and revocations: set a timestamp column once on one row of the account; false when there was no
// such live row (missing, another account's, or already stamped).
import type { Kysely } from 'kysely'
import type { DB } from './schema.js'

type Stampable = {
  [T in keyof DB]: 'account_id' extends keyof DB[T]
    ? 'deleted_at' extends keyof DB[T]
      ? T
      : 'revoked_at' extends keyof DB[T]
        ? T
        : never
    : never
}[keyof DB]

export async function stampOnce(
  db: Kysely<DB>,
  table: Stampable,
  column: 'deleted_at' | 'revoked_at',
  accountId: string,
  id: string,
  at: Date,
  scope: { clientId?: string } = {},
): Promise<boolean> {
  // One shape for several tables: Kysely cannot type a column chosen at run time, hence the casts.
  let query = db
    .updateTable(table as 'assistants')
    .set({ [column]: at } as never)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where(column as 'deleted_at', 'is', null)
  if (scope.clientId) query = query.where('client_id' as never, '=', scope.clientId as never)
  const result = await query.executeTakeFirst()
  return result.numUpdatedRows > 0n
}

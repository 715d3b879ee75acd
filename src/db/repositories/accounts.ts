// Accounts, API keys and admin tokens.
import type { Kysely } from 'kysely'
import type { ApiKeyRow, DB } from '../schema.js'
import { stampOnce } from '../stamp.js'

export interface Account {
  id: string
  name: string
  createdAt: Date
}

export interface ApiKey {
  id: string
  name: string
  prefix: string
  createdAt: Date
  lastUsedAt: Date | null
  revokedAt: Date | null
}

export async function insertAccount(db: Kysely<DB>, account: { id: string; name: string }): Promise<Account> {
  const row = await db.insertInto('accounts').values(account).returningAll().executeTakeFirstOrThrow()
  return { id: row.id, name: row.name, createdAt: row.created_at }
}

export async function countAccounts(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function insertApiKey(
  db: Kysely<DB>,
  accountId: string,
  key: { id: string; name: string; prefix: string; keyHash: string },
): Promise<ApiKey> {
  const row = await db
    .insertInto('api_keys')
    .values({ id: key.id, account_id: accountId, name: key.name, prefix: key.prefix, key_hash: key.keyHash })
    .returningAll()
    .executeTakeFirstOrThrow()
  return rowToApiKey(row)
}

export async function listApiKeys(db: Kysely<DB>, accountId: string): Promise<ApiKey[]> {
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.map(rowToApiKey)
}

/** Revokes a key of the account; false when there is no such live key. */
export function revokeApiKey(db: Kysely<DB>, accountId: string, id: string, at: Date): Promise<boolean> {
  return stampOnce(db, 'api_keys', 'revoked_at', accountId, id, at)
}

/** The account of a live key. Authentication is the one lookup that is not scoped by account: it finds the account. */
export async function findAccountIdByKeyHash(
  db: Kysely<DB>,
  keyHash: string,
): Promise<{ accountId: string; keyId: string } | null> {
  const row = await db
    .selectFrom('api_keys')
    .select(['account_id', 'id'])
    .where('key_hash', '=', keyHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row ? { accountId: row.account_id, keyId: row.id } : null
}

export async function touchApiKey(db: Kysely<DB>, accountId: string, id: string, at: Date): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .execute()
}

export async function hasAdminToken(db: Kysely<DB>): Promise<boolean> {
  const row = await db.selectFrom('admin_tokens').select('id').limit(1).executeTakeFirst()
  return row !== undefined
}

export async function insertAdminToken(
  db: Kysely<DB>,
  token: { id: string; tokenHash: string },
): Promise<void> {
  await db.insertInto('admin_tokens').values({ id: token.id, token_hash: token.tokenHash }).execute()
}

export async function adminTokenExists(db: Kysely<DB>, tokenHash: string): Promise<boolean> {
  const row = await db
    .selectFrom('admin_tokens')
    .select('id')
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst()
  return row !== undefined
}

function rowToApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  }
}

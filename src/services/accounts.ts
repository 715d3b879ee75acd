// Use cases for accounts and API keys, and the first-start bootstrap (admin token and first account).

import { sql } from 'kysely'
import * as repo from '../db/repositories/accounts.js'
import { inTransaction } from '../db/transaction.js'
import type { Deps } from '../deps.js'
import { NotFoundError } from '../errors.js'
import { newId } from '../ids.js'
import { generateToken, hashToken } from '../secrets.js'

export interface NewApiKey extends repo.ApiKey {
  /** The key itself: shown once, never stored. */
  key: string
}

// The prefix shown in lists identifies a key to its owner without revealing enough of it to matter.
const PREFIX_LENGTH = 12

async function createKey(db: Deps['db'], accountId: string, name: string): Promise<NewApiKey> {
  const key = generateToken('key')
  const stored = await repo.insertApiKey(db, accountId, {
    id: newId(),
    name,
    prefix: key.slice(0, PREFIX_LENGTH),
    keyHash: hashToken(key),
  })
  return { ...stored, key }
}

export async function createAccount(
  deps: Pick<Deps, 'db'>,
  name: string,
): Promise<{ account: repo.Account; apiKey: NewApiKey }> {
  return inTransaction(deps.db, async (trx) => {
    const account = await repo.insertAccount(trx, { id: newId(), name })
    const apiKey = await createKey(trx, account.id, 'default')
    return { account, apiKey }
  })
}

export function createApiKey(deps: Deps, accountId: string, name: string): Promise<NewApiKey> {
  return createKey(deps.db, accountId, name)
}

export function listApiKeys(deps: Deps, accountId: string): Promise<repo.ApiKey[]> {
  return repo.listApiKeys(deps.db, accountId)
}

export async function revokeApiKey(deps: Deps, accountId: string, id: string): Promise<void> {
  if (!(await repo.revokeApiKey(deps.db, accountId, id, deps.clock.now()))) throw new NotFoundError('API key')
}

export interface Bootstrap {
  /** A generated admin token, when ADMIN_TOKEN is unset and none was stored before. */
  adminToken: string | null
  /** The first account and its key, when the database had no account. */
  firstAccount: { account: repo.Account; apiKey: NewApiKey } | null
}

// Any constant works: it only has to be the same in every instance racing through the first start.
const BOOTSTRAP_LOCK = 7_246_815_001

/**
 * On a fresh database: generates an admin token (unless ADMIN_TOKEN is configured) and a first account.
 * Serialised with an advisory lock so that several instances starting at once create them once.
 */
export async function bootstrap(deps: Pick<Deps, 'db' | 'config'>): Promise<Bootstrap> {
  return inTransaction(deps.db, async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(trx)
    let adminToken: string | null = null
    if (!deps.config.adminToken && !(await repo.hasAdminToken(trx))) {
      adminToken = generateToken('admin')
      await repo.insertAdminToken(trx, { id: newId(), tokenHash: hashToken(adminToken) })
    }
    let firstAccount: Bootstrap['firstAccount'] = null
    if ((await repo.countAccounts(trx)) === 0) {
      const account = await repo.insertAccount(trx, { id: newId(), name: 'My VA business' })
      firstAccount = { account, apiKey: await createKey(trx, account.id, 'default') }
    }
    return { adminToken, firstAccount }
  })
}

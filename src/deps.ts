// The dependencies every service gets: built once per process (createDeps), overridable by tests.
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import { type Clock, systemClock } from './clock.js'
import type { Config } from './config.js'
import type { Database } from './db/connect.js'
import { insertOutboxEvent } from './db/repositories/bookings.js'
import type { Owner } from './db/repositories/calendars.js'
import type { DB } from './db/schema.js'
import { inTransaction } from './db/transaction.js'
import { newId } from './ids.js'
import { createDomainMetrics, type DomainMetrics } from './metrics.js'
import { resolveEncryptionKey } from './sync/crypto.js'
import type { ProviderName, Providers } from './sync/provider.js'
import { createProviders } from './sync/providers.js'

export interface Deps {
  config: Readonly<Config>
  database: Database
  db: Database['db']
  clock: Clock
  log: FastifyBaseLogger
  /** The Google and Microsoft adapters (src/sync), pointed at the configured base URLs. */
  providers: Providers
  /** The AES-256-GCM key for tokens at rest, resolved on first use (src/sync/crypto.ts resolveEncryptionKey). */
  encryptionKey: () => Buffer
  /** Domain metrics on the registry /metrics serves (src/metrics.ts). */
  metrics: DomainMetrics
  hooks: {
    /**
     * A connection lost its grant. By default this writes the `connection.reauth_required` outbox event (an app
     * webhook) through `db`, the caller's executor: inside a transaction it must be that transaction.
     */
    onReauthRequired(event: ReauthRequiredEvent, db: Kysely<DB>): Promise<void> | void
  }
}

export interface ReauthRequiredEvent {
  accountId: string
  connectionId: string
  owner: Owner
  provider: ProviderName
}

export interface DepsOverrides {
  clock?: Clock
  metrics?: DomainMetrics
  providers?: Providers
  hooks?: Partial<Deps['hooks']>
}

/** Builds the dependencies of the API and the worker from the configuration and an open database. */
export function createDeps(
  config: Readonly<Config>,
  database: Database,
  log: FastifyBaseLogger,
  overrides: DepsOverrides = {},
): Deps {
  const clock = overrides.clock ?? systemClock
  return {
    config,
    database,
    db: database.db,
    clock,
    log,
    providers: overrides.providers ?? createProviders(config),
    encryptionKey: lazyEncryptionKey(config, (message) => log.warn(message)),
    metrics: overrides.metrics ?? createDomainMetrics(),
    hooks: { onReauthRequired: (event, db) => writeReauthEvent(db, clock, event), ...overrides.hooks },
  }
}

/** The account-scoped outbox event apps get as `connection.reauth_required` (no booking). */
function writeReauthEvent(db: Kysely<DB>, clock: Clock, event: ReauthRequiredEvent): Promise<void> {
  return inTransaction(db, (trx) =>
    insertOutboxEvent(
      trx,
      event.accountId,
      {
        id: newId(),
        type: 'connection.reauth_required',
        bookingId: null,
        source: null,
        payload: { connectionId: event.connectionId, owner: event.owner, provider: event.provider },
      },
      clock.now(),
    ),
  )
}

/** The token key, resolved on first use: an app that never connects a calendar needs none (and writes no file). */
function lazyEncryptionKey(config: Readonly<Config>, warn: (message: string) => void): () => Buffer {
  let key: Buffer | null = null
  return () => {
    key ??= resolveEncryptionKey(config, warn)
    return key
  }
}

// The dependencies every service gets: built once per process (createDeps), overridable by tests.
import type { FastifyBaseLogger } from 'fastify'
import { type Clock, systemClock } from './clock.js'
import type { Config } from './config.js'
import type { Database } from './db/connect.js'
import type { Owner } from './db/repositories/calendars.js'
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
  hooks: {
    /** A connection lost its grant. Issue 8 turns this into the `connection.reauth_required` app webhook. */
    onReauthRequired(event: {
      accountId: string
      connectionId: string
      owner: Owner
      provider: ProviderName
    }): Promise<void> | void
  }
}

export interface DepsOverrides {
  clock?: Clock
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
  return {
    config,
    database,
    db: database.db,
    clock: overrides.clock ?? systemClock,
    log,
    providers: overrides.providers ?? createProviders(config),
    encryptionKey: lazyEncryptionKey(config, (message) => log.warn(message)),
    hooks: { onReauthRequired: () => {}, ...overrides.hooks },
  }
}

/** The token key, resolved on first use: an app that never connects a calendar needs none (and writes no file). */
function lazyEncryptionKey(config: Readonly<Config>, warn: (message: string) => void): () => Buffer {
  let key: Buffer | null = null
  return () => {
    key ??= resolveEncryptionKey(config, warn)
    return key
  }
}

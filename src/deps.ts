// The dependencies every service gets: built once in buildApp, overridable by tests.
import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from './clock.js'
import type { Config } from './config.js'
import type { Database } from './db/connect.js'
import type { Owner } from './db/repositories/calendars.js'
import type { ProviderName, Providers } from './sync/provider.js'

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

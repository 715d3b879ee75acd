// Migration: what a calendar connection needs to talk to its provider: account, encrypted tokens, sync state. Frozen.
import { type Kysely, sql } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not import app types
export async function up(db: Kysely<any>): Promise<void> {
  // Tokens are AES-256-GCM ciphertexts (`v1.<iv>.<tag>.<data>`), never plaintext.
  await db.schema
    .alterTable('connections')
    .addColumn('provider_account_id', 'text')
    .addColumn('provider_account_email', 'text')
    .addColumn('access_token_enc', 'text')
    .addColumn('refresh_token_enc', 'text')
    .addColumn('token_expires_at', 'timestamptz')
    .addColumn('last_synced_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'timestamptz')
    .execute()
  await sql`CREATE INDEX connections_provider_account_idx ON connections (account_id, owner_type, owner_id, provider, provider_account_id) WHERE deleted_at IS NULL`.execute(
    db,
  )

  // The provider's cursor (Google sync token, Graph delta link): encrypted, since a delta link embeds tokens.
  await db.schema
    .alterTable('connection_calendars')
    .addColumn('sync_cursor_enc', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('can_write', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('connections_provider_account_idx').ifExists().execute()
  await db.schema
    .alterTable('connection_calendars')
    .dropColumn('sync_cursor_enc')
    .dropColumn('time_zone')
    .dropColumn('can_write')
    .execute()
  await db.schema
    .alterTable('connections')
    .dropColumn('provider_account_id')
    .dropColumn('provider_account_email')
    .dropColumn('access_token_enc')
    .dropColumn('refresh_token_enc')
    .dropColumn('token_expires_at')
    .dropColumn('last_synced_at')
    .dropColumn('last_error')
    .dropColumn('last_error_at')
    .execute()
}

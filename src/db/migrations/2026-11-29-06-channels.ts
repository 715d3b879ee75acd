// Migration: push channels (Google watch, Graph subscription) or polling per busy calendar, and the conflicts
// already reported, so each event/booking pair is reported once. Frozen.
import { type Kysely, sql } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not import app types
export async function up(db: Kysely<any>): Promise<void> {
  // One row per channel; a Google renewal briefly has two per calendar (new channel first, then the old stopped).
  // `secret_hash` is the SHA-256 of the channel token / clientState: enough to check one, useless to forge one.
  await db.schema
    .createTable('calendar_channels')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('calendar_id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull().check(sql`provider IN ('google', 'microsoft')`))
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode IN ('push', 'polling')`))
    .addColumn('resource_id', 'text')
    .addColumn('secret_hash', 'text')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await sql`CREATE INDEX calendar_channels_calendar_idx ON calendar_channels (account_id, connection_id, calendar_id)`.execute(
    db,
  )
  await sql`CREATE INDEX calendar_channels_resource_idx ON calendar_channels (provider, resource_id)`.execute(
    db,
  )
  await sql`CREATE INDEX calendar_channels_expiry_idx ON calendar_channels (expires_at)`.execute(db)

  await db.schema
    .createTable('booking_conflicts')
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('booking_id', 'uuid', (c) => c.notNull().references('bookings.id').onDelete('cascade'))
    .addColumn('connection_id', 'uuid', (c) => c.notNull())
    .addColumn('provider_event_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('booking_conflicts_pk', ['booking_id', 'connection_id', 'provider_event_id'])
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('booking_conflicts').ifExists().execute()
  await db.schema.dropTable('calendar_channels').ifExists().execute()
}

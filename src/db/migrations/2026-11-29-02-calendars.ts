// Migration: calendar connections, their calendars, and the provider events that make people busy. Frozen.
import { type Kysely, sql } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not import app types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('connections')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('owner_type', 'text', (c) => c.notNull().check(sql`owner_type IN ('client', 'assistant')`))
    .addColumn('owner_id', 'uuid', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull().check(sql`provider IN ('google', 'microsoft')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('active').check(sql`status IN ('pending', 'active', 'reauth_required', 'error')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute()
  await db.schema
    .createIndex('connections_owner_idx')
    .on('connections')
    .columns(['account_id', 'owner_type', 'owner_id'])
    .execute()

  await db.schema
    .createTable('connection_calendars')
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('calendar_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('is_primary', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('is_busy', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('is_destination', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('synced_at', 'timestamptz')
    .addPrimaryKeyConstraint('connection_calendars_pkey', ['connection_id', 'calendar_id'])
    .execute()

  // One row per event instance (recurring events are expanded by the sync). Titles are never stored.
  await db.schema
    .createTable('calendar_events')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('calendar_id', 'text', (c) => c.notNull())
    .addColumn('provider_event_id', 'text', (c) => c.notNull())
    .addColumn('recurring_event_id', 'text')
    .addColumn('ical_uid', 'text')
    .addColumn('etag', 'text')
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
    .addColumn('all_day', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('confirmed', 'tentative', 'cancelled')`),
    )
    .addColumn('show_as', 'text', (c) =>
      c.notNull().check(sql`show_as IN ('busy', 'free', 'tentative', 'oof', 'working_elsewhere', 'unknown')`),
    )
    .addColumn('response_status', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`response_status IN ('none', 'organizer', 'accepted', 'tentative', 'declined', 'needs_action')`,
        ),
    )
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('calendar_events_range_check', sql`starts_at <= ends_at`)
    .execute()
  await sql`CREATE UNIQUE INDEX calendar_events_provider_key ON calendar_events (connection_id, calendar_id, provider_event_id)`.execute(
    db,
  )
  await sql`CREATE INDEX calendar_events_range_idx ON calendar_events USING gist (connection_id, tstzrange(starts_at, ends_at))`.execute(
    db,
  )
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['calendar_events', 'connection_calendars', 'connections']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}

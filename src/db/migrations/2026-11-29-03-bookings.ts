// Migration: bookings (no overlap, enforced by exclusion constraints), their calendar sync state, the outbox,
// booking links and idempotency keys. Frozen.
import { type Kysely, sql } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not import app types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('booking_links')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('meeting_type_id', 'uuid', (c) => c.notNull().references('meeting_types.id'))
    .addColumn('contact_id', 'uuid', (c) => c.references('contacts.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('max_uses', 'integer')
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex('booking_links_account_idx')
    .on('booking_links')
    .columns(['account_id', 'id'])
    .execute()

  await db.schema
    .createTable('bookings')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('client_id', 'uuid', (c) => c.notNull().references('clients.id'))
    .addColumn('assistant_id', 'uuid', (c) => c.notNull().references('assistants.id'))
    .addColumn('meeting_type_id', 'uuid', (c) => c.notNull().references('meeting_types.id'))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id'))
    .addColumn('booking_link_id', 'uuid', (c) => c.references('booking_links.id'))
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
    .addColumn('buffer_before_minutes', 'integer', (c) => c.notNull())
    .addColumn('buffer_after_minutes', 'integer', (c) => c.notNull())
    .addColumn('needs_assistant', 'boolean', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('confirmed', 'cancelled')`))
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source IN ('api', 'link', 'calendar')`))
    .addColumn('notes', 'text')
    .addColumn('cancel_reason', 'text')
    .addColumn('cancelled_at', 'timestamptz')
    .addColumn('sequence', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('manage_token_hash', 'text', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('bookings_range_check', sql`starts_at < ends_at`)
    .execute()
  // The database, not a read-then-write, makes double booking impossible (SPEC 1.3).
  await sql`ALTER TABLE bookings ADD CONSTRAINT bookings_client_no_overlap
    EXCLUDE USING gist (client_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'confirmed')`.execute(
    db,
  )
  await sql`ALTER TABLE bookings ADD CONSTRAINT bookings_assistant_no_overlap
    EXCLUDE USING gist (assistant_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'confirmed' AND needs_assistant)`.execute(
    db,
  )
  await db.schema.createIndex('bookings_account_idx').on('bookings').columns(['account_id', 'id']).execute()
  await db.schema
    .createIndex('bookings_client_start_idx')
    .on('bookings')
    .columns(['client_id', 'starts_at'])
    .execute()
  await db.schema
    .createIndex('bookings_assistant_start_idx')
    .on('bookings')
    .columns(['assistant_id', 'starts_at'])
    .execute()

  // Per booking and calendar connection: is the booking's event written there (SPEC 1.3 sync state).
  await db.schema
    .createTable('booking_sync_states')
    .addColumn('booking_id', 'uuid', (c) => c.notNull().references('bookings.id').onDelete('cascade'))
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('calendar_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state IN ('pending', 'synced', 'failed')`))
    .addColumn('provider_event_id', 'text')
    .addColumn('etag', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('booking_sync_states_pkey', ['booking_id', 'connection_id'])
    .execute()

  // Transactional outbox: written in the booking's own transaction; consumers (calendar sync, app webhooks)
  // pick rows up after commit, so nothing is lost if the process dies right after it.
  await db.schema
    .createTable('outbox_events')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('booking_id', 'uuid', (c) => c.references('bookings.id').onDelete('cascade'))
    .addColumn('source', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('dispatched_at', 'timestamptz')
    .execute()
  await sql`CREATE INDEX outbox_events_pending_idx ON outbox_events (id) WHERE dispatched_at IS NULL`.execute(
    db,
  )

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['account_id', 'key'])
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'idempotency_keys',
    'outbox_events',
    'booking_sync_states',
    'bookings',
    'booking_links',
  ]) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}

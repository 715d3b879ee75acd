// Migration: the manage token of every booking, encrypted, so calendar events and the API can show the manage
// link after the booking was made (the hash alone, used to look tokens up, cannot give it back). Frozen.
import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not import app types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('bookings').addColumn('manage_token_enc', 'text').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('bookings').dropColumn('manage_token_enc').execute()
}

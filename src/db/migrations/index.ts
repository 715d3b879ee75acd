// The list of migrations, listed by hand so the same code runs from src/ (tsx) and dist/ (node).
// Kysely applies them in name order: keep the date-and-sequence prefix.
import type { Migration } from 'kysely'
import * as foundation from './2026-11-29-01-foundation.js'
import * as calendars from './2026-11-29-02-calendars.js'
import * as bookings from './2026-11-29-03-bookings.js'
import * as connectionAuth from './2026-11-29-04-connection-auth.js'
import * as bookingManageToken from './2026-11-29-05-booking-manage-token.js'
import * as channels from './2026-11-29-06-channels.js'
import * as webhooks from './2026-11-29-07-webhooks.js'

export const migrations: Record<string, Migration> = {
  '2026-11-29-01-foundation': foundation,
  '2026-11-29-02-calendars': calendars,
  '2026-11-29-03-bookings': bookings,
  '2026-11-29-04-connection-auth': connectionAuth,
  '2026-11-29-05-booking-manage-token': bookingManageToken,
  '2026-11-29-06-channels': channels,
  '2026-11-29-07-webhooks': webhooks,
}

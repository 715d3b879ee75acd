// Table types for Kysely, kept by hand next to the migrations (snake_case rows; mapped to domain types in repositories).
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type Json<T> = ColumnType<T, string, string>

export interface AccountsTable {
  id: string
  name: string
  created_at: CreatedAt
}

export interface ApiKeysTable {
  id: string
  account_id: string
  name: string
  prefix: string
  key_hash: string
  created_at: CreatedAt
  last_used_at: Date | null
  revoked_at: Date | null
}

export interface AdminTokensTable {
  id: string
  token_hash: string
  created_at: CreatedAt
}

export interface AssistantsTable {
  id: string
  account_id: string
  name: string
  email: string
  time_zone: string
  office_hours: Json<unknown>
  created_at: CreatedAt
  updated_at: UpdatedAt
  deleted_at: Date | null
}

export interface ClientsTable {
  id: string
  account_id: string
  assistant_id: string
  name: string
  email: string
  time_zone: string
  business_hours: Json<unknown>
  created_at: CreatedAt
  updated_at: UpdatedAt
  deleted_at: Date | null
}

export interface ContactsTable {
  id: string
  account_id: string
  client_id: string
  name: string
  email: string
  time_zone: string | null
  created_at: CreatedAt
  updated_at: UpdatedAt
  deleted_at: Date | null
}

export interface MeetingTypesTable {
  id: string
  account_id: string
  client_id: string
  name: string
  duration_minutes: number
  slot_interval_minutes: number
  buffer_before_minutes: number
  buffer_after_minutes: number
  minimum_notice_minutes: number
  horizon_days: number
  max_per_day: number | null
  hosts: 'client' | 'assistant' | 'both'
  require_assistant_hours: boolean
  contact_hours: Json<unknown> | null
  created_at: CreatedAt
  updated_at: UpdatedAt
  deleted_at: Date | null
}

export interface ConnectionsTable {
  id: string
  account_id: string
  owner_type: 'client' | 'assistant'
  owner_id: string
  provider: 'google' | 'microsoft'
  status: 'pending' | 'active' | 'reauth_required' | 'error'
  created_at: CreatedAt
  updated_at: UpdatedAt
  deleted_at: Date | null
  provider_account_id: string | null
  provider_account_email: string | null
  /** AES-256-GCM ciphertext (src/sync/crypto.ts), never the token. */
  access_token_enc: string | null
  refresh_token_enc: string | null
  token_expires_at: Date | null
  last_synced_at: Date | null
  last_error: string | null
  last_error_at: Date | null
}

export interface ConnectionCalendarsTable {
  connection_id: string
  calendar_id: string
  account_id: string
  name: string
  is_primary: ColumnType<boolean, boolean | undefined, boolean>
  is_busy: ColumnType<boolean, boolean | undefined, boolean>
  is_destination: ColumnType<boolean, boolean | undefined, boolean>
  synced_at: Date | null
  /** Encrypted Google sync token or Graph delta link. */
  sync_cursor_enc: string | null
  time_zone: string | null
  can_write: ColumnType<boolean, boolean | undefined, boolean>
}

export type EventStatus = 'confirmed' | 'tentative' | 'cancelled'
export type ShowAs = 'busy' | 'free' | 'tentative' | 'oof' | 'working_elsewhere' | 'unknown'
export type ResponseStatus = 'none' | 'organizer' | 'accepted' | 'tentative' | 'declined' | 'needs_action'

export interface CalendarEventsTable {
  id: string
  account_id: string
  connection_id: string
  calendar_id: string
  provider_event_id: string
  recurring_event_id: string | null
  ical_uid: string | null
  etag: string | null
  starts_at: Date
  ends_at: Date
  all_day: boolean
  status: EventStatus
  show_as: ShowAs
  response_status: ResponseStatus
  updated_at: UpdatedAt
}

export interface BookingLinksTable {
  id: string
  account_id: string
  meeting_type_id: string
  contact_id: string | null
  token_hash: string
  expires_at: Date | null
  max_uses: number | null
  uses: ColumnType<number, number | undefined, number>
  revoked_at: Date | null
  created_at: CreatedAt
}

export type BookingStatus = 'confirmed' | 'cancelled'
export type BookingSource = 'api' | 'link' | 'calendar'

export interface BookingsTable {
  id: string
  account_id: string
  client_id: string
  assistant_id: string
  meeting_type_id: string
  contact_id: string
  booking_link_id: string | null
  starts_at: Date
  ends_at: Date
  buffer_before_minutes: number
  buffer_after_minutes: number
  needs_assistant: boolean
  status: BookingStatus
  source: BookingSource
  notes: string | null
  cancel_reason: string | null
  cancelled_at: Date | null
  sequence: ColumnType<number, number | undefined, number>
  manage_token_hash: string | null
  /** The manage token, AES-256-GCM under the encryption key; null when no key was available. */
  manage_token_enc: string | null
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface BookingSyncStatesTable {
  booking_id: string
  connection_id: string
  account_id: string
  calendar_id: string
  state: 'pending' | 'synced' | 'failed'
  provider_event_id: string | null
  etag: string | null
  attempts: ColumnType<number, number | undefined, number>
  last_error: string | null
  updated_at: UpdatedAt
}

export interface OutboxEventsTable {
  id: string
  account_id: string
  type: string
  booking_id: string | null
  source: string | null
  payload: Json<unknown>
  created_at: CreatedAt
  dispatched_at: Date | null
}

export interface IdempotencyKeysTable {
  account_id: string
  key: string
  fingerprint: string
  status_code: number
  response: Json<unknown> | null
  created_at: CreatedAt
}

export type WebhookEndpointStatus = 'active' | 'failing'
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed'

export interface WebhookEndpointsTable {
  id: string
  account_id: string
  url: string
  events: Json<string[]>
  description: string | null
  secret_enc: string
  enabled: ColumnType<boolean, boolean | undefined, boolean>
  status: ColumnType<WebhookEndpointStatus, WebhookEndpointStatus | undefined, WebhookEndpointStatus>
  failing_since: Date | null
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface WebhookDeliveriesTable {
  id: string
  account_id: string
  endpoint_id: string
  event_id: string
  event_type: string
  payload: Json<unknown>
  status: ColumnType<WebhookDeliveryStatus, WebhookDeliveryStatus | undefined, WebhookDeliveryStatus>
  attempts: ColumnType<number, number | undefined, number>
  last_response_code: number | null
  last_error: string | null
  last_attempt_at: Date | null
  next_attempt_at: Date | null
  delivered_at: Date | null
  queued_at: Date | null
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface CalendarChannelsTable {
  /** Our random channel id (Google `X-Goog-Channel-ID`); polling rows have one too. */
  id: string
  account_id: string
  connection_id: string
  calendar_id: string
  provider: 'google' | 'microsoft'
  mode: 'push' | 'polling'
  /** Google resourceId or Graph subscription id; null until the provider answered (or when polling). */
  resource_id: string | null
  /** SHA-256 of the channel token / clientState (src/secrets.ts hashToken), never the secret. */
  secret_hash: string | null
  /** Push: when the channel ends. Polling: when push is tried again (null: never, the URL is not public). */
  expires_at: Date | null
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface BookingConflictsTable {
  account_id: string
  booking_id: string
  connection_id: string
  provider_event_id: string
  created_at: CreatedAt
}

export interface DB {
  booking_links: BookingLinksTable
  bookings: BookingsTable
  booking_sync_states: BookingSyncStatesTable
  outbox_events: OutboxEventsTable
  idempotency_keys: IdempotencyKeysTable
  webhook_endpoints: WebhookEndpointsTable
  webhook_deliveries: WebhookDeliveriesTable
  connections: ConnectionsTable
  connection_calendars: ConnectionCalendarsTable
  calendar_events: CalendarEventsTable
  calendar_channels: CalendarChannelsTable
  booking_conflicts: BookingConflictsTable
  accounts: AccountsTable
  api_keys: ApiKeysTable
  admin_tokens: AdminTokensTable
  assistants: AssistantsTable
  clients: ClientsTable
  contacts: ContactsTable
  meeting_types: MeetingTypesTable
}

export type AssistantRow = Selectable<AssistantsTable>
export type ClientRow = Selectable<ClientsTable>
export type ContactRow = Selectable<ContactsTable>
export type MeetingTypeRow = Selectable<MeetingTypesTable>
export type ApiKeyRow = Selectable<ApiKeysTable>
export type NewMeetingTypeRow = Insertable<MeetingTypesTable>
export type MeetingTypeUpdate = Updateable<MeetingTypesTable>
export type { Generated }

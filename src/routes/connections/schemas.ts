// Schemas of calendar connections (SPEC 2.1). Tokens never appear in any of them.
import { Type } from 'typebox'
import { IdSchema, InstantOutSchema, NullableInstantOutSchema } from '../common.js'

export const ProviderSchema = Type.Union([Type.Literal('google'), Type.Literal('microsoft')], {
  description: 'The calendar provider: Google Calendar or Microsoft Outlook (Graph).',
})

export const StartConnectionBodySchema = Type.Object(
  { provider: ProviderSchema },
  { additionalProperties: false },
)

export const AuthorizationSchema = Type.Object(
  {
    authorizationUrl: Type.String({
      format: 'uri',
      description:
        'Send the calendar owner here: the provider’s consent page. It returns to `/oauth/{provider}/callback` ' +
        'within 10 minutes, after which the link is refused.',
    }),
  },
  { description: 'Where the calendar owner grants access.' },
)

export const ConnectionSchema = Type.Object(
  {
    id: IdSchema,
    provider: ProviderSchema,
    owner: Type.Object(
      {
        type: Type.Union([Type.Literal('client'), Type.Literal('assistant')], {
          description: 'Whose calendar this is.',
        }),
        id: { ...IdSchema, description: 'The client or assistant.' },
      },
      { description: 'The person whose calendar is connected.' },
    ),
    status: Type.Union(
      [
        Type.Literal('pending'),
        Type.Literal('active'),
        Type.Literal('reauth_required'),
        Type.Literal('error'),
      ],
      {
        description:
          '`active`: syncing. `reauth_required`: the provider revoked access; the owner must connect again. ' +
          '`error`: the last sync failed (see `lastError`); retried on the next sync.',
      },
    ),
    accountEmail: Type.Union([Type.String(), Type.Null()], {
      description: 'The provider account that granted access.',
    }),
    lastSyncedAt: NullableInstantOutSchema('When busy calendars were last synced successfully; null before.'),
    lastError: Type.Union([Type.String(), Type.Null()], {
      description: 'What went wrong the last time something failed (no secrets in it); null if nothing did.',
    }),
    lastErrorAt: NullableInstantOutSchema('When `lastError` happened.'),
    channelExpiresAt: NullableInstantOutSchema(
      'When the push channel (Google watch, Graph subscription) expires; null while none exists.',
    ),
    syncMode: Type.Union([Type.Literal('push'), Type.Literal('polling'), Type.Null()], {
      description:
        'How calendar changes reach officehours: `push` (Google watch channels, Graph subscriptions to ' +
        '`/webhooks/*` under PUBLIC_BASE_URL), `polling` (an incremental sync every minute, when the provider ' +
        'cannot reach PUBLIC_BASE_URL or refused the channel); null until the worker set up the channels.',
    }),
    createdAt: InstantOutSchema,
    updatedAt: InstantOutSchema,
  },
  { description: 'A calendar connection of a client or an assistant. Tokens are never shown.' },
)

export const ConnectionListSchema = Type.Object({
  data: Type.Array(ConnectionSchema, { description: 'Live connections, oldest first.' }),
})

export const CalendarSchema = Type.Object(
  {
    id: Type.String({ description: 'The provider’s calendar id.' }),
    name: Type.String({ description: 'The calendar’s name at the provider.' }),
    primary: Type.Boolean({ description: 'The owner’s main calendar.' }),
    busy: Type.Boolean({ description: 'Its events make the owner busy.' }),
    destination: Type.Boolean({ description: 'New bookings are written to it.' }),
    timeZone: Type.Union([Type.String(), Type.Null()], {
      description: 'The calendar’s IANA zone when the provider gives one.',
    }),
    canWrite: Type.Boolean({ description: 'The owner may write to it (a destination must be writable).' }),
    syncedAt: NullableInstantOutSchema('When its busy data was last synced; null if never or not busy.'),
  },
  { description: 'A calendar of the connected account.' },
)

export const CalendarListSchema = Type.Object({
  data: Type.Array(CalendarSchema, { description: 'The calendars, primary first.' }),
})

export const UpdateConnectionBodySchema = Type.Object(
  {
    busyCalendarIds: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
        maxItems: 100,
        description:
          'Calendars whose events count as busy (replaces the list). Newly busy calendars are imported.',
      }),
    ),
    destinationCalendarId: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 1024 }), Type.Null()], {
        description: 'The calendar bookings are written to; null for none.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Calendar roles to change; ids come from the calendar list.' },
)

export const CallbackQuerySchema = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 4096, description: 'The authorization code.' })),
    state: Type.Optional(Type.String({ maxLength: 4096, description: 'The signed state we sent.' })),
    error: Type.Optional(Type.String({ maxLength: 200, description: 'Set when the owner declined.' })),
  },
  { additionalProperties: true },
)

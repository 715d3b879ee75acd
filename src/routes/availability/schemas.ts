// Schemas of availability, explain and busy queries (SPEC 1.2).
import { Type } from 'typebox'
import { IdSchema, InstantOutSchema, InstantSchema } from '../common.js'

const contactChoice = {
  contactId: Type.Optional({
    ...IdSchema,
    description: 'A contact of the client: its time zone (if known) applies contact hours.',
  }),
  contactTimeZone: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The contact’s IANA zone, when there is no contact record.',
    }),
  ),
}

export const AvailabilityQuerySchema = Type.Object(
  {
    meetingTypeId: { ...IdSchema, description: 'The meeting type to find slots for.' },
    from: { ...InstantSchema, description: 'Window start (inclusive). Slots lie inside [from, to).' },
    to: { ...InstantSchema, description: 'Window end (exclusive); at most 62 days after `from`.' },
    ...contactChoice,
  },
  { additionalProperties: false },
)

export const ExplainQuerySchema = Type.Object(
  {
    meetingTypeId: { ...IdSchema, description: 'The meeting type.' },
    start: { ...InstantSchema, description: 'The start time to explain.' },
    ...contactChoice,
  },
  { additionalProperties: false },
)

export const BusyQuerySchema = Type.Object(
  {
    from: { ...InstantSchema, description: 'Window start (inclusive).' },
    to: { ...InstantSchema, description: 'Window end (exclusive); at most 62 days after `from`.' },
  },
  { additionalProperties: false },
)

const CalendarFreshnessSchema = Type.Object({
  connectionId: { ...IdSchema, description: 'The calendar connection.' },
  calendarId: Type.String({ description: 'The provider’s calendar id.' }),
  syncedAt: Type.Unsafe<Date | null>({
    type: ['string', 'null'],
    format: 'date-time',
    description: 'When the busy data of this calendar was last synced; null before the first sync.',
  }),
})

const calendarsList = Type.Array(CalendarFreshnessSchema, {
  description:
    'Every calendar whose busy data was taken into account, with its freshness; empty while nothing is connected.',
})

const SlotSchema = Type.Object({
  start: Type.String({ format: 'date-time', description: 'Slot start (UTC).' }),
  end: Type.String({ format: 'date-time', description: 'Slot end (UTC): start + duration.' }),
})

export const AvailabilitySchema = Type.Object({
  slots: Type.Array(SlotSchema, { description: 'Bookable slots, sorted, in UTC.' }),
  calendars: calendarsList,
})

const ReasonSchema = Type.Object({
  code: Type.Union(
    [
      Type.Literal('outside_business_hours'),
      Type.Literal('outside_office_hours'),
      Type.Literal('outside_contact_hours'),
      Type.Literal('time_off'),
      Type.Literal('blocked'),
      Type.Literal('calendar_busy'),
      Type.Literal('booking_conflict'),
      Type.Literal('minimum_notice'),
      Type.Literal('beyond_horizon'),
      Type.Literal('daily_limit'),
      Type.Literal('misaligned'),
    ],
    { description: 'The rule that fails.' },
  ),
  detail: Type.String({ description: 'Human-readable explanation (never an event title).' }),
  connectionId: Type.Optional({
    ...IdSchema,
    description: 'For `calendar_busy`: the connection of the busy event.',
  }),
  calendarId: Type.Optional(
    Type.String({ description: 'For `calendar_busy`: the calendar of the busy event.' }),
  ),
  bookingId: Type.Optional({ ...IdSchema, description: 'For `booking_conflict`: the conflicting booking.' }),
  start: Type.Optional({ ...InstantOutSchema, description: 'Start of the busy event or booking.' }),
  end: Type.Optional({ ...InstantOutSchema, description: 'End of the busy event or booking.' }),
})

export const ExplainSchema = Type.Object({
  available: Type.Boolean({ description: 'True when the start is offered.' }),
  reasons: Type.Array(ReasonSchema, { description: 'Every rule of SPEC 1.2 that the start fails.' }),
})

export const BusySchema = Type.Object({
  busy: Type.Array(
    Type.Object({
      start: { ...InstantOutSchema, description: 'Busy from.' },
      end: { ...InstantOutSchema, description: 'Busy until.' },
    }),
    { description: 'Merged busy intervals inside the window, sorted; no titles.' },
  ),
  calendars: calendarsList,
})

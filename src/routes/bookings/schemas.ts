// Schemas of bookings (SPEC 1.3).
import { Type } from 'typebox'
import {
  EmailSchema,
  IdSchema,
  InstantOutSchema,
  InstantSchema,
  NameSchema,
  NullableInstantOutSchema,
  TimeZoneSchema,
} from '../common.js'

export const BookingStatusSchema = Type.Union([Type.Literal('confirmed'), Type.Literal('cancelled')], {
  description: '`confirmed` or `cancelled`.',
})

const SyncStateSchema = Type.Object({
  connectionId: { ...IdSchema, description: 'The calendar connection the event is written to.' },
  calendarId: Type.String({ description: 'The destination calendar.' }),
  state: Type.Union([Type.Literal('pending'), Type.Literal('synced'), Type.Literal('failed')], {
    description: '`pending` until written, `synced`, or `failed` after the retries ran out.',
  }),
  providerEventId: Type.Union([Type.String(), Type.Null()], {
    description: 'The provider’s event id once written.',
  }),
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'The last write error, if any.' }),
  updatedAt: { ...InstantOutSchema, description: 'When this state last changed.' },
})

export const BookingSchema = Type.Object(
  {
    id: IdSchema,
    meetingTypeId: { ...IdSchema, description: 'The meeting type booked.' },
    clientId: { ...IdSchema, description: 'The client who meets.' },
    assistantId: { ...IdSchema, description: 'The client’s assistant at booking time.' },
    contactId: { ...IdSchema, description: 'The contact met.' },
    bookingLinkId: Type.Union([IdSchema, Type.Null()], { description: 'The booking link used, if any.' }),
    start: { ...InstantOutSchema, description: 'Start (UTC).' },
    end: { ...InstantOutSchema, description: 'End (UTC): start + duration.' },
    status: BookingStatusSchema,
    source: Type.Union([Type.Literal('api'), Type.Literal('link'), Type.Literal('calendar')], {
      description: 'Where the last change came from: the API, a booking link, or the calendar.',
    }),
    notes: Type.Union([Type.String(), Type.Null()], { description: 'Notes for the meeting.' }),
    cancelReason: Type.Union([Type.String(), Type.Null()], { description: 'Why it was cancelled.' }),
    cancelledAt: NullableInstantOutSchema('When it was cancelled.'),
    sequence: Type.Integer({ description: 'Rises on every change (the ICS SEQUENCE).' }),
    manageUrl: Type.Union([Type.String(), Type.Null()], {
      description:
        'The page where the contact reschedules or cancels (also in the calendar event); null without an encryption key.',
    }),
    sync: Type.Array(SyncStateSchema, {
      description: 'Per calendar connection: is the event written there.',
    }),
    createdAt: InstantOutSchema,
    updatedAt: InstantOutSchema,
  },
  { description: 'An appointment of a meeting type with a contact.' },
)

export const InlineContactSchema = Type.Object(
  {
    name: NameSchema,
    email: EmailSchema,
    timeZone: Type.Optional(
      Type.Union([TimeZoneSchema, Type.Null()], { description: 'The contact’s IANA zone, if known.' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'A contact matched by email among the client’s contacts, or created.',
  },
)

export const CreateBookingBodySchema = Type.Object(
  {
    meetingTypeId: { ...IdSchema, description: 'The meeting type to book.' },
    start: { ...InstantSchema, description: 'Start of the meeting; it must be an offered slot.' },
    contactId: Type.Optional({
      ...IdSchema,
      description: 'An existing contact of the client (or give `contact`).',
    }),
    contact: Type.Optional(InlineContactSchema),
    notes: Type.Optional(
      Type.Union([Type.String({ maxLength: 5000 }), Type.Null()], { description: 'Notes for the meeting.' }),
    ),
  },
  { additionalProperties: false },
)

export const RescheduleBodySchema = Type.Object(
  {
    start: {
      ...InstantSchema,
      description: 'The new start; it must be an offered slot (the booking’s own time counts as free).',
    },
  },
  { additionalProperties: false },
)

export const CancelBodySchema = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 2000, description: 'Why it is cancelled.' })) },
  { additionalProperties: false },
)

export const ListBookingsQuerySchema = {
  clientId: Type.Optional({ ...IdSchema, description: 'Only bookings of this client.' }),
  from: Type.Optional({ ...InstantSchema, description: 'Only bookings ending after this instant.' }),
  to: Type.Optional({ ...InstantSchema, description: 'Only bookings starting before this instant.' }),
  status: Type.Optional(BookingStatusSchema),
}

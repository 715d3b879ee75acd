// Schemas of meeting types (SPEC 1.5).
import { Type } from 'typebox'
import { IdSchema, InstantOutSchema, LocalIntervalSchema, NameSchema } from '../common.js'

const minutes = (description: string, max: number, min = 0) =>
  Type.Integer({ minimum: min, maximum: max, description })

const HostsSchema = Type.Union([Type.Literal('client'), Type.Literal('assistant'), Type.Literal('both')], {
  description: 'Who must be free: the client, the assistant, or both.',
})

const ContactHoursSchema = Type.Union([LocalIntervalSchema, Type.Null()], {
  description:
    'Hours in the contact’s own zone a meeting must fall in (when the zone is known); null for none.',
})

const MaxPerDaySchema = Type.Union([Type.Integer({ minimum: 1, maximum: 1000 }), Type.Null()], {
  description:
    'At most this many confirmed bookings of this type per local day of the client; null for no limit.',
})

const settings = {
  durationMinutes: minutes('Length of the meeting (default 30).', 1440, 1),
  slotIntervalMinutes: minutes(
    'Slots start every this many minutes from local midnight of the client (default 15).',
    1440,
    1,
  ),
  bufferBeforeMinutes: minutes('Free time needed before the meeting (default 0).', 1440),
  bufferAfterMinutes: minutes('Free time needed after the meeting (default 0).', 1440),
  minimumNoticeMinutes: minutes('No slot starts sooner than this after now (default 60).', 525_600),
  horizonDays: minutes('No slot starts later than this many days after now (default 60).', 730, 1),
  maxPerDay: MaxPerDaySchema,
  hosts: HostsSchema,
  requireAssistantHours: Type.Boolean({
    description: 'Slots must also lie in the assistant’s office hours (default true).',
  }),
  contactHours: ContactHoursSchema,
}

export const MeetingTypeSchema = Type.Object(
  {
    id: IdSchema,
    clientId: IdSchema,
    name: NameSchema,
    ...settings,
    createdAt: InstantOutSchema,
    updatedAt: InstantOutSchema,
  },
  { description: 'How one kind of a client’s meetings is booked.' },
)

const optionalSettings = Object.fromEntries(
  Object.entries(settings).map(([k, v]) => [k, Type.Optional(v)]),
) as {
  [K in keyof typeof settings]: ReturnType<typeof Type.Optional<(typeof settings)[K]>>
}

export const CreateMeetingTypeBodySchema = Type.Object(
  {
    clientId: { ...IdSchema, description: 'The client whose meetings these are.' },
    name: NameSchema,
    ...optionalSettings,
  },
  { additionalProperties: false },
)

export const UpdateMeetingTypeBodySchema = Type.Object(
  { name: Type.Optional(NameSchema), ...optionalSettings },
  {
    additionalProperties: false,
    description: 'Fields to change. The client of a meeting type cannot change.',
  },
)

export const ListMeetingTypesQuerySchema = {
  clientId: Type.Optional({ ...IdSchema, description: 'Only meeting types of this client.' }),
}

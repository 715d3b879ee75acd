// Schemas of clients (the executives an account serves) and their contacts.
import { Type } from 'typebox'
import {
  EmailSchema,
  IdSchema,
  InstantOutSchema,
  NameSchema,
  ScheduleOutSchema,
  ScheduleSchema,
  TimeZoneSchema,
} from '../common.js'

const clientFields = {
  assistantId: { ...IdSchema, description: 'The assistant in charge of this client.' },
  name: NameSchema,
  email: EmailSchema,
  timeZone: { ...TimeZoneSchema, description: 'The client’s IANA time zone.' },
  businessHours: {
    ...ScheduleSchema,
    description: 'When the client meets people (SPEC 1.1). Its zone defaults to `timeZone`.',
  },
}

export const ClientSchema = Type.Object(
  {
    id: IdSchema,
    assistantId: IdSchema,
    name: NameSchema,
    email: EmailSchema,
    timeZone: TimeZoneSchema,
    businessHours: ScheduleOutSchema,
    createdAt: InstantOutSchema,
    updatedAt: InstantOutSchema,
  },
  { description: 'An executive served by the account.' },
)

export const CreateClientBodySchema = Type.Object(clientFields, { additionalProperties: false })

export const UpdateClientBodySchema = Type.Object(
  {
    assistantId: Type.Optional(clientFields.assistantId),
    name: Type.Optional(clientFields.name),
    email: Type.Optional(clientFields.email),
    timeZone: Type.Optional(clientFields.timeZone),
    businessHours: Type.Optional(clientFields.businessHours),
  },
  { additionalProperties: false, description: 'Fields to change; a schedule is replaced whole.' },
)

export const ListClientsQuerySchema = {
  assistantId: Type.Optional({ ...IdSchema, description: 'Only clients of this assistant.' }),
}

const contactZone = Type.Union([TimeZoneSchema, Type.Null()], {
  description: 'The contact’s IANA time zone, if known (contact hours use it).',
})

export const ContactSchema = Type.Object(
  {
    id: IdSchema,
    clientId: IdSchema,
    name: NameSchema,
    email: EmailSchema,
    timeZone: contactZone,
    createdAt: InstantOutSchema,
    updatedAt: InstantOutSchema,
  },
  { description: 'A person a client meets. Emails are unique per client (case-insensitive).' },
)

export const CreateContactBodySchema = Type.Object(
  { name: NameSchema, email: EmailSchema, timeZone: Type.Optional(contactZone) },
  { additionalProperties: false },
)

export const UpdateContactBodySchema = Type.Object(
  {
    name: Type.Optional(NameSchema),
    email: Type.Optional(EmailSchema),
    timeZone: Type.Optional(contactZone),
  },
  { additionalProperties: false },
)

export const ContactParamsSchema = Type.Object(
  { clientId: { ...IdSchema, description: 'The client.' }, id: { ...IdSchema, description: 'The contact.' } },
  { additionalProperties: false },
)

export const ClientParamsSchema = Type.Object(
  { clientId: { ...IdSchema, description: 'The client.' } },
  { additionalProperties: false },
)

// Schemas of assistants (the VAs of an account).
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

const fields = {
  name: NameSchema,
  email: EmailSchema,
  timeZone: { ...TimeZoneSchema, description: 'The assistant’s IANA time zone.' },
  officeHours: {
    ...ScheduleSchema,
    description: 'When the assistant works (SPEC 1.1). Its zone defaults to `timeZone`.',
  },
}

export const AssistantSchema = Type.Object(
  {
    id: IdSchema,
    name: NameSchema,
    email: EmailSchema,
    timeZone: TimeZoneSchema,
    officeHours: ScheduleOutSchema,
    createdAt: InstantOutSchema,
    updatedAt: InstantOutSchema,
  },
  { description: 'A virtual assistant of the account.' },
)

export const CreateAssistantBodySchema = Type.Object(fields, { additionalProperties: false })

export const UpdateAssistantBodySchema = Type.Object(
  {
    name: Type.Optional(fields.name),
    email: Type.Optional(fields.email),
    timeZone: Type.Optional(fields.timeZone),
    officeHours: Type.Optional(fields.officeHours),
  },
  { additionalProperties: false, description: 'Fields to change; a schedule is replaced whole.' },
)

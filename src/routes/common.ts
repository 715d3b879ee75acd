// Shared TypeBox primitives for route schemas: ids, instants, zones, wall-clock times, schedules, problems, pages.
import { type Static, type TSchema, Type } from 'typebox'

export const IdSchema = Type.String({ format: 'uuid', description: 'Identifier (UUID).' })

export const InstantSchema = Type.String({
  format: 'date-time',
  description: 'An instant, RFC 3339 (responses are always UTC with `Z`).',
})

/** An instant in a response (a Date, serialised as RFC 3339 UTC). */
export const InstantOutSchema = Type.Unsafe<Date>({
  type: 'string',
  format: 'date-time',
  description: 'An instant, RFC 3339 UTC.',
})

/** A nullable instant in a response. */
export const NullableInstantOutSchema = (description: string) =>
  Type.Unsafe<Date | null>({ type: ['string', 'null'], format: 'date-time', description })

export const TimeZoneSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'An IANA time zone, e.g. `Europe/Berlin`.',
  examples: ['Europe/Berlin'],
})

export const LocalTimeSchema = Type.String({
  pattern: '^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
  description: 'A wall-clock time `HH:mm` (00:00–23:59, or `24:00` as an end).',
  examples: ['09:00'],
})

export const LocalDateSchema = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
  description: 'A local calendar date `YYYY-MM-DD` in the schedule’s zone.',
  examples: ['2026-12-24'],
})

export const NameSchema = Type.String({ minLength: 1, maxLength: 200, description: 'Display name.' })
export const EmailSchema = Type.String({ format: 'email', maxLength: 320, description: 'Email address.' })

export const LocalIntervalSchema = Type.Object(
  {
    start: LocalTimeSchema,
    end: LocalTimeSchema,
  },
  { additionalProperties: false, description: 'A wall-clock interval; `start < end`.' },
)

export const WeekdaySchema = Type.Union(
  [
    Type.Literal('mon'),
    Type.Literal('tue'),
    Type.Literal('wed'),
    Type.Literal('thu'),
    Type.Literal('fri'),
    Type.Literal('sat'),
    Type.Literal('sun'),
  ],
  { description: 'A weekday of the schedule’s own zone.' },
)

const WeeklyRuleSchema = Type.Object(
  {
    days: Type.Array(WeekdaySchema, {
      minItems: 1,
      maxItems: 7,
      description: 'Weekdays this rule applies to.',
    }),
    start: LocalTimeSchema,
    end: LocalTimeSchema,
  },
  { additionalProperties: false, description: 'Hours on the given weekdays; `start < end`.' },
)

const OverrideSchema = Type.Object(
  {
    date: LocalDateSchema,
    intervals: Type.Array(LocalIntervalSchema, {
      maxItems: 24,
      description: 'Hours of that date, replacing the weekly hours; `[]` is a day off.',
    }),
  },
  { additionalProperties: false },
)

const BlockSchema = Type.Object(
  {
    rrule: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'RFC 5545 RRULE (e.g. `FREQ=WEEKLY;BYDAY=MO,WE`); `DTSTART` optional.',
    }),
    start: LocalTimeSchema,
    end: LocalTimeSchema,
    label: Type.Optional(Type.String({ maxLength: 200, description: 'What the block is for.' })),
  },
  { additionalProperties: false },
)

const weeklyList = Type.Array(WeeklyRuleSchema, {
  maxItems: 100,
  description: 'Weekly hours; an overnight shift is two entries.',
})
const overrideList = Type.Array(OverrideSchema, {
  maxItems: 1000,
  description: 'Date overrides: time off or different hours on given local dates.',
})
const blockList = Type.Array(BlockSchema, {
  maxItems: 100,
  description: 'Recurring blocks removed from the hours on every date the RRULE yields.',
})

export const ScheduleSchema = Type.Object(
  {
    timeZone: Type.Optional({
      ...TimeZoneSchema,
      description: 'IANA zone of the wall-clock times. Defaults to the person’s `timeZone`.',
    }),
    weekly: weeklyList,
    overrides: Type.Optional(overrideList),
    blocks: Type.Optional(blockList),
  },
  {
    additionalProperties: false,
    description: 'Weekly hours in a time zone, plus date overrides and recurring blocks (SPEC 1.1).',
  },
)

/** Shared schemas registered once with `app.addSchema` and referenced from responses by `$ref`. */
export const ScheduleComponent = Type.Object(
  { timeZone: TimeZoneSchema, weekly: weeklyList, overrides: overrideList, blocks: blockList },
  {
    $id: 'Schedule',
    description: 'A schedule: weekly hours in a time zone, date overrides and recurring blocks.',
  },
)

export const ScheduleOutSchema = Type.Unsafe<Static<typeof ScheduleComponent>>(Type.Ref('Schedule'))

export const ProblemComponent = Type.Object(
  {
    type: Type.String({ description: 'A URI naming the problem type.' }),
    title: Type.String({ description: 'Short summary of the problem type.' }),
    status: Type.Integer({ description: 'The HTTP status code.' }),
    detail: Type.String({ description: 'What went wrong with this request.' }),
    code: Type.String({ description: 'Machine-readable code, e.g. `validation_failed`, `not_found`.' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          pointer: Type.String({
            description:
              'JSON pointer into the request as `{ body, query, params, headers }`, e.g. `/body/weekly/0/end`.',
          }),
          message: Type.String({ description: 'What is wrong with that field.' }),
        }),
        { description: 'One entry per invalid field (validation problems only).' },
      ),
    ),
  },
  {
    $id: 'Problem',
    additionalProperties: true,
    description: 'An RFC 9457 problem document (`application/problem+json`).',
  },
)

export const SHARED_SCHEMAS = [ProblemComponent, ScheduleComponent]

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request: malformed JSON, a wrong type, an unknown field or a rule broken; `errors` names each field.',
  401: 'Missing or invalid API key.',
  404: 'No such resource in this account.',
  409: 'Conflicts with the current state.',
  413: 'Body larger than 1 MB.',
  415: 'Unsupported content type.',
  422: 'Idempotency key reused with a different request.',
  429: 'Too many requests.',
  503: 'Not ready.',
}

/** Problem responses for the given statuses (400, 401, 413 and 415 are always possible on /v1 routes). */
export function problems(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {}
  for (const status of statuses) {
    out[status] = {
      description: STATUS_TEXT[status] ?? 'Error.',
      content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
    } as unknown as TSchema
  }
  return out
}

export const PageQuerySchema = {
  cursor: Type.Optional(
    Type.String({ maxLength: 512, description: 'Opaque cursor from `nextCursor` of the previous page.' }),
  ),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size (1–200).' }),
  ),
}

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item, { description: 'The items of this page, oldest first.' }),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Cursor of the next page; `null` on the last page.',
    }),
  })
}

export const IdParamsSchema = Type.Object({ id: IdSchema }, { additionalProperties: false })

export const bearerSecurity = [{ apiKey: [] }]

/** The Fastify instance routes are registered on, typed by the TypeBox provider. */
export type App = import('fastify').FastifyInstance<
  import('fastify').RawServerDefault,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  import('fastify').FastifyBaseLogger,
  import('@fastify/type-provider-typebox').TypeBoxTypeProvider
>

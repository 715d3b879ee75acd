// Schemas of accounts (admin) and API keys.
import { Type } from 'typebox'
import { IdSchema, InstantOutSchema, NameSchema, NullableInstantOutSchema } from '../common.js'

export const AccountSchema = Type.Object(
  {
    id: IdSchema,
    name: Type.String({ description: 'Name of the VA business.' }),
    createdAt: InstantOutSchema,
  },
  { description: 'A VA business: the tenant every resource belongs to.' },
)

export const ApiKeySchema = Type.Object(
  {
    id: IdSchema,
    name: Type.String({ description: 'What the key is for.' }),
    prefix: Type.String({
      description: 'The first characters of the key, to recognise it; the key itself is never shown again.',
    }),
    createdAt: InstantOutSchema,
    lastUsedAt: NullableInstantOutSchema('Last use, to the minute; null if never used.'),
    revokedAt: NullableInstantOutSchema('When it was revoked; null while live.'),
  },
  { description: 'An API key of the account (without the key).' },
)

export const NewApiKeySchema = Type.Object(
  {
    ...ApiKeySchema.properties,
    key: Type.String({ description: 'The API key. Shown only in this response: store it now.' }),
  },
  { description: 'A new API key, including the key itself (once).' },
)

export const CreateAccountBodySchema = Type.Object(
  { name: NameSchema },
  { additionalProperties: false, description: 'A new account.' },
)

export const CreatedAccountSchema = Type.Object({
  account: AccountSchema,
  apiKey: NewApiKeySchema,
})

export const CreateApiKeyBodySchema = Type.Object(
  { name: { ...NameSchema, description: 'What the key is for, e.g. `CRM integration`.' } },
  { additionalProperties: false },
)

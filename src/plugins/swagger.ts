// OpenAPI 3.1 generated from the route schemas, served at /openapi.json, with Swagger UI at /docs.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

export const OPENAPI_INFO = {
  title: 'officehours API',
  version: '0.1.0',
  description:
    'Scheduling and two-way calendar sync for virtual assistants: availability, bookings, booking links, Google and Outlook sync. Errors are RFC 9457 problem documents.',
  license: { name: 'MIT', identifier: 'MIT' },
}

export async function registerSwagger(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    // Shared schemas keep their $id as their component name instead of def-N.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key of the account.' },
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'The instance’s admin token (ADMIN_TOKEN).',
          },
        },
      },
      tags: [
        { name: 'admin', description: 'Instance administration.' },
        { name: 'api keys', description: 'The account’s API keys.' },
        { name: 'assistants', description: 'The VAs of the account and their office hours.' },
        { name: 'clients', description: 'The executives the account serves and their business hours.' },
        { name: 'contacts', description: 'People a client meets.' },
        { name: 'meeting types', description: 'How a client’s meetings of one kind are booked.' },
        { name: 'availability', description: 'Bookable slots, why a time is not offered, busy time.' },
        { name: 'bookings', description: 'Appointments: book, move, cancel; never double-booked.' },
        { name: 'booking links', description: 'Secret URLs a contact books through.' },
        { name: 'public', description: 'Behind the booking and manage pages; a token is the credential.' },
        { name: 'operations', description: 'Health and readiness.' },
      ],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

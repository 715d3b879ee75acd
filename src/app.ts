// buildApp: the whole service in one place. What is built, which plugins and routes, in which order. Never listens.
import helmet from '@fastify/helmet'
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { type Clock, systemClock } from './clock.js'
import type { Config } from './config.js'
import { connectDatabase, type Database } from './db/connect.js'
import type { Deps } from './deps.js'
import { adminAuth, apiKeyAuth } from './plugins/auth.js'
import { genReqId, loggerOptions } from './plugins/logging.js'
import { createMetricsRegistry, registerMetrics } from './plugins/metrics.js'
import { registerProblemHandling } from './plugins/problem.js'
import { registerSwagger } from './plugins/swagger.js'
import { registerAdminRoutes, registerApiKeyRoutes } from './routes/accounts/index.js'
import { registerAssistantRoutes } from './routes/assistants/index.js'
import { registerAvailabilityRoutes } from './routes/availability/index.js'
import { registerClientRoutes } from './routes/clients/index.js'
import { type App, SHARED_SCHEMAS } from './routes/common.js'
import { registerHealthRoutes } from './routes/health/index.js'
import { registerMeetingTypeRoutes } from './routes/meeting-types/index.js'

export interface AppOverrides {
  /** A database the caller owns (tests); otherwise buildApp connects one and closes it with the app. */
  database?: Database
  /** Close `database` when the app closes (the server hands its database over this way). */
  ownsDatabase?: boolean
  clock?: Clock
}

export const BODY_LIMIT_BYTES = 1_048_576

export async function buildApp(
  config: Readonly<Config>,
  overrides: AppOverrides = {},
): Promise<FastifyInstance> {
  const app: App = Fastify({
    logger: loggerOptions(config.logLevel),
    genReqId,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // A client that reconnects after a restart should not wait on a half-dead keep-alive socket.
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(TypeBoxValidatorCompiler)

  const database = overrides.database ?? (await connectDatabase(config))
  if (!overrides.database || overrides.ownsDatabase) app.addHook('onClose', () => database.close())

  const deps: Deps = {
    config,
    database,
    db: database.db,
    clock: overrides.clock ?? systemClock,
    log: app.log,
  }

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema)
  registerProblemHandling(app)
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  await app.register(helmet, { contentSecurityPolicy: false, hsts: false })
  await registerSwagger(app)
  registerMetrics(app, createMetricsRegistry())

  registerHealthRoutes(app, deps)

  await app.register(async (admin: App) => {
    admin.addHook('onRequest', adminAuth(deps.db, config.adminToken))
    registerAdminRoutes(admin, deps)
  })

  await app.register(async (v1: App) => {
    v1.addHook('onRequest', apiKeyAuth(deps.db, deps.clock))
    registerApiKeyRoutes(v1, deps)
    registerAssistantRoutes(v1, deps)
    registerClientRoutes(v1, deps)
    registerMeetingTypeRoutes(v1, deps)
    registerAvailabilityRoutes(v1, deps)
  })

  await app.ready()
  return app
}

// buildApp: the whole service in one place. What is built, which plugins and routes, in which order. Never listens.
import helmet from '@fastify/helmet'
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Clock } from './clock.js'
import type { Config } from './config.js'
import { connectDatabase, type Database } from './db/connect.js'
import { createDeps, type Deps } from './deps.js'
import { adminAuth, apiKeyAuth } from './plugins/auth.js'
import { genReqId, loggerOptions } from './plugins/logging.js'
import { registerMetrics } from './plugins/metrics.js'
import { frameworkErrorProblem, registerProblemHandling } from './plugins/problem.js'
import { registerSwagger } from './plugins/swagger.js'
import { registerAdminRoutes, registerApiKeyRoutes } from './routes/accounts/index.js'
import { registerAssistantRoutes } from './routes/assistants/index.js'
import { registerAvailabilityRoutes } from './routes/availability/index.js'
import { registerBookingLinkRoutes } from './routes/booking-links/index.js'
import { registerBookingRoutes } from './routes/bookings/index.js'
import { registerClientRoutes } from './routes/clients/index.js'
import { type App, SHARED_SCHEMAS } from './routes/common.js'
import { registerConnectionRoutes, registerOAuthCallbackRoutes } from './routes/connections/index.js'
import { registerHealthRoutes } from './routes/health/index.js'
import { registerMeetingTypeRoutes } from './routes/meeting-types/index.js'
import { registerPageRoutes } from './routes/pages/index.js'
import { registerProviderWebhookRoutes } from './routes/provider-webhooks/index.js'
import {
  DEFAULT_PUBLIC_RATE_LIMITS,
  type PublicRateLimits,
  registerPublicRoutes,
} from './routes/public/index.js'
import { registerWebhookEndpointRoutes } from './routes/webhook-endpoints/index.js'
import type { Providers } from './sync/provider.js'

export interface AppOverrides {
  /** A database the caller owns (tests); otherwise buildApp connects one and closes it with the app. */
  database?: Database
  /** Close `database` when the app closes (the server hands its database over this way). */
  ownsDatabase?: boolean
  clock?: Clock
  /** Provider adapters (tests tune page sizes and retries); otherwise built from config. */
  providers?: Providers
  hooks?: Partial<Deps['hooks']>
  /** Limits of the public booking API (tests lower them). */
  publicRateLimits?: PublicRateLimits
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's dependencies; the server hands them to the worker running in the same process. */
    deps: Deps
  }
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
    // A path that is not valid percent-encoding or has an over-long id is a problem document like any other 4xx.
    frameworkErrors: frameworkErrorProblem,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(TypeBoxValidatorCompiler)

  const database = overrides.database ?? (await connectDatabase(config))
  if (!overrides.database || overrides.ownsDatabase) app.addHook('onClose', () => database.close())

  const deps = createDeps(config, database, app.log, overrides)
  app.decorate('deps', deps)

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema)
  registerProblemHandling(app)
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  await app.register(helmet, { contentSecurityPolicy: false, hsts: false })
  await registerSwagger(app)
  // The domain metrics (deps.metrics) live on the same registry, so one /metrics shows both.
  registerMetrics(app, deps.metrics.registry)

  registerHealthRoutes(app, deps)
  registerOAuthCallbackRoutes(app, deps)
  await registerProviderWebhookRoutes(app, deps)

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
    registerBookingRoutes(v1, deps)
    registerBookingLinkRoutes(v1, deps)
    registerConnectionRoutes(v1, deps)
    registerWebhookEndpointRoutes(v1, deps)
  })

  await app.register(async (pub: App) => {
    await registerPublicRoutes(pub, deps, overrides.publicRateLimits ?? DEFAULT_PUBLIC_RATE_LIMITS)
  })
  registerPageRoutes(app, deps)

  await app.ready()
  return app
}

// Routes: /healthz (process up) and /readyz (database reachable, migrations applied).
import { sql } from 'kysely'
import { Type } from 'typebox'
import { pendingMigrations } from '../../db/migrate.js'
import type { Deps } from '../../deps.js'
import { problem, sendProblem } from '../../plugins/problem.js'
import { type App, problems } from '../common.js'

const StatusSchema = Type.Object({ status: Type.String({ description: '`ok` or `ready`.' }) })

export function registerHealthRoutes(app: App, deps: Deps): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness',
        description: 'The process is up.',
        response: { 200: StatusSchema },
      },
    },
    async () => ({ status: 'ok' }),
  )

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness',
        description: 'The database answers and every migration is applied.',
        response: { 200: StatusSchema, ...problems(503) },
      },
    },
    async (request, reply) => {
      try {
        await sql`SELECT 1`.execute(deps.db)
        const pending = await pendingMigrations(deps.db)
        if (pending.length > 0) {
          return sendProblem(reply, problem(503, 'not_ready', `Migrations pending: ${pending.join(', ')}.`))
        }
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed')
        return sendProblem(reply, problem(503, 'not_ready', 'The database is not reachable.'))
      }
      return { status: 'ready' }
    },
  )
}

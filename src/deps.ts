// The dependencies every service gets: built once in buildApp, overridable by tests.
import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from './clock.js'
import type { Config } from './config.js'
import type { Database } from './db/connect.js'

export interface Deps {
  config: Readonly<Config>
  database: Database
  db: Database['db']
  clock: Clock
  log: FastifyBaseLogger
}

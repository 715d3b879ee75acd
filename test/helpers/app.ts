// Builds the app on a cloned test database with a fixed clock; creates accounts and drives requests.
import type { FastifyInstance, InjectOptions } from 'fastify'
import { type AppOverrides, buildApp } from '../../src/app.js'
import { fixedClock } from '../../src/clock.js'
import { type Config, testConfig } from '../../src/config.js'
import { createTestDatabase, type TestDatabase } from './database.js'

export interface TestApp {
  app: FastifyInstance
  database: TestDatabase
  clock: ReturnType<typeof fixedClock>
  adminToken: string
  /** Creates an account through the admin API and returns a client bound to its API key. */
  createAccount(name?: string): Promise<AccountClient>
  close(): Promise<void>
}

export interface AccountClient {
  accountId: string
  apiKey: string
  request(method: InjectOptions['method'], url: string, body?: unknown): Promise<Response>
  get(url: string): Promise<Response>
  post(url: string, body?: unknown): Promise<Response>
  patch(url: string, body?: unknown): Promise<Response>
  delete(url: string): Promise<Response>
}

export interface Response {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely
  body: any
  headers: import('node:http').OutgoingHttpHeaders
  text: string
}

export const DEFAULT_NOW = '2026-06-01T08:00:00Z'

export interface TestAppOptions {
  now?: string
  /** Configuration overrides (e.g. provider URLs pointing at in-process emulators, an encryption key). */
  config?: Partial<Config>
  /** Other buildApp overrides (provider adapters, hooks). */
  overrides?: Omit<AppOverrides, 'database' | 'clock'>
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase()
  const clock = fixedClock(options.now ?? DEFAULT_NOW)
  const config = testConfig(options.config)
  const app = await buildApp(config, { ...options.overrides, database, clock })
  const adminToken = config.adminToken!

  async function inject(opts: InjectOptions): Promise<Response> {
    const res = await app.inject(opts)
    let body: unknown = null
    if (res.body && /json/.test(String(res.headers['content-type']))) body = JSON.parse(res.body)
    return { status: res.statusCode, body, headers: res.headers, text: res.body }
  }

  function client(accountId: string, apiKey: string): AccountClient {
    const request = (method: InjectOptions['method'], url: string, body?: unknown) =>
      inject({
        method,
        url,
        headers: { authorization: `Bearer ${apiKey}` },
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      })
    return {
      accountId,
      apiKey,
      request,
      get: (url) => request('GET', url),
      post: (url, body) => request('POST', url, body ?? {}),
      patch: (url, body) => request('PATCH', url, body ?? {}),
      delete: (url) => request('DELETE', url),
    }
  }

  return {
    app,
    database,
    clock,
    adminToken,
    async createAccount(name = 'Test VA business') {
      const res = await inject({
        method: 'POST',
        url: '/admin/v1/accounts',
        headers: { authorization: `Bearer ${adminToken}` },
        payload: { name },
      })
      if (res.status !== 201) throw new Error(`account creation failed: ${res.status} ${res.text}`)
      return client(res.body.account.id, res.body.apiKey.key)
    },
    async close() {
      await app.close()
      await database.drop()
    },
  }
}

// A real server process (src/server.ts through tsx) on a cloned PostgreSQL database, the Google and Microsoft
// emulators listening over HTTP, and an HTTP client for it: what the reliability suite drives from outside.
import { randomBytes } from 'node:crypto'
import type { Emulators } from '../integration/sync/harness.js'
import { startEmulators } from '../integration/sync/harness.js'
import { createTestDatabase, type TestDatabase } from './database.js'
import { type Child, freePort, run } from './process.js'

export interface HttpResponse {
  status: number
  headers: Headers
  text: string
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely
  body: any
}

export interface RequestOptions {
  /** A JSON body (sent with content-type application/json). */
  json?: unknown
  /** A raw body, sent as given with the headers given. */
  raw?: string | Uint8Array
  headers?: Record<string, string>
}

export interface HttpAccount {
  accountId: string
  apiKey: string
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResponse>
  get(path: string): Promise<HttpResponse>
  post(path: string, json?: unknown): Promise<HttpResponse>
  patch(path: string, json?: unknown): Promise<HttpResponse>
  delete(path: string): Promise<HttpResponse>
}

/** Where the server finds the providers; the emulators' own URLs unless a test puts something in between. */
export interface ProviderUrls {
  GOOGLE_API_BASE_URL: string
  GOOGLE_AUTH_URL: string
  GOOGLE_TOKEN_URL: string
  MICROSOFT_GRAPH_BASE_URL: string
  MICROSOFT_AUTH_BASE_URL: string
}

export interface LiveServer {
  baseUrl: string
  child: Child
  database: TestDatabase
  emulators: Emulators
  adminToken: string
  encryptionKey: Buffer
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResponse>
  /** An account made through the admin API, with a client bound to its first API key. */
  createAccount(name: string): Promise<HttpAccount>
  /** Connects a calendar of `ownerPath` (`/v1/clients/{id}`) through the emulator's OAuth; the connection id. */
  connect(account: HttpAccount, ownerPath: string, provider: 'google' | 'microsoft'): Promise<string>
  alive(): boolean
  /** SIGTERM and wait for the exit (the database and the emulators stay); the process's exit code. */
  terminate(): Promise<number | null>
  /** Terminates the process, drops the database and stops the emulators; the process's exit code. */
  stop(): Promise<number | null>
}

export interface LiveServerOptions {
  env?: Record<string, string>
  /** Provider URLs the server is given, from the emulators' own (e.g. through a recording proxy). */
  providerUrls?: (own: ProviderUrls) => ProviderUrls | Promise<ProviderUrls>
}

export function emulatorUrls(em: Emulators): ProviderUrls {
  return {
    GOOGLE_API_BASE_URL: em.config.google!.apiBaseUrl,
    GOOGLE_AUTH_URL: em.config.google!.authUrl,
    GOOGLE_TOKEN_URL: em.config.google!.tokenUrl,
    MICROSOFT_GRAPH_BASE_URL: em.config.microsoft!.graphBaseUrl,
    MICROSOFT_AUTH_BASE_URL: em.config.microsoft!.authBaseUrl,
  }
}

export async function httpRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...options.headers }
  let body: string | Uint8Array | undefined = options.raw
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json'
    body = JSON.stringify(options.json)
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: 'manual' })
  const text = await res.text()
  let parsed: unknown = null
  if (/json/.test(res.headers.get('content-type') ?? '') && text !== '') {
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = null
    }
  }
  return { status: res.status, headers: res.headers, text, body: parsed }
}

export async function startLiveServer(options: LiveServerOptions = {}): Promise<LiveServer> {
  const emulators = await startEmulators()
  const database = await createTestDatabase()
  if (!database.url) throw new Error('the reliability suite runs on PostgreSQL: set TEST_DATABASE_URL')
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const adminToken = `oh_admin_${randomBytes(24).toString('hex')}`
  const encryptionKey = emulators.config.encryptionKey!
  const own = emulatorUrls(emulators)
  const urls = options.providerUrls ? await options.providerUrls(own) : own
  const child = run('src/server.ts', [], {
    ROLE: 'all',
    PORT: String(port),
    DATABASE_URL: database.url,
    ENCRYPTION_KEY: encryptionKey.toString('hex'),
    ADMIN_TOKEN: adminToken,
    PUBLIC_BASE_URL: baseUrl,
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    ...urls,
    ...options.env,
  })
  const started = Date.now()
  for (;;) {
    if (child.process.exitCode !== null) throw new Error(`server exited at start:\n${child.output()}`)
    const up = await fetch(`${baseUrl}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    )
    if (up) break
    if (Date.now() - started > 60_000) throw new Error(`server did not start:\n${child.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }

  const request = (method: string, path: string, o?: RequestOptions) => httpRequest(baseUrl, method, path, o)
  const terminate = () => {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGTERM')
    return child.exited
  }

  function account(accountId: string, apiKey: string): HttpAccount {
    const req = (method: string, path: string, o: RequestOptions = {}) =>
      request(method, path, { ...o, headers: { authorization: `Bearer ${apiKey}`, ...o.headers } })
    return {
      accountId,
      apiKey,
      request: req,
      get: (path) => req('GET', path),
      post: (path, json) => req('POST', path, { json: json ?? {} }),
      patch: (path, json) => req('PATCH', path, { json: json ?? {} }),
      delete: (path) => req('DELETE', path),
    }
  }

  return {
    baseUrl,
    child,
    database,
    emulators,
    adminToken,
    encryptionKey,
    request,
    async createAccount(name) {
      const res = await request('POST', '/admin/v1/accounts', {
        json: { name },
        headers: { authorization: `Bearer ${adminToken}` },
      })
      if (res.status !== 201) throw new Error(`account creation failed: ${res.status} ${res.text}`)
      return account(res.body.account.id, res.body.apiKey.key)
    },
    async connect(acct, ownerPath, provider) {
      const start = await acct.post(`${ownerPath}/connections`, { provider })
      if (start.status !== 201) throw new Error(`connect failed: ${start.status} ${start.text}`)
      const consent = await fetch(start.body.authorizationUrl, { redirect: 'manual' })
      const location = consent.headers.get('location')
      if (consent.status !== 302 || !location) throw new Error(`consent did not redirect: ${consent.status}`)
      const back = new URL(location)
      const callback = await request('GET', `${back.pathname}${back.search}`)
      if (callback.status !== 200) throw new Error(`callback failed: ${callback.status} ${callback.text}`)
      const list = await acct.get(`${ownerPath}/connections`)
      return list.body.data.at(-1).id
    },
    alive: () => child.process.exitCode === null && child.process.signalCode === null,
    terminate,
    async stop() {
      const code = await terminate()
      await database.drop()
      await emulators.close()
      return code
    },
  }
}

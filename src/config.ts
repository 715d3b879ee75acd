// Configuration: the only reader of process.env. Pure, validated, frozen; one error lists every bad variable.
import { randomBytes } from 'node:crypto'

export type Role = 'api' | 'worker' | 'all'
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  port: number
  host: string
  databaseUrl: string | null
  dataDir: string
  publicBaseUrl: string
  adminToken: string | null
  encryptionKey: Buffer | null
  logLevel: LogLevel
  role: Role
  /** Seconds after which a job whose worker died is handed to another worker. */
  jobTimeoutSeconds: number
  /** First wait before a failed calendar write, or a job whose worker died, is tried again (doubling). */
  workerRetryBaseSeconds: number
  /** Waits between app webhook attempts; null for the built-in schedule of over 24 h. */
  webhookRetryDelaysSeconds: readonly number[] | null
  /** Port of the /metrics listener of a ROLE=worker process; null for none. */
  workerMetricsPort: number | null
  /** Let app webhooks go to loopback, private and link-local addresses (local development and tests). */
  webhookAllowPrivateUrls: boolean
  google: {
    clientId: string | null
    clientSecret: string | null
    apiBaseUrl: string
    authUrl: string
    tokenUrl: string
  }
  microsoft: {
    clientId: string | null
    clientSecret: string | null
    graphBaseUrl: string
    authBaseUrl: string
  }
}

interface VariableSpec {
  name: string
  description: string
  default?: string
  parse: (raw: string) => unknown
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const ROLES: readonly Role[] = ['api', 'worker', 'all']

function integerIn(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new Error(`must be an integer between ${min} and ${max}`)
    const n = Number(raw)
    if (n < min || n > max) throw new Error(`must be an integer between ${min} and ${max}`)
    return n
  }
}

function secondsList(raw: string): readonly number[] {
  const parts = raw.split(',').map((p) => p.trim())
  if (parts.length > 100 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 86_400)) {
    throw new Error('must be a comma-separated list of at most 100 waits in seconds, each from 1 to 86400')
  }
  return Object.freeze(parts.map(Number))
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}`)
    return raw as T
  }
}

function httpUrl(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error('must be an absolute http(s) URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error('must be an absolute http(s) URL')
  return raw.replace(/\/+$/, '')
}

function postgresUrl(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error('must be a postgres:// connection URL')
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error('must be a postgres:// connection URL')
  }
  return raw
}

function boolean(raw: string): boolean {
  if (raw === 'true') return true
  if (raw === 'false') return false
  throw new Error('must be true or false')
}

function nonEmpty(raw: string): string {
  if (raw.trim() === '') throw new Error('must not be empty')
  return raw
}

function secret(minLength: number) {
  return (raw: string): string => {
    if (raw.length < minLength) throw new Error(`must be at least ${minLength} characters`)
    return raw
  }
}

/** A 256-bit key for AES-256-GCM, given as 64 hex characters or base64 of 32 bytes. */
export function parseEncryptionKey(raw: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64')
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(raw) && key.toString('base64') !== raw)) {
    throw new Error(
      'must be 32 bytes as 64 hex characters or base64 (generate one with `openssl rand -hex 32`)',
    )
  }
  return key
}

/** Every variable the service reads, with its meaning: the source of `.env.example` and the README table. */
export const VARIABLES: readonly VariableSpec[] = [
  {
    name: 'PORT',
    description: 'TCP port the HTTP server listens on.',
    default: '3000',
    parse: integerIn(0, 65535),
  },
  {
    name: 'HOST',
    description: 'Interface to listen on; 0.0.0.0 in containers.',
    default: '127.0.0.1',
    parse: nonEmpty,
  },
  {
    name: 'DATABASE_URL',
    description: 'PostgreSQL connection URL. Unset: an embedded PostgreSQL (PGlite) in DATA_DIR.',
    parse: postgresUrl,
  },
  {
    name: 'DATA_DIR',
    description: 'Directory of the embedded database and generated key files.',
    default: './data',
    parse: nonEmpty,
  },
  {
    name: 'PUBLIC_BASE_URL',
    description:
      'Public origin of the service, used in booking links and OAuth/webhook callback URLs (default follows PORT).',
    default: 'http://localhost:3000',
    parse: httpUrl,
  },
  {
    name: 'ADMIN_TOKEN',
    description:
      'Bearer token for /admin/v1 (at least 24 characters). Unset: one is generated on first start, stored hashed and printed once.',
    parse: secret(24),
  },
  {
    name: 'ENCRYPTION_KEY',
    description:
      'AES-256-GCM key for secrets at rest (OAuth tokens, manage links, webhook secrets, stored answers): 64 hex characters or base64 of 32 bytes. Required with DATABASE_URL; on the embedded database a key file is generated in DATA_DIR.',
    parse: parseEncryptionKey,
  },
  {
    name: 'LOG_LEVEL',
    description: 'pino log level: fatal, error, warn, info, debug, trace or silent.',
    default: 'info',
    parse: oneOf(LOG_LEVELS),
  },
  {
    name: 'ROLE',
    description: 'api (HTTP only), worker (background jobs only) or all (both, one process).',
    default: 'all',
    parse: oneOf(ROLES),
  },
  {
    name: 'WORKER_JOB_TIMEOUT_SECONDS',
    description: 'Seconds after which a background job whose worker died is retried by another worker.',
    default: '60',
    parse: integerIn(1, 3600),
  },
  {
    name: 'WORKER_RETRY_BASE_SECONDS',
    description:
      'First wait before a failed calendar write, or a background job whose worker died, is tried again; each further wait doubles (with jitter).',
    default: '5',
    parse: integerIn(1, 300),
  },
  {
    name: 'WEBHOOK_RETRY_DELAYS_SECONDS',
    description:
      'Waits between app webhook attempts, comma-separated seconds (e.g. 1,2,4); after the last the delivery fails. Unset: 5 s doubling to 2,560 s, then hourly: 34 attempts over more than 24 h.',
    parse: secondsList,
  },
  {
    name: 'WORKER_METRICS_PORT',
    description:
      'Port on which a ROLE=worker process serves /metrics (Prometheus) on HOST. Unset: none; api and all serve /metrics on PORT.',
    parse: integerIn(1, 65535),
  },
  {
    name: 'WEBHOOK_ALLOW_PRIVATE_URLS',
    description:
      'Allow app webhook endpoints on loopback, private and link-local addresses (true for local development only).',
    default: 'false',
    parse: boolean,
  },
  {
    name: 'GOOGLE_CLIENT_ID',
    description: 'OAuth client id of your Google Cloud app. Unset: the built-in Google sandbox is used.',
    parse: nonEmpty,
  },
  {
    name: 'GOOGLE_CLIENT_SECRET',
    description: 'OAuth client secret of your Google Cloud app.',
    parse: nonEmpty,
  },
  {
    name: 'GOOGLE_API_BASE_URL',
    description: 'Origin of the Google Calendar API.',
    default: 'https://www.googleapis.com',
    parse: httpUrl,
  },
  {
    name: 'GOOGLE_AUTH_URL',
    description: 'Google OAuth authorization endpoint.',
    default: 'https://accounts.google.com/o/oauth2/v2/auth',
    parse: httpUrl,
  },
  {
    name: 'GOOGLE_TOKEN_URL',
    description: 'Google OAuth token endpoint.',
    default: 'https://oauth2.googleapis.com/token',
    parse: httpUrl,
  },
  {
    name: 'MICROSOFT_CLIENT_ID',
    description:
      'Application (client) id of your Microsoft Entra app. Unset: the built-in Microsoft sandbox is used.',
    parse: nonEmpty,
  },
  {
    name: 'MICROSOFT_CLIENT_SECRET',
    description: 'Client secret of your Microsoft Entra app.',
    parse: nonEmpty,
  },
  {
    name: 'MICROSOFT_GRAPH_BASE_URL',
    description: 'Microsoft Graph base URL including the version.',
    default: 'https://graph.microsoft.com/v1.0',
    parse: httpUrl,
  },
  {
    name: 'MICROSOFT_AUTH_BASE_URL',
    description: 'Microsoft identity platform base URL including the tenant (/oauth2/v2.0/... is appended).',
    default: 'https://login.microsoftonline.com/common',
    parse: httpUrl,
  },
]

export class ConfigError extends Error {
  constructor(readonly problems: { name: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.name}: ${p.message}`).join('\n')}\nSee .env.example for every variable.`,
    )
    this.name = 'ConfigError'
  }
}

/** Reads the configuration from an environment map. Throws one ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const values = new Map<string, unknown>()
  const problems: { name: string; message: string }[] = []
  for (const spec of VARIABLES) {
    const raw = env[spec.name]
    const given = raw !== undefined && raw !== ''
    if (!given && spec.default === undefined) {
      values.set(spec.name, null)
      continue
    }
    try {
      values.set(spec.name, spec.parse(given ? raw : (spec.default as string)))
    } catch (err) {
      problems.push({ name: spec.name, message: (err as Error).message })
    }
  }
  const pair = (a: string, b: string) => {
    if ((values.get(a) === null) !== (values.get(b) === null)) {
      problems.push({
        name: values.get(a) === null ? a : b,
        message: `must be set together with ${values.get(a) === null ? b : a}`,
      })
    }
  }
  // Several instances share one database: each must read what the others encrypted, so none may invent a key.
  if (values.get('DATABASE_URL') && values.get('ENCRYPTION_KEY') === null) {
    problems.push({
      name: 'ENCRYPTION_KEY',
      message:
        'must be set when DATABASE_URL is set (the same key on every instance; `openssl rand -hex 32`)',
    })
  }
  pair('GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET')
  pair('MICROSOFT_CLIENT_ID', 'MICROSOFT_CLIENT_SECRET')
  if (problems.length > 0) throw new ConfigError(problems)

  const v = <T>(name: string) => values.get(name) as T
  const port = v<number>('PORT')
  const publicBaseUrl =
    env.PUBLIC_BASE_URL === undefined || env.PUBLIC_BASE_URL === ''
      ? `http://localhost:${port}`
      : v<string>('PUBLIC_BASE_URL')
  const config: Config = {
    port,
    host: v('HOST'),
    databaseUrl: v('DATABASE_URL'),
    dataDir: v('DATA_DIR'),
    publicBaseUrl,
    adminToken: v('ADMIN_TOKEN'),
    encryptionKey: v('ENCRYPTION_KEY'),
    logLevel: v('LOG_LEVEL'),
    role: v('ROLE'),
    jobTimeoutSeconds: v('WORKER_JOB_TIMEOUT_SECONDS'),
    workerRetryBaseSeconds: v('WORKER_RETRY_BASE_SECONDS'),
    webhookRetryDelaysSeconds: v('WEBHOOK_RETRY_DELAYS_SECONDS'),
    workerMetricsPort: v('WORKER_METRICS_PORT'),
    webhookAllowPrivateUrls: v('WEBHOOK_ALLOW_PRIVATE_URLS'),
    google: {
      clientId: v('GOOGLE_CLIENT_ID'),
      clientSecret: v('GOOGLE_CLIENT_SECRET'),
      apiBaseUrl: v('GOOGLE_API_BASE_URL'),
      authUrl: v('GOOGLE_AUTH_URL'),
      tokenUrl: v('GOOGLE_TOKEN_URL'),
    },
    microsoft: {
      clientId: v('MICROSOFT_CLIENT_ID'),
      clientSecret: v('MICROSOFT_CLIENT_SECRET'),
      graphBaseUrl: v('MICROSOFT_GRAPH_BASE_URL'),
      authBaseUrl: v('MICROSOFT_AUTH_BASE_URL'),
    },
  }
  return Object.freeze(config)
}

/** A configuration for tests: embedded defaults, a random admin token and encryption key, and the given overrides. */
export function testConfig(overrides: Partial<Config> = {}): Readonly<Config> {
  return Object.freeze({
    ...loadConfig({
      LOG_LEVEL: 'silent',
      ADMIN_TOKEN: randomBytes(24).toString('hex'),
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    }),
    ...overrides,
  })
}

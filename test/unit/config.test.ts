// loadConfig: defaults, parsing, and one error naming every bad variable.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, VARIABLES } from '../../src/config.js'

describe('loadConfig', () => {
  it('runs with no configuration at all: embedded database, port 3000, role all', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: null,
      dataDir: './data',
      publicBaseUrl: 'http://localhost:3000',
      adminToken: null,
      encryptionKey: null,
      role: 'all',
      logLevel: 'info',
    })
    expect(config.google.apiBaseUrl).toBe('https://www.googleapis.com')
    expect(config.microsoft.graphBaseUrl).toBe('https://graph.microsoft.com/v1.0')
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('reads every variable', () => {
    const key = 'ab'.repeat(32)
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/oh',
      DATA_DIR: '/var/lib/oh',
      PUBLIC_BASE_URL: 'https://oh.example.com/',
      ADMIN_TOKEN: 'x'.repeat(32),
      ENCRYPTION_KEY: key,
      LOG_LEVEL: 'debug',
      ROLE: 'worker',
      GOOGLE_CLIENT_ID: 'gid',
      GOOGLE_CLIENT_SECRET: 'gsecret',
      GOOGLE_API_BASE_URL: 'http://127.0.0.1:4010',
      GOOGLE_AUTH_URL: 'http://127.0.0.1:4010/o/oauth2/v2/auth',
      GOOGLE_TOKEN_URL: 'http://127.0.0.1:4010/token',
      MICROSOFT_CLIENT_ID: 'mid',
      MICROSOFT_CLIENT_SECRET: 'msecret',
      MICROSOFT_GRAPH_BASE_URL: 'http://127.0.0.1:4020/v1.0',
      MICROSOFT_AUTH_BASE_URL: 'http://127.0.0.1:4020/common',
    })
    expect(config.port).toBe(8080)
    expect(config.publicBaseUrl).toBe('https://oh.example.com')
    expect(config.encryptionKey?.equals(Buffer.from(key, 'hex'))).toBe(true)
    expect(config.role).toBe('worker')
    expect(config.google).toEqual({
      clientId: 'gid',
      clientSecret: 'gsecret',
      apiBaseUrl: 'http://127.0.0.1:4010',
      authUrl: 'http://127.0.0.1:4010/o/oauth2/v2/auth',
      tokenUrl: 'http://127.0.0.1:4010/token',
    })
    expect(config.microsoft.authBaseUrl).toBe('http://127.0.0.1:4020/common')
  })

  it('requires ENCRYPTION_KEY with DATABASE_URL, since every instance must read what the others encrypted', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@db/oh' })).toThrow(
      /ENCRYPTION_KEY: must be set when DATABASE_URL is set/,
    )
    expect(
      loadConfig({ DATABASE_URL: 'postgres://u@db/oh', ENCRYPTION_KEY: 'ab'.repeat(32) }).databaseUrl,
    ).toBe('postgres://u@db/oh')
  })

  it('accepts a base64 encryption key of 32 bytes', () => {
    const key = Buffer.alloc(32, 7).toString('base64')
    expect(loadConfig({ ENCRYPTION_KEY: key }).encryptionKey?.length).toBe(32)
  })

  it('names every bad variable in one error', () => {
    let error: unknown
    try {
      loadConfig({
        PORT: '70000',
        ROLE: 'boss',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
        PUBLIC_BASE_URL: 'ftp://x',
        ENCRYPTION_KEY: 'short',
        ADMIN_TOKEN: 'short',
        GOOGLE_CLIENT_ID: 'only-the-id',
      })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    const names = (error as ConfigError).problems.map((p) => p.name).sort()
    expect(names).toEqual(
      [
        'ADMIN_TOKEN',
        'DATABASE_URL',
        'ENCRYPTION_KEY',
        'GOOGLE_CLIENT_SECRET',
        'LOG_LEVEL',
        'PORT',
        'PUBLIC_BASE_URL',
        'ROLE',
      ].sort(),
    )
    expect((error as Error).message).toMatch(/PORT: must be an integer between 0 and 65535/)
  })

  it('reads the worker retry schedules, and refuses a malformed list', () => {
    expect(loadConfig({})).toMatchObject({ workerRetryBaseSeconds: 5, webhookRetryDelaysSeconds: null })
    expect(
      loadConfig({ WORKER_RETRY_BASE_SECONDS: '1', WEBHOOK_RETRY_DELAYS_SECONDS: '1, 2,4' }),
    ).toMatchObject({ workerRetryBaseSeconds: 1, webhookRetryDelaysSeconds: [1, 2, 4] })
    for (const bad of ['1,,2', '0', '1.5', 'soon']) {
      expect(() => loadConfig({ WEBHOOK_RETRY_DELAYS_SECONDS: bad })).toThrow(
        /WEBHOOK_RETRY_DELAYS_SECONDS: must be/,
      )
    }
    expect(() => loadConfig({ WORKER_RETRY_BASE_SECONDS: '0' })).toThrow(/WORKER_RETRY_BASE_SECONDS/)
  })

  it('the README configuration table lists every variable', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    for (const variable of VARIABLES) expect(readme).toMatch(new RegExp(`\\|\\s*\`${variable.name}\`\\s*\\|`))
  })

  it('.env.example lists every variable with its meaning', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')
    for (const variable of VARIABLES) {
      expect(example).toContain(`${variable.name}=`)
      expect(example).toContain(variable.description.split('.')[0])
    }
  })
})

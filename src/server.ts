// Process entry: loadConfig → database → migrate → bootstrap → buildApp → listen; graceful shutdown on signals.
import { existsSync } from 'node:fs'
import pino from 'pino'
import { buildApp } from './app.js'
import { type Config, ConfigError, loadConfig } from './config.js'
import { connectDatabase, isConnectionLoss } from './db/connect.js'
import { migrateToLatest } from './db/migrate.js'
import { createDeps } from './deps.js'
import { isRolledBackStatement } from './jobs/queue.js'
import { serveMetrics } from './metrics.js'
import { loggerOptions } from './plugins/logging.js'
import { type Sandbox, startSandbox } from './sandbox/index.js'
import { type Bootstrap, bootstrap } from './services/accounts.js'
import { type Demo, seedDemo } from './services/demo.js'
import { startWorker } from './worker.js'

function printBootstrap(boot: Bootstrap, baseUrl: string): void {
  if (!boot.adminToken && !boot.firstAccount) return
  const lines = ['', '  officehours: first start. These secrets are shown ONCE; store them now.', '']
  if (boot.adminToken) lines.push(`  Admin token (ADMIN_TOKEN for /admin/v1): ${boot.adminToken}`)
  if (boot.firstAccount) {
    lines.push(`  Account "${boot.firstAccount.account.name}" (${boot.firstAccount.account.id})`)
    lines.push(`  API key:  ${boot.firstAccount.apiKey.key}`)
    lines.push(
      '',
      `  Try: curl -H "Authorization: Bearer ${boot.firstAccount.apiKey.key}" ${baseUrl}/v1/assistants`,
    )
  }
  lines.push(`  API docs: ${baseUrl}/docs`, '')
  // Printed to the terminal of the operator who started the service, deliberately not through the log.
  process.stdout.write(`${lines.join('\n')}\n`)
}

async function main(): Promise<void> {
  // A .env file in the working directory is read if there is one (Node's own loader; variables already set win).
  if (existsSync('.env')) process.loadEnvFile('.env')
  let config: Readonly<Config>
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    throw err
  }

  // Without Google/Microsoft credentials, and with nothing pointing elsewhere, one process runs its own emulators.
  const sandbox = embeddedSandboxWanted(config)
    ? await startSandbox({ seed: true, google: { consent: 'page' } })
    : null
  if (sandbox) config = withSandbox(config, sandbox)

  const database = await connectDatabase(config)
  await migrateToLatest(database.db)
  const boot = await bootstrap({ db: database.db, config })
  const serveApi = config.role !== 'worker'
  const app = serveApi ? await buildApp(config, { database }) : null
  const log = app?.log ?? pino(loggerOptions(config.logLevel))
  const workerDeps = config.role === 'api' ? null : (app?.deps ?? createDeps(config, database, log))
  const worker = workerDeps
    ? await startWorker(workerDeps, {
        jobTimeoutSeconds: config.jobTimeoutSeconds,
        backoffBaseSeconds: config.workerRetryBaseSeconds,
        ...(config.webhookRetryDelaysSeconds
          ? { webhookRetryDelaysSeconds: config.webhookRetryDelaysSeconds }
          : {}),
      })
    : null
  // A worker without the API would keep its domain metrics to itself: give it a bare /metrics listener.
  const workerMetrics =
    workerDeps && !app && config.workerMetricsPort !== null
      ? await serveMetrics(workerDeps.metrics.registry, config.host, config.workerMetricsPort)
      : null

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    log.info({ signal }, 'shutting down: finishing in-flight requests and jobs')
    const force = setTimeout(() => {
      log.error('shutdown took longer than 25 s; exiting')
      process.exit(1)
    }, 25_000)
    force.unref()
    try {
      await app?.close()
      await worker?.stop()
      await workerMetrics?.close()
      await database.close()
      await sandbox?.close()
      process.exit(0)
    } catch (err) {
      log.error({ err }, 'error during shutdown')
      process.exit(1)
    }
  }
  // pg-boss completes and fails jobs without awaiting the query (its worker loop): while the database is down, or
  // when the statement keeps losing deadlocks (see poolExecutor), that promise rejects with nobody to hear it, and
  // Node would end the process. A lost completion is harmless (the job expires and runs again; every handler is
  // idempotent), so it is logged and survived. Any other unhandled rejection is still fatal, as before.
  process.on('unhandledRejection', (err) => {
    if (!isConnectionLoss(err) && !isRolledBackStatement(err)) throw err
    log.warn({ err }, 'a background database query failed; carrying on')
  })
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))

  if (app) await app.listen({ port: config.port, host: config.host })
  log.info(
    { database: database.kind === 'pglite' ? `embedded (${config.dataDir})` : 'postgres', role: config.role },
    'officehours ready',
  )
  printBootstrap(boot, config.publicBaseUrl)
  if (sandbox && app && boot.firstAccount) {
    try {
      printDemo(await seedDemo(app.deps, boot.firstAccount.account.id), sandbox, config)
    } catch (err) {
      log.warn({ err }, 'could not seed the sandbox demo')
    }
  } else if (sandbox) {
    printSandbox(sandbox)
  }
}

const DEFAULTS = loadConfig({})

/** The in-process sandbox runs for `ROLE=all` when neither provider has credentials or other URLs. */
function embeddedSandboxWanted(config: Readonly<Config>): boolean {
  return (
    config.role === 'all' &&
    config.google.clientId === null &&
    config.microsoft.clientId === null &&
    config.google.apiBaseUrl === DEFAULTS.google.apiBaseUrl &&
    config.microsoft.graphBaseUrl === DEFAULTS.microsoft.graphBaseUrl
  )
}

function withSandbox(config: Readonly<Config>, sandbox: Sandbox): Readonly<Config> {
  return Object.freeze({
    ...config,
    google: {
      ...config.google,
      apiBaseUrl: sandbox.google.baseUrl,
      authUrl: sandbox.google.authUrl,
      tokenUrl: sandbox.google.tokenUrl,
    },
    microsoft: {
      ...config.microsoft,
      graphBaseUrl: sandbox.microsoft.graphBaseUrl,
      authBaseUrl: sandbox.microsoft.authBaseUrl,
    },
  })
}

function printSandbox(sandbox: Sandbox): void {
  process.stdout.write(
    `  Sandbox calendars (no Google or Microsoft credentials configured):\n` +
      `    Google emulator:    ${sandbox.google.baseUrl}   (admin API: ${sandbox.google.baseUrl}/__admin)\n` +
      `    Microsoft emulator: ${sandbox.microsoft.baseUrl}   (admin API: ${sandbox.microsoft.baseUrl}/__admin)\n\n`,
  )
}

function printDemo(demo: Demo, sandbox: Sandbox, config: Readonly<Config>): void {
  printSandbox(sandbox)
  const calendar = encodeURIComponent(demo.calendarEmail ?? 'alice@sandbox.test')
  process.stdout.write(
    `  Demo: client "Alice Example" with her sandbox Google calendar connected, meeting type "Intro call".\n` +
      `    Book a slot:  ${demo.bookingLinkUrl}\n` +
      `    Then see the event in her calendar:\n` +
      `      curl -s ${sandbox.google.baseUrl}/__admin/calendars/${calendar}/events\n` +
      `    API docs: ${config.publicBaseUrl}/docs\n\n`,
  )
}

main().catch((err) => {
  process.stderr.write(`officehours failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})

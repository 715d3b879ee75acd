// Shared by the HTTP benchmarks: a throwaway PostgreSQL database, the built server as a child process, and
// readings of its CPU and memory from /proc.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { connectDatabase, type Database } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { createAccount } from '../src/services/accounts.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

/** Kilobytes of a /proc/<pid>/status field (VmRSS, VmHWM), or 0 when the process is gone. */
export function procStatusKb(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    return match ? Number(match[1]) : 0
  } catch {
    return 0
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (USER_HZ is 100 on Linux). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** Process ids of the PostgreSQL backends serving a database (PostgreSQL must run on this machine). */
export async function backendPids(adminUrl: string, dbName: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1',
      [dbName],
    )
    return rows.map((r) => r.pid)
  } finally {
    await client.end()
  }
}

/** Compiles src/ as `npm run build` does, into a cache folder (node_modules stays reachable from there). */
export function buildServer(): string {
  // One folder per benchmark process, so two benchmarks running at once do not build over each other.
  const outDir = join(ROOT, 'node_modules', '.cache', `officehours-bench-${process.pid}`)
  rmSync(outDir, { recursive: true, force: true })
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  const server = join(outDir, 'server.js')
  if (!existsSync(server)) throw new Error(`the build failed: ${build.stdout}${build.stderr}`)
  // tsc emits despite type errors; say so, since the benchmark then runs code that does not type-check.
  if (build.status !== 0) console.error('  bench: tsc reported errors, benchmarking the emitted code anyway')
  return server
}

export async function waitForHealth(
  base: string,
  child: ChildProcess,
  stderr: () => string,
  path = '/healthz',
): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${stderr()}`)
    try {
      const res = await fetch(`${base}${path}`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`the server did not become healthy within 60 s: ${stderr()}`)
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

export async function api<T>(base: string, key: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await res.json()) as T
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

export interface BenchServer {
  base: string
  pid: number
  key: string
  accountId: string
  databaseUrl: string
  dbName: string
  adminUrl: string
  /** The database, open from the benchmark's side (for seeding). */
  database: Database
  stop(): Promise<void>
}

/**
 * A fresh database with an account, and the built server serving it in its own process (`ROLE=api` unless
 * given), as in production; `env` adds or overrides its variables (e.g. where the provider emulators listen).
 * `worker` adds a `ROLE=worker` process on the same database (for a `ROLE=api` server). `stop()` ends the
 * processes and drops the database.
 */
export async function startBenchServer(
  options: { role?: string; worker?: boolean; nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<BenchServer> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const dbName = `oh_bench_${randomBytes(6).toString('hex')}`
  const databaseUrl = withDatabase(adminUrl, dbName)
  const dataDir = mkdtempSync(join(tmpdir(), 'oh-bench-'))
  const serverScript = buildServer()
  let child: ChildProcess | undefined
  let worker: ServerProcess | undefined
  let database: Database | undefined
  const cleanup = async () => {
    if (child) await stopServer(child)
    await worker?.stop()
    await database?.close()
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {})
    rmSync(dataDir, { recursive: true, force: true })
    rmSync(dirname(serverScript), { recursive: true, force: true })
  }
  try {
    await adminQuery(adminUrl, `CREATE DATABASE ${dbName}`)
    database = await connectDatabase({ databaseUrl, dataDir, maxConnections: 2 })
    await migrateToLatest(database.db)
    const created = await createAccount({ db: database.db }, 'Bench VA business')
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const env = {
      DATABASE_URL: databaseUrl,
      ADMIN_TOKEN: randomBytes(24).toString('hex'),
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      LOG_LEVEL: 'warn',
      ROLE: options.role ?? 'api',
      ...options.env,
    }
    const nodeArgs = options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}
    const started = await spawnServer(serverScript, env, { ready: base, ...nodeArgs })
    child = started.child
    if (options.worker) {
      // A worker answers only on its metrics listener.
      const metrics = `http://127.0.0.1:${await freePort()}`
      worker = await spawnServer(
        serverScript,
        {
          ...env,
          ROLE: 'worker',
          PORT: String(await freePort()),
          WORKER_METRICS_PORT: new URL(metrics).port,
        },
        { ready: metrics, readyPath: '/metrics', ...nodeArgs },
      )
    }
    return {
      base,
      pid: child.pid!,
      key: created.apiKey.key,
      accountId: created.account.id,
      databaseUrl,
      dbName,
      adminUrl,
      database,
      stop: cleanup,
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

export interface ServerProcess {
  child: ChildProcess
  pid: number
  /** The last 8,000 characters it wrote (pino logs go to stdout, crashes to stderr). */
  output(): string
  /** How many lines it logged at level error or fatal. */
  errorLines(): number
  /** SIGTERM (SIGKILL after 10 s) and waits for the exit. */
  stop(): Promise<void>
}

/**
 * Runs the built server (`node server.js`, as `npm start` does) with `env` over this process's variables and
 * waits until `ready` answers `readyPath` (a ROLE=worker process answers only on its WORKER_METRICS_PORT).
 */
export async function spawnServer(
  serverScript: string,
  env: Record<string, string>,
  options: { ready: string; readyPath?: string; nodeArgs?: string[] },
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), serverScript], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  let errors = 0
  const collect = (chunk: Buffer) => {
    const text = chunk.toString()
    errors += text.match(/"level":(50|60)/g)?.length ?? 0
    output = (output + text).slice(-8000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  try {
    await waitForHealth(options.ready, child, () => output, options.readyPath)
  } catch (err) {
    await stopServer(child)
    throw err
  }
  return {
    child,
    pid: child.pid!,
    output: () => output,
    errorLines: () => errors,
    stop: () => stopServer(child),
  }
}

/** The p-th percentile (0–100) of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

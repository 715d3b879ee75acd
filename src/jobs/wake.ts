// Waking the worker when work is committed, instead of leaving it to the next poll (pg-boss every 0.5 s, the
// outbox dispatcher every 250 ms). A worker in the same process is woken directly (ROLE=all, and always on
// PGlite, where the API and the worker share one process and one session); workers in other processes are woken
// by NOTIFY on PostgreSQL: each LISTENs on one connection of its own. Polling stays underneath, so a wake-up lost
// (a worker reconnecting, the database restarting, a crash right after a commit) costs only latency.
import type { FastifyBaseLogger } from 'fastify'
import pg from 'pg'
import type { Database } from '../db/connect.js'

export const WAKE_CHANNEL = 'officehours_work'
/** The `application_name` of a worker's listening connection (to find its backend in `pg_stat_activity`). */
export const LISTENER_APPLICATION_NAME = 'officehours-wake-listener'

/** What was committed: a calendar sync job (pg-boss), or outbox rows for the worker's dispatch loop. */
export type WorkKind = 'sync' | 'outbox'
const KINDS: readonly WorkKind[] = ['sync', 'outbox']

/** The worker loops running in this process, by the database they work on. */
const localWakers = new WeakMap<Database, Map<WorkKind, Set<() => void>>>()

/** Registers a worker loop of this process to be woken for `kind`; returns its unregistration. */
export function onLocalWork(database: Database, kind: WorkKind, wake: () => void): () => void {
  const byKind = localWakers.get(database) ?? new Map<WorkKind, Set<() => void>>()
  localWakers.set(database, byKind)
  const wakers = byKind.get(kind) ?? new Set()
  byKind.set(kind, wakers.add(wake))
  return () => wakers.delete(wake)
}

/** Wakes this process's worker loops for `kind`; false when it runs none. */
function wakeLocal(database: Database, kind: WorkKind): boolean {
  const local = localWakers.get(database)?.get(kind)
  for (const wake of local ?? []) wake()
  return (local?.size ?? 0) > 0
}

/** NOTIFYs of this process: one in flight per database and kind, one more queued behind it. */
const notifying = new WeakMap<Database, Map<WorkKind, 'sent' | 'again'>>()

/**
 * Wakes a worker for `kind` work just COMMITTED (call it after the commit, never inside a transaction): this
 * process's own worker if it runs one, otherwise every worker through NOTIFY. Returns at once; never throws.
 *
 * Why not NOTIFY inside the transaction: PostgreSQL serializes the commits of notifying transactions (a lock held
 * from pre-commit through the WAL flush); 20 writers committing with NOTIFY made 670 commits/s where they made
 * 2,800 without (pgbench, this machine), and every booking commits one. Sent after the commit, in a transaction of
 * its own that writes no WAL, and coalesced (a burst of commits sends one or two), it costs almost nothing.
 */
export function wakeWorkers(database: Database, kind: WorkKind): void {
  if (wakeLocal(database, kind) || database.kind !== 'postgres') return
  const inFlight = notifying.get(database) ?? new Map<WorkKind, 'sent' | 'again'>()
  notifying.set(database, inFlight)
  if (inFlight.has(kind)) {
    // The NOTIFY in flight may have committed before this work did: send one more after it.
    inFlight.set(kind, 'again')
    return
  }
  const send = () => {
    inFlight.set(kind, 'sent')
    database.pool
      .query('SELECT pg_notify($1, $2)', [WAKE_CHANNEL, kind])
      // A NOTIFY that fails (the database going away) loses only latency: the worker polls.
      .catch(() => {})
      .finally(() => {
        if (inFlight.get(kind) === 'again') send()
        else inFlight.delete(kind)
      })
  }
  send()
}

export interface WakeListener {
  stop(): Promise<void>
}

/**
 * LISTENs on a connection of its own (not the pool's: LISTEN belongs to a session) and wakes this process's worker
 * loops (registered with onLocalWork) for each notification. When the connection is lost it connects again with
 * backoff (0.25 s, doubling up to 10 s) and, once listening again, wakes every kind once for what was committed
 * meanwhile. Nothing on PGlite.
 */
export function listenForWork(database: Database, log: FastifyBaseLogger): WakeListener {
  const wake = (kind: WorkKind) => wakeLocal(database, kind)
  if (database.kind !== 'postgres') return { stop: async () => {} }
  let stopped = false
  let client: pg.Client | null = null
  let retry: NodeJS.Timeout | undefined
  let failures = 0

  const connect = async () => {
    const c = new pg.Client({
      connectionString: database.pool.options.connectionString,
      application_name: LISTENER_APPLICATION_NAME,
    })
    client = c
    let lost = false
    const onLost = (err?: unknown) => {
      // A lost connection emits 'error' and then 'end', and a failed connect rejects as well: act once.
      if (lost) return
      lost = true
      c.end().catch(() => {})
      if (stopped) return
      const delayMs = Math.min(10_000, 250 * 2 ** failures++)
      log.warn({ err, retryInMs: delayMs }, 'work listener lost its connection; polling until it is back')
      retry = setTimeout(() => void connect(), delayMs)
    }
    // Unheard, a client's 'error' ends the process (see src/db/connect.ts).
    c.on('error', onLost)
    c.on('end', () => onLost())
    c.on('notification', (message) => {
      const kind = KINDS.find((k) => k === message.payload)
      if (message.channel === WAKE_CHANNEL && kind) wake(kind)
    })
    try {
      await c.connect()
      await c.query(`LISTEN ${WAKE_CHANNEL}`)
    } catch (err) {
      onLost(err)
      return
    }
    if (failures > 0) log.info('work listener listening again')
    failures = 0
    for (const kind of KINDS) wake(kind)
  }
  void connect()

  return {
    async stop() {
      stopped = true
      clearTimeout(retry)
      await client?.end().catch(() => {})
    },
  }
}

// calendarView delta rounds: server-side sync states behind $skiptoken / $deltatoken, diffed snapshots, 410 on demand.
import { randomBytes } from 'node:crypto'
import { GraphHttpError } from './errors.js'
import type { Instance, MailboxStore } from './store.js'

export type DeltaInvalidation = 'syncStateNotFound' | 'resyncRequired' | 'location'

export interface RemovedEntry {
  removed: true
  id: string
}

export type DeltaItem = Instance | RemovedEntry

interface DeltaState {
  userId: string
  calendarId: string
  /** Path after /v1.0/ the links are built on, e.g. `me/calendarView/delta`. */
  linkPath: string
  from: number
  to: number
  /** What the client has seen: instance id → changeKey. */
  snapshot: Map<string, string>
  seq: number
  generation: number
  invalid?: DeltaInvalidation
}

interface PageState {
  items: DeltaItem[]
  offset: number
  deltaToken: string
  userId: string
  linkPath: string
  from: number
  to: number
  timeZone?: string
  maxPageSize: number
  generation: number
  invalid?: DeltaInvalidation
}

export interface DeltaPage {
  items: DeltaItem[]
  timeZone?: string
  nextLink?: string
  deltaLink?: string
}

export interface DeltaEngineOptions {
  store: MailboxStore
  defaultPageSize: number
  /** Sync states kept before the oldest are evicted (evicted tokens answer 410 SyncStateNotFound, as Outlook's cache does). */
  maxStates: number
  /** Report changes outside the window as @removed (providers.md B2 "Surprise", microsoft-graph-docs #6599). */
  outOfWindowRemovals: boolean
}

export type DeltaEngine = ReturnType<typeof createDeltaEngine>

export function createDeltaEngine(opts: DeltaEngineOptions) {
  const deltas = new Map<string, DeltaState>()
  const pages = new Map<string, PageState>()
  let generation = 0

  const token = () => randomBytes(18).toString('base64url')

  function remember<T>(map: Map<string, T>, key: string, value: T) {
    map.set(key, value)
    while (map.size > opts.maxStates) {
      const oldest = map.keys().next().value
      if (oldest === undefined) break
      map.delete(oldest)
    }
  }

  // Frozen copies, so a page served later shows what the round computed (the snapshot is taken at the same time).
  const freeze = (i: Instance): Instance => ({ ...i, event: structuredClone(i.event) })

  function gone(
    reason: DeltaInvalidation,
    state: { generation: number; linkPath: string; from: number; to: number },
    linkBase: string,
  ) {
    if (reason === 'resyncRequired') {
      return new GraphHttpError(
        410,
        'resyncRequired',
        'The delta token is no longer valid. Resync is required.',
      )
    }
    if (reason === 'location') {
      // A bare 410 with a Location to restart from: the docs' "synchronization reset" (providers.md B2).
      const restart =
        `${linkBase}/${state.linkPath}?startDateTime=${new Date(state.from).toISOString()}` +
        `&endDateTime=${new Date(state.to).toISOString()}`
      return new GraphHttpError(410, 'syncStateNotFound', 'The delta token is expired. Restart the sync.', {
        Location: restart,
      })
    }
    // What live Graph returns (microsoft-graph-docs #2350/#7790).
    return new GraphHttpError(
      410,
      'SyncStateNotFound',
      `The sync state generation is not found; generation=${state.generation};` +
        `[highest=${generation}][${generation}][${Math.max(0, generation - 2)}][${Math.max(0, generation - 1)}].`,
    )
  }

  function notFoundState() {
    return new GraphHttpError(
      410,
      'SyncStateNotFound',
      `The sync state generation is not found; generation=0;[highest=${generation}][${generation}].`,
    )
  }

  function newRound(
    base: Omit<DeltaState, 'snapshot' | 'seq' | 'generation'>,
    current: Instance[],
    items: DeltaItem[],
    pref: { timeZone?: string; maxPageSize?: number },
  ): string {
    generation += 1
    const deltaToken = token()
    remember(deltas, deltaToken, {
      ...base,
      snapshot: new Map(current.map((i) => [i.id, i.changeKey])),
      seq: opts.store.currentSeq(),
      generation,
    })
    const skip = token()
    remember(pages, skip, {
      items,
      offset: 0,
      deltaToken,
      userId: base.userId,
      linkPath: base.linkPath,
      from: base.from,
      to: base.to,
      ...(pref.timeZone !== undefined ? { timeZone: pref.timeZone } : {}),
      maxPageSize: pref.maxPageSize ?? opts.defaultPageSize,
      generation,
    })
    return skip
  }

  /** The initial round: every instance in the window now. Returns the first page. */
  function initial(
    q: { userId: string; calendarId: string; linkPath: string; from: number; to: number },
    pref: { timeZone?: string; maxPageSize?: number },
    linkBase: string,
  ): DeltaPage {
    const current = opts.store.instances(q.userId, q.calendarId, q.from, q.to).map(freeze)
    const skip = newRound(q, current, current, pref)
    return page(q.userId, skip, pref, linkBase)
  }

  /** A following round from a $deltatoken: what changed since that round, as items and @removed entries. */
  function incremental(
    userId: string,
    deltaToken: string,
    pref: { timeZone?: string; maxPageSize?: number },
    linkBase: string,
  ): DeltaPage {
    const state = deltas.get(deltaToken)
    if (!state || state.userId !== userId) throw notFoundState()
    if (state.invalid) throw gone(state.invalid, state, linkBase)
    const current = opts.store.instances(state.userId, state.calendarId, state.from, state.to).map(freeze)
    const items: DeltaItem[] = []
    const seen = new Set<string>()
    for (const inst of current) {
      seen.add(inst.id)
      if (state.snapshot.get(inst.id) !== inst.changeKey) items.push(inst)
    }
    for (const id of state.snapshot.keys()) {
      if (!seen.has(id)) {
        items.push({ removed: true, id })
        seen.add(id)
      }
    }
    if (opts.outOfWindowRemovals) {
      for (const ev of opts.store.changedSince(state.userId, state.calendarId, state.seq)) {
        if (ev.type === 'seriesMaster' || seen.has(ev.id)) continue
        items.push({ removed: true, id: ev.id })
        seen.add(ev.id)
      }
    }
    const { snapshot: _s, seq: _q, generation: _g, invalid: _i, ...base } = state
    const skip = newRound(base, current, items, pref)
    return page(userId, skip, pref, linkBase)
  }

  /** One page of a round ($skiptoken); the last one carries the deltaLink. */
  function page(
    userId: string,
    skipToken: string,
    pref: { timeZone?: string; maxPageSize?: number },
    linkBase: string,
  ): DeltaPage {
    const state = pages.get(skipToken)
    if (!state || state.userId !== userId) throw notFoundState()
    if (state.invalid) throw gone(state.invalid, state, linkBase)
    const size = Math.max(1, Math.min(pref.maxPageSize ?? state.maxPageSize, 1000))
    const items = state.items.slice(state.offset, state.offset + size)
    const nextOffset = state.offset + items.length
    const timeZone = pref.timeZone ?? state.timeZone
    const out: DeltaPage = { items, ...(timeZone !== undefined ? { timeZone } : {}) }
    if (nextOffset < state.items.length) {
      const next = token()
      remember(pages, next, { ...state, offset: nextOffset })
      out.nextLink = `${linkBase}/${state.linkPath}?$skiptoken=${next}`
    } else {
      out.deltaLink = `${linkBase}/${state.linkPath}?$deltatoken=${state.deltaToken}`
    }
    return out
  }

  /** Makes every current token of a user (or everyone) fail the next time it is used. */
  function invalidate(userId: string | undefined, reason: DeltaInvalidation): number {
    let n = 0
    for (const s of [...deltas.values(), ...pages.values()]) {
      if (userId === undefined || s.userId === userId) {
        s.invalid = reason
        n += 1
      }
    }
    return n
  }

  function clear() {
    deltas.clear()
    pages.clear()
  }

  return { initial, incremental, page, invalidate, clear }
}

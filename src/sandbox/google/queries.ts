// events.list (paging, filters, sync tokens), events.instances and freeBusy over the calendar store.
import { createHash } from 'node:crypto'
import { decodeOpaque, encodeOpaque } from '../shared/ids.js'
import { errors } from './errors.js'
import type { CalendarRecord, CalendarStore, EventRecord } from './store.js'
import { formatTimestamp, formatUtcSeconds, isValidZone, parseQueryTime } from './time.js'

export type RawQuery = Record<string, string | string[] | undefined>

export interface ListQuery {
  maxResults: number
  pageToken?: string
  syncToken?: string
  showDeleted: boolean
  singleEvents: boolean
  orderBy?: 'startTime' | 'updated'
  timeMin?: number
  timeMax?: number
  updatedMin?: number
  q?: string
  iCalUID?: string
  privateExtendedProperty: string[]
  sharedExtendedProperty: string[]
  timeZone?: string
  originalStart?: number
}

interface SyncTokenState {
  v: 1
  c: string
  s: number
  e: number
  se: boolean
  tmin?: number
  tmax?: number
}

interface PageTokenState {
  v: 1
  k: string
  s: number
  h: string
}

// Parameters Google refuses next to syncToken (providers.md A1 "These must NOT be combined with syncToken").
const FORBIDDEN_WITH_SYNC = [
  'orderBy',
  'timeMin',
  'timeMax',
  'updatedMin',
  'q',
  'iCalUID',
  'privateExtendedProperty',
  'sharedExtendedProperty',
]

const UPDATED_MIN_MAX_AGE_MS = 28 * 86_400_000

function one(raw: RawQuery, name: string): string | undefined {
  const v = raw[name]
  if (Array.isArray(v)) {
    if (v.length > 1) throw errors.invalid(`Invalid value for: ${name}`, name)
    return v[0]
  }
  return v
}

function many(raw: RawQuery, name: string): string[] {
  const v = raw[name]
  if (v === undefined) return []
  return Array.isArray(v) ? v : [v]
}

function bool(raw: RawQuery, name: string): boolean | undefined {
  const v = one(raw, name)
  if (v === undefined) return undefined
  if (v === 'true') return true
  if (v === 'false') return false
  throw errors.invalid(`Invalid value for: ${name}`, name)
}

/** Validates the query string of events.list / events.instances into a ListQuery (Google-shaped 400s). */
export function parseListQuery(raw: RawQuery, now: number): ListQuery {
  const max = one(raw, 'maxResults')
  let maxResults = 250
  if (max !== undefined) {
    const n = Number(max)
    if (!Number.isInteger(n) || n < 1) throw errors.invalid(`Invalid value for: maxResults`, 'maxResults')
    // The page size can never be larger than 2500 (providers.md A1).
    maxResults = Math.min(n, 2500)
  }
  const syncToken = one(raw, 'syncToken')
  if (syncToken !== undefined) {
    for (const name of FORBIDDEN_WITH_SYNC) {
      if (raw[name] !== undefined) {
        throw errors.invalid(`The parameter '${name}' cannot be used together with 'syncToken'.`, name)
      }
    }
  }
  const orderBy = one(raw, 'orderBy')
  if (orderBy !== undefined && orderBy !== 'startTime' && orderBy !== 'updated') {
    throw errors.invalid('Invalid value for: orderBy', 'orderBy')
  }
  const singleEvents = bool(raw, 'singleEvents') ?? false
  if (orderBy === 'startTime' && !singleEvents) {
    throw errors.badRequest('badRequest', 'The requested ordering is not available for the particular query.')
  }
  const tmin = one(raw, 'timeMin')
  const tmax = one(raw, 'timeMax')
  const timeMin = tmin !== undefined ? parseQueryTime(tmin, 'timeMin') : undefined
  const timeMax = tmax !== undefined ? parseQueryTime(tmax, 'timeMax') : undefined
  if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin) throw errors.timeRangeEmpty()
  const umin = one(raw, 'updatedMin')
  const updatedMin = umin !== undefined ? parseQueryTime(umin, 'updatedMin') : undefined
  if (updatedMin !== undefined && updatedMin < now - UPDATED_MIN_MAX_AGE_MS)
    throw errors.updatedMinTooLongAgo()
  const timeZone = one(raw, 'timeZone')
  if (timeZone !== undefined && !isValidZone(timeZone)) throw errors.invalid('Invalid time zone.', 'timeZone')
  const ostart = one(raw, 'originalStart')
  const q: ListQuery = {
    maxResults,
    showDeleted: bool(raw, 'showDeleted') ?? false,
    singleEvents,
    privateExtendedProperty: many(raw, 'privateExtendedProperty'),
    sharedExtendedProperty: many(raw, 'sharedExtendedProperty'),
  }
  const pageToken = one(raw, 'pageToken')
  if (pageToken !== undefined) q.pageToken = pageToken
  if (syncToken !== undefined) q.syncToken = syncToken
  if (orderBy !== undefined) q.orderBy = orderBy
  if (timeMin !== undefined) q.timeMin = timeMin
  if (timeMax !== undefined) q.timeMax = timeMax
  if (updatedMin !== undefined) q.updatedMin = updatedMin
  const text = one(raw, 'q')
  if (text !== undefined) q.q = text
  const ical = one(raw, 'iCalUID')
  if (ical !== undefined) q.iCalUID = ical
  if (timeZone !== undefined) q.timeZone = timeZone
  if (ostart !== undefined) q.originalStart = parseQueryTime(ostart, 'originalStart')
  return q
}

function queryHash(calendarId: string, q: ListQuery, extra = ''): string {
  const { pageToken: _p, maxResults: _m, ...rest } = q
  return createHash('sha1')
    .update(JSON.stringify([calendarId, rest, extra]))
    .digest('base64url')
    .slice(0, 12)
}

const pad = (n: number) => String(Math.round(n) + 1e15).padStart(17, '0')

interface Item {
  record: EventRecord
  key: string
  stub: boolean
}

export function createQueries(store: CalendarStore) {
  function matchesFilters(r: EventRecord, q: ListQuery): boolean {
    if (q.iCalUID !== undefined && r.iCalUID !== q.iCalUID) return false
    if (q.q !== undefined) {
      const needle = q.q.toLowerCase()
      const hay = [
        r.body['summary'],
        r.body['description'],
        r.body['location'],
        ...(r.body.attendees ?? []).map((a) => a.email),
      ]
        .filter((v): v is string => typeof v === 'string')
        .join('\n')
        .toLowerCase()
      if (!hay.includes(needle)) return false
    }
    const ext = (r.body['extendedProperties'] ?? {}) as Record<string, Record<string, string> | undefined>
    for (const [scope, wanted] of [
      ['private', q.privateExtendedProperty],
      ['shared', q.sharedExtendedProperty],
    ] as const) {
      for (const pair of wanted) {
        const eq = pair.indexOf('=')
        if (eq < 0)
          throw errors.invalid(`Invalid value for: ${scope}ExtendedProperty`, `${scope}ExtendedProperty`)
        if (ext[scope]?.[pair.slice(0, eq)] !== pair.slice(eq + 1)) return false
      }
    }
    return true
  }

  function keyOf(r: EventRecord, cal: CalendarRecord, mode: 'start' | 'updated' | 'seq'): string {
    if (mode === 'updated') return `${pad(r.updated)}|${r.id}`
    if (mode === 'seq') return `${pad(r.seq)}|${r.id}`
    return `${pad(store.times(r, cal).startMs)}|${r.id}`
  }

  // The last full listing of each calendar, so that its later pages are cut from the entries of the first one
  // while nothing has changed since (expanding every event again for each page made a 10,000-event calendar's full
  // sync take minutes). Any change moves the sequence on, and the listing is then computed afresh as before.
  const lastListing = new WeakMap<CalendarRecord, { hash: string; snapshot: number; items: Item[] }>()

  function cachedFullItems(cal: CalendarRecord, q: ListQuery, snapshot: number): Item[] {
    const hash = queryHash(cal.id, q)
    const last = lastListing.get(cal)
    if (last && last.hash === hash && last.snapshot === snapshot && store.currentSeq() === snapshot)
      return last.items
    const items = fullItems(cal, q, snapshot)
    lastListing.set(cal, { hash, snapshot, items })
    return items
  }

  /** The entries of a full (token-less) listing, before paging. */
  function fullItems(cal: CalendarRecord, q: ListQuery, snapshot: number): Item[] {
    const includeDeleted = q.showDeleted || q.updatedMin !== undefined
    const from = q.timeMin ?? Number.NEGATIVE_INFINITY
    const to = q.timeMax ?? Number.POSITIVE_INFINITY
    const overlaps = (r: EventRecord) => {
      const t = store.times(r, cal)
      return t.startMs < to && (t.endMs > from || (t.endMs === t.startMs && t.startMs >= from))
    }
    const mode = q.orderBy === 'updated' ? 'updated' : 'start'
    const out: Item[] = []
    const push = (r: EventRecord, stub: boolean) => {
      if (r.seq > snapshot) return
      if (q.updatedMin !== undefined && r.updated < q.updatedMin) return
      if (!stub && !matchesFilters(r, q)) return
      out.push({ record: r, key: keyOf(r, cal, mode), stub })
    }
    for (const r of store.eventsOf(cal).values()) {
      const cancelled = r.status === 'cancelled'
      if (store.isMaster(r)) {
        if (q.singleEvents) {
          if (cancelled) continue
          const fromMs = Number.isFinite(from) ? from : store.times(r, cal).startMs
          for (const inst of store.instancesOf(r, cal, fromMs, to, includeDeleted)) {
            push(inst, inst.status === 'cancelled')
          }
        } else {
          if (cancelled && !includeDeleted) continue
          const fromMs = Number.isFinite(from) ? from : store.times(r, cal).startMs
          if (cancelled || store.instancesOf(r, cal, fromMs, to, false).length > 0) push(r, cancelled)
        }
      } else if (r.recurringEventId !== undefined) {
        // Exceptions come through their series when expanding; otherwise they are entries of their own,
        // and cancelled ones are listed even without showDeleted (providers.md A1 "showDeleted / singleEvents").
        if (q.singleEvents) continue
        if (cancelled || overlaps(r)) push(r, cancelled)
      } else {
        if (cancelled && !includeDeleted) continue
        if (cancelled || overlaps(r)) push(r, cancelled)
      }
    }
    return out
  }

  /** The entries changed since a sync token: deletions always included, as cancelled stubs. */
  function incrementalItems(cal: CalendarRecord, token: SyncTokenState, snapshot: number): Item[] {
    const changed = [...store.eventsOf(cal).values()].filter((r) => r.seq > token.s && r.seq <= snapshot)
    const out = new Map<string, Item>()
    const push = (r: EventRecord) => {
      if (r.seq > snapshot) return
      const stub = r.status === 'cancelled'
      out.set(r.id, { record: r, key: keyOf(r, cal, 'seq'), stub })
    }
    const from = token.tmin ?? Number.NEGATIVE_INFINITY
    const to = token.tmax ?? Number.POSITIVE_INFINITY
    const changedMasters = new Set(changed.filter((r) => store.isMaster(r)).map((r) => r.id))
    for (const r of changed) {
      if (!token.se) {
        push(r)
      } else if (store.isMaster(r)) {
        const fromMs = Number.isFinite(from) ? from : store.times(r, cal).startMs
        for (const inst of store.instancesOf(r, cal, fromMs, to, true))
          push({ ...inst, seq: Math.max(inst.seq, r.seq) })
      } else if (r.recurringEventId !== undefined) {
        if (!changedMasters.has(r.recurringEventId)) push(r)
      } else {
        push(r)
      }
    }
    return [...out.values()]
  }

  function decodeSyncToken(cal: CalendarRecord, raw: string, singleEvents: boolean): SyncTokenState {
    const t = decodeOpaque<SyncTokenState>(raw)
    if (t?.v !== 1 || typeof t.s !== 'number') throw errors.invalid('Invalid sync token value.', 'syncToken')
    if (t.c !== cal.id || t.e !== cal.epoch) throw errors.fullSyncRequired()
    if (t.se !== singleEvents) {
      throw errors.invalid('The sync token was issued for a different singleEvents value.', 'singleEvents')
    }
    return t
  }

  function page(
    items: Item[],
    q: ListQuery,
    hash: string,
    snapshot: number,
  ): { slice: Item[]; nextPageToken?: string } {
    items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    let start = 0
    if (q.pageToken !== undefined) {
      const pt = decodeOpaque<PageTokenState>(q.pageToken)
      if (pt?.v !== 1 || pt.h !== hash) throw errors.invalid('Invalid page token value.', 'pageToken')
      start = items.findIndex((i) => i.key > pt.k)
      if (start < 0) start = items.length
    }
    const slice = items.slice(start, start + q.maxResults)
    const last = slice[slice.length - 1]
    if (start + q.maxResults < items.length && last) {
      return {
        slice,
        nextPageToken: encodeOpaque({ v: 1, k: last.key, s: snapshot, h: hash } satisfies PageTokenState),
      }
    }
    return { slice }
  }

  function snapshotOf(q: ListQuery): number {
    if (q.pageToken === undefined) return store.currentSeq()
    const pt = decodeOpaque<PageTokenState>(q.pageToken)
    if (!pt || typeof pt.s !== 'number') throw errors.invalid('Invalid page token value.', 'pageToken')
    return pt.s
  }

  function envelope(cal: CalendarRecord, zone: string): Record<string, unknown> {
    let updated = cal.created
    for (const r of store.eventsOf(cal).values()) updated = Math.max(updated, r.updated)
    return {
      kind: 'calendar#events',
      etag: `"${updated * 1000}"`,
      summary: cal.summary,
      ...(cal.description !== undefined ? { description: cal.description } : {}),
      updated: formatTimestamp(updated),
      timeZone: zone,
      accessRole: 'owner',
      defaultReminders: [{ method: 'popup', minutes: 10 }],
    }
  }

  function listEvents(cal: CalendarRecord, q: ListQuery): Record<string, unknown> {
    const snapshot = snapshotOf(q)
    const zone = q.timeZone ?? cal.timeZone
    let items: Item[]
    let token: SyncTokenState
    if (q.syncToken !== undefined) {
      const prev = decodeSyncToken(cal, q.syncToken, q.singleEvents)
      items = incrementalItems(cal, prev, snapshot)
      token = { ...prev, s: snapshot }
    } else {
      items = cachedFullItems(cal, q, snapshot)
      token = {
        v: 1,
        c: cal.id,
        s: snapshot,
        e: cal.epoch,
        se: q.singleEvents,
        ...(q.timeMin !== undefined ? { tmin: q.timeMin } : {}),
        ...(q.timeMax !== undefined ? { tmax: q.timeMax } : {}),
      }
    }
    const { slice, nextPageToken } = page(items, q, queryHash(cal.id, q), snapshot)
    const out = envelope(cal, zone)
    // nextPageToken and nextSyncToken never come together: the sync token is on the last page only (providers.md A1).
    if (nextPageToken !== undefined) out['nextPageToken'] = nextPageToken
    else out['nextSyncToken'] = encodeOpaque(token)
    out['items'] = slice.map((i) => (i.stub ? store.renderStub(i.record) : store.render(i.record, cal, zone)))
    return out
  }

  function listInstances(cal: CalendarRecord, eventId: string, q: ListQuery): Record<string, unknown> {
    const master = store.eventsOf(cal).get(eventId)
    if (!master) throw errors.notFound()
    if (master.status === 'cancelled') throw errors.deleted()
    const snapshot = snapshotOf(q)
    const zone = q.timeZone ?? cal.timeZone
    let instances = store.isMaster(master)
      ? store.instancesOf(
          master,
          cal,
          q.timeMin ?? store.times(master, cal).startMs,
          q.timeMax ?? Number.POSITIVE_INFINITY,
          q.showDeleted,
        )
      : [master]
    if (q.originalStart !== undefined) {
      instances = instances.filter(
        (r) => r.originalStartTime && store.times({ ...r, body: {} }, cal).startMs === q.originalStart,
      )
    }
    const items = instances
      .filter((r) => r.seq <= snapshot)
      .map((r) => ({
        record: r,
        key: `${pad(store.times(r, cal).startMs)}|${r.id}`,
        stub: r.status === 'cancelled',
      }))
    const { slice, nextPageToken } = page(items, q, queryHash(cal.id, q, eventId), snapshot)
    const out = envelope(cal, zone)
    if (nextPageToken !== undefined) out['nextPageToken'] = nextPageToken
    out['items'] = slice.map((i) => (i.stub ? store.renderStub(i.record) : store.render(i.record, cal, zone)))
    return out
  }

  /** freebusy.query: transparent, cancelled and declined events do not block time (providers.md A3). */
  function freeBusy(userEmail: string | null, body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null) throw errors.parseError()
    const b = body as Record<string, unknown>
    if (typeof b['timeMin'] !== 'string') throw errors.required('Missing timeMin parameter.', 'timeMin')
    if (typeof b['timeMax'] !== 'string') throw errors.required('Missing timeMax parameter.', 'timeMax')
    const from = parseQueryTime(b['timeMin'], 'timeMin')
    const to = parseQueryTime(b['timeMax'], 'timeMax')
    if (to <= from) throw errors.timeRangeEmpty()
    const items = Array.isArray(b['items']) ? b['items'] : []
    if (items.length > 50) {
      throw errors.badRequest('tooManyCalendarsRequested', 'The number of calendars requested is too large.')
    }
    const calendarsOut: Record<string, unknown> = {}
    for (const item of items) {
      const id =
        typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['id'] : undefined
      if (typeof id !== 'string') continue
      let cal: CalendarRecord
      try {
        // Free/busy of other users' calendars is visible, as within one Workspace domain.
        cal = store.resolveCalendar(id === 'primary' ? userEmail : null, id)
      } catch {
        calendarsOut[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] }
        continue
      }
      const intervals: Array<[number, number]> = []
      const consider = (r: EventRecord) => {
        if (r.status === 'cancelled' || r.body.transparency === 'transparent') return
        if (r.body.attendees?.some((a) => a.email === cal.ownerEmail && a.responseStatus === 'declined'))
          return
        const t = store.times(r, cal)
        if (t.startMs < to && t.endMs > from)
          intervals.push([Math.max(t.startMs, from), Math.min(t.endMs, to)])
      }
      for (const r of store.eventsOf(cal).values()) {
        if (store.isMaster(r)) {
          if (r.status !== 'cancelled')
            for (const inst of store.instancesOf(r, cal, from, to, false)) consider(inst)
        } else if (r.recurringEventId === undefined) consider(r)
      }
      intervals.sort((x, y) => x[0] - y[0])
      const merged: Array<[number, number]> = []
      for (const iv of intervals) {
        const last = merged[merged.length - 1]
        if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1])
        else merged.push([iv[0], iv[1]])
      }
      calendarsOut[id] = {
        busy: merged.map(([s, e]) => ({ start: formatUtcSeconds(s), end: formatUtcSeconds(e) })),
      }
    }
    return {
      kind: 'calendar#freeBusy',
      timeMin: formatTimestamp(from),
      timeMax: formatTimestamp(to),
      calendars: calendarsOut,
    }
  }

  return { listEvents, listInstances, freeBusy }
}

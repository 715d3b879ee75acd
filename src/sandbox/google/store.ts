// In-memory state of the Google emulator: users, calendars and events, with every write numbered for sync tokens.
import { DateTime } from 'luxon'
import { base32hexId, isBase32hexId } from '../shared/ids.js'
import { errors } from './errors.js'
import {
  expandOccurrences,
  findOccurrence,
  type Occurrence,
  type SeriesShape,
  validateRecurrence,
} from './recurrence.js'
import {
  type EventDateTime,
  formatDateTime,
  formatTimestamp,
  isValidZone,
  parseEventDateTime,
} from './time.js'

export interface GoogleUser {
  email: string
  name: string
  timeZone: string
}

export interface CalendarRecord {
  id: string
  ownerEmail: string
  summary: string
  description?: string
  timeZone: string
  primary: boolean
  /** Bumped to invalidate every sync token of the calendar (providers.md A1: 410 fullSyncRequired on demand). */
  epoch: number
  created: number
}

export type EventStatus = 'confirmed' | 'tentative' | 'cancelled'

/** Client-writable fields of an event, stored as given after validation. */
export type EventBody = Record<string, unknown> & {
  start?: EventDateTime
  end?: EventDateTime
  recurrence?: string[]
  attendees?: Attendee[]
  transparency?: string
}

export interface Attendee {
  email: string
  responseStatus?: string
  displayName?: string
  optional?: boolean
  [key: string]: unknown
}

export interface EventRecord {
  id: string
  calendarId: string
  body: EventBody
  status: EventStatus
  etag: string
  created: number
  updated: number
  /** The store-wide write number of the last change; sync and page tokens compare against it. */
  seq: number
  sequence: number
  iCalUID: string
  recurringEventId?: string
  originalStartTime?: EventDateTime
}

export interface WriteOptions {
  ifMatch?: string | undefined
}

const WRITABLE = new Set([
  'summary',
  'description',
  'location',
  'colorId',
  'start',
  'end',
  'endTimeUnspecified',
  'recurrence',
  'transparency',
  'visibility',
  'attendees',
  'extendedProperties',
  'reminders',
  'source',
  'guestsCanModify',
  'guestsCanInviteOthers',
  'guestsCanSeeOtherGuests',
  'anyoneCanAddSelf',
  'conferenceData',
  'eventType',
  'attendeesOmitted',
  'locked',
  'privateCopy',
])

const STATUSES = new Set(['confirmed', 'tentative', 'cancelled'])
const RESPONSES = new Set(['needsAction', 'declined', 'tentative', 'accepted'])
const DAY = 86_400_000

export interface StoreOptions {
  now: () => number
  /** How far ahead open-ended series are expanded when no timeMax bounds them. */
  horizonDays?: number
  onChange?: (calendarId: string) => void
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function clone<T>(v: T): T {
  return structuredClone(v)
}

export function createCalendarStore(opts: StoreOptions) {
  const now = opts.now
  const horizonMs = (opts.horizonDays ?? 730) * DAY
  const users = new Map<string, GoogleUser>()
  const calendars = new Map<string, CalendarRecord>()
  const events = new Map<string, Map<string, EventRecord>>()
  let seq = 0
  let onChange = opts.onChange ?? (() => {})

  const nextSeq = () => ++seq
  // Google etags are quoted decimals (providers.md A3 ⚠ [obs]); the write number keeps them unique per write.
  const makeEtag = (at: number, s: number) => `"${at * 1000 + (s % 1000)}"`

  function addUser(input: { email: string; name?: string; timeZone?: string }): GoogleUser {
    const email = input.email.toLowerCase()
    const existing = users.get(email)
    if (existing) return existing
    const timeZone = input.timeZone && isValidZone(input.timeZone) ? input.timeZone : 'UTC'
    const user = { email, name: input.name ?? email.split('@')[0] ?? email, timeZone }
    users.set(email, user)
    addCalendar({ ownerEmail: email, id: email, summary: email, timeZone, primary: true })
    return user
  }

  function addCalendar(input: {
    ownerEmail: string
    summary: string
    id?: string
    timeZone?: string
    description?: string
    primary?: boolean
  }): CalendarRecord {
    const owner = users.get(input.ownerEmail.toLowerCase())
    if (!owner) throw errors.notFound()
    const id = input.id ?? `c_${base32hexId(26)}@group.calendar.google.com`
    if (calendars.has(id)) throw errors.duplicate()
    const cal: CalendarRecord = {
      id,
      ownerEmail: owner.email,
      summary: input.summary,
      ...(input.description !== undefined ? { description: input.description } : {}),
      timeZone: input.timeZone && isValidZone(input.timeZone) ? input.timeZone : owner.timeZone,
      primary: input.primary ?? false,
      epoch: 1,
      created: now(),
    }
    calendars.set(id, cal)
    events.set(id, new Map())
    return cal
  }

  /** The calendar `calendarId` names for `userEmail` ('primary' is the user's own); 404 when the user does not own it. */
  function resolveCalendar(userEmail: string | null, calendarId: string): CalendarRecord {
    const id = calendarId === 'primary' ? userEmail : calendarId
    const cal = id === null ? undefined : (calendars.get(id) ?? calendars.get(id.toLowerCase()))
    if (!cal) throw errors.notFound()
    if (userEmail !== null && cal.ownerEmail !== userEmail) throw errors.notFound()
    return cal
  }

  function eventsOf(cal: CalendarRecord): Map<string, EventRecord> {
    const map = events.get(cal.id)
    if (!map) throw errors.notFound()
    return map
  }

  // ---- validation ----

  function sanitize(input: Record<string, unknown>): EventBody {
    const body: EventBody = {}
    for (const [k, v] of Object.entries(input))
      if (WRITABLE.has(k) && v !== undefined && v !== null) body[k] = clone(v)
    return body
  }

  /** Checks a complete body (after a patch is merged) the way Google answers 400s. */
  function validate(body: EventBody, cal: CalendarRecord, status: unknown): void {
    if (status !== undefined && (typeof status !== 'string' || !STATUSES.has(status))) {
      throw errors.invalid('Invalid value for: status', 'status')
    }
    for (const k of ['summary', 'description', 'location', 'colorId'] as const) {
      if (body[k] !== undefined && typeof body[k] !== 'string')
        throw errors.invalid(`Invalid value for: ${k}`, k)
    }
    if (
      body.transparency !== undefined &&
      body.transparency !== 'opaque' &&
      body.transparency !== 'transparent'
    ) {
      throw errors.invalid('Invalid value for: transparency', 'transparency')
    }
    const vis = body['visibility']
    if (vis !== undefined && !['default', 'public', 'private', 'confidential'].includes(String(vis))) {
      throw errors.invalid('Invalid value for: visibility', 'visibility')
    }
    if (body.start === undefined) throw errors.required('Missing start time.', 'start')
    if (body.end === undefined) throw errors.required('Missing end time.', 'end')
    const start = parseEventDateTime(body.start, cal.timeZone, 'start')
    const end = parseEventDateTime(body.end, cal.timeZone, 'end')
    if (start.allDay !== end.allDay) {
      throw errors.invalid('Start and end times must either both be date or both be dateTime.', 'end')
    }
    if (end.ms < start.ms || (start.allDay && end.ms === start.ms)) throw errors.timeRangeEmpty('end')
    if (body.recurrence !== undefined) {
      if (!Array.isArray(body.recurrence)) throw errors.invalid('Invalid recurrence rule.', 'recurrence')
      if (body.recurrence.length > 0) {
        // Google requires start.timeZone on recurring timed events (providers.md A1 "Recurring events").
        if (!start.allDay && body.start.timeZone === undefined) {
          throw errors.badRequest('required', 'Missing time zone definition for start time.')
        }
        validateRecurrence({
          recurrence: body.recurrence,
          allDay: start.allDay,
          startMs: start.ms,
          zone: start.zone,
        })
      }
    }
    if (body.attendees !== undefined) {
      if (!Array.isArray(body.attendees)) throw errors.invalid('Invalid value for: attendees', 'attendees')
      for (const a of body.attendees) {
        if (!isPlainObject(a) || typeof a['email'] !== 'string' || !a['email'].includes('@')) {
          throw errors.badRequest('invalid', 'Invalid attendee email.')
        }
        if (a['responseStatus'] !== undefined && !RESPONSES.has(String(a['responseStatus']))) {
          throw errors.invalid('Invalid value for: responseStatus', 'attendees.responseStatus')
        }
      }
    }
    const ext = body['extendedProperties']
    if (ext !== undefined) {
      if (!isPlainObject(ext))
        throw errors.invalid('Invalid value for: extendedProperties', 'extendedProperties')
      for (const scope of ['private', 'shared']) {
        const m = ext[scope]
        if (m === undefined) continue
        if (!isPlainObject(m) || Object.values(m).some((v) => typeof v !== 'string')) {
          throw errors.invalid('Invalid value for: extendedProperties', `extendedProperties.${scope}`)
        }
      }
    }
  }

  function normalizeAttendees(body: EventBody): void {
    if (!body.attendees) return
    body.attendees = body.attendees.map((a) => {
      const { self: _self, organizer: _organizer, ...rest } = a
      return { ...rest, email: a.email.toLowerCase(), responseStatus: a.responseStatus ?? 'needsAction' }
    })
  }

  // ---- series helpers ----

  function seriesShape(master: EventRecord, cal: CalendarRecord): SeriesShape | null {
    const rec = master.body.recurrence
    if (!rec || rec.length === 0 || !master.body.start) return null
    const start = parseEventDateTime(master.body.start, cal.timeZone, 'start')
    return { recurrence: rec, allDay: start.allDay, startMs: start.ms, zone: start.zone }
  }

  function isMaster(r: EventRecord): boolean {
    return (
      Array.isArray(r.body.recurrence) && r.body.recurrence.length > 0 && r.recurringEventId === undefined
    )
  }

  /** The start and end instants of a record (the original start for cancelled exceptions without times). */
  function times(r: EventRecord, cal: CalendarRecord): { startMs: number; endMs: number } {
    if (r.body.start && r.body.end) {
      const s = parseEventDateTime(r.body.start, cal.timeZone, 'start')
      const e = parseEventDateTime(r.body.end, cal.timeZone, 'end')
      return { startMs: s.ms, endMs: e.ms }
    }
    if (r.originalStartTime) {
      const s = parseEventDateTime(r.originalStartTime, cal.timeZone, 'originalStartTime')
      return { startMs: s.ms, endMs: s.ms }
    }
    return { startMs: 0, endMs: 0 }
  }

  function originalStartTime(shape: SeriesShape, occ: Occurrence): EventDateTime {
    if (shape.allDay && occ.date) return { date: occ.date }
    return { dateTime: formatDateTime(occ.startMs, shape.zone), timeZone: shape.zone }
  }

  /** The instance of `master` at `occ` as it is when no exception exists. */
  function virtualInstance(
    master: EventRecord,
    cal: CalendarRecord,
    shape: SeriesShape,
    occ: Occurrence,
  ): EventRecord {
    const { recurrence: _r, ...body } = clone(master.body)
    const start = parseEventDateTime(master.body.start, cal.timeZone, 'start')
    const end = parseEventDateTime(master.body.end, cal.timeZone, 'end')
    if (shape.allDay && occ.date) {
      const days = Math.round((end.ms - start.ms) / DAY)
      body.start = { date: occ.date }
      body.end = { date: DateTime.fromISO(occ.date).plus({ days }).toFormat('yyyy-MM-dd') }
    } else {
      const endZone = master.body.end?.timeZone ?? end.zone
      body.start = {
        dateTime: formatDateTime(occ.startMs, start.zone),
        ...(master.body.start?.timeZone ? { timeZone: master.body.start.timeZone } : {}),
      }
      body.end = {
        dateTime: formatDateTime(occ.startMs + (end.ms - start.ms), endZone),
        ...(master.body.end?.timeZone ? { timeZone: master.body.end.timeZone } : {}),
      }
    }
    return {
      id: `${master.id}_${occ.suffix}`,
      calendarId: cal.id,
      body,
      status: master.status,
      etag: master.etag,
      created: master.created,
      updated: master.updated,
      seq: master.seq,
      sequence: master.sequence,
      iCalUID: master.iCalUID,
      recurringEventId: master.id,
      originalStartTime: originalStartTime(shape, occ),
    }
  }

  /** Splits `{masterId}_{suffix}` (providers.md A1 ⚠ [obs] instance id convention) into a live virtual instance. */
  function findVirtual(
    cal: CalendarRecord,
    eventId: string,
  ): { master: EventRecord; instance: EventRecord } | null {
    const cut = eventId.lastIndexOf('_')
    if (cut <= 0) return null
    const master = eventsOf(cal).get(eventId.slice(0, cut))
    if (!master || !isMaster(master)) return null
    const shape = seriesShape(master, cal)
    if (!shape) return null
    const occ = findOccurrence(shape, eventId.slice(cut + 1))
    if (!occ) return null
    return { master, instance: virtualInstance(master, cal, shape, occ) }
  }

  /** The stored record of `eventId`, or a virtual instance of a series; 404 when neither exists. */
  function lookup(
    cal: CalendarRecord,
    eventId: string,
  ): { record: EventRecord; stored: boolean; master?: EventRecord } {
    const stored = eventsOf(cal).get(eventId)
    if (stored) return { record: stored, stored: true }
    const v = findVirtual(cal, eventId)
    if (!v) throw errors.notFound()
    return { record: v.instance, stored: false, master: v.master }
  }

  function checkIfMatch(record: EventRecord, ifMatch: string | undefined): void {
    if (ifMatch === undefined || ifMatch === '*') return
    const wanted = ifMatch
      .split(',')
      .map((s) => s.trim().replace(/^W\//, ''))
      .filter(Boolean)
    if (!wanted.includes(record.etag)) throw errors.conditionNotMet()
  }

  function touch(record: EventRecord, cal: CalendarRecord, timesChanged: boolean): void {
    const at = Math.max(now(), record.updated)
    record.seq = nextSeq()
    record.updated = at
    record.etag = makeEtag(at, record.seq)
    if (timesChanged) record.sequence += 1
    eventsOf(cal).set(record.id, record)
  }

  function emit(cal: CalendarRecord): void {
    try {
      onChange(cal.id)
    } catch {
      // A failing listener must not fail the write.
    }
  }

  // ---- writes ----

  function insertEvent(cal: CalendarRecord, input: Record<string, unknown>): EventRecord {
    if (!isPlainObject(input)) throw errors.parseError()
    const map = eventsOf(cal)
    let id: string
    if (input['id'] !== undefined) {
      if (typeof input['id'] !== 'string' || !isBase32hexId(input['id'])) {
        throw errors.invalid('Invalid resource id value.', 'id')
      }
      id = input['id']
      // A deleted event still holds its id: that is what makes client ids safe to retry (providers.md A3).
      if (map.has(id)) throw errors.duplicate()
    } else {
      do id = base32hexId(26)
      while (map.has(id))
    }
    const body = sanitize(input)
    validate(body, cal, input['status'])
    normalizeAttendees(body)
    const at = now()
    const s = nextSeq()
    const record: EventRecord = {
      id,
      calendarId: cal.id,
      body,
      status: (input['status'] as EventStatus | undefined) ?? 'confirmed',
      etag: makeEtag(at, s),
      created: at,
      updated: at,
      seq: s,
      sequence: typeof input['sequence'] === 'number' ? input['sequence'] : 0,
      iCalUID: typeof input['iCalUID'] === 'string' ? input['iCalUID'] : `${id}@google.com`,
    }
    map.set(id, record)
    emit(cal)
    return record
  }

  function mergePatch(
    target: Record<string, unknown>,
    patch: Record<string, unknown>,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { ...target }
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k]
      // start/end are replaced whole so a timed event can become all-day; arrays are replaced (providers.md A3).
      else if (isPlainObject(v) && isPlainObject(out[k]) && k !== 'start' && k !== 'end') {
        out[k] = mergePatch(out[k] as Record<string, unknown>, v)
      } else out[k] = clone(v)
    }
    return out
  }

  function patchEvent(
    cal: CalendarRecord,
    eventId: string,
    patch: Record<string, unknown>,
    w: WriteOptions = {},
  ): EventRecord {
    if (!isPlainObject(patch)) throw errors.parseError()
    const { record, master } = lookup(cal, eventId)
    if (master && master.status === 'cancelled') throw errors.notFound()
    checkIfMatch(record, w.ifMatch)
    const body = sanitize(mergePatch(record.body, sanitizeWithNulls(patch)))
    const status = patch['status'] ?? record.status
    validate(body, cal, status)
    normalizeAttendees(body)
    const timesChanged =
      JSON.stringify([body.start, body.end, body.recurrence]) !==
      JSON.stringify([record.body.start, record.body.end, record.body.recurrence])
    const next = { ...record, body, status: status as EventStatus }
    touch(next, cal, timesChanged)
    emit(cal)
    return next
  }

  function sanitizeWithNulls(input: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(input)) if (WRITABLE.has(k)) out[k] = v
    return out
  }

  function updateEvent(
    cal: CalendarRecord,
    eventId: string,
    input: Record<string, unknown>,
    w: WriteOptions = {},
  ): EventRecord {
    if (!isPlainObject(input)) throw errors.parseError()
    const { record, master } = lookup(cal, eventId)
    if (master && master.status === 'cancelled') throw errors.notFound()
    checkIfMatch(record, w.ifMatch)
    const body = sanitize(input)
    // An instance keeps its series membership; its recurrence cannot be set.
    if (record.recurringEventId !== undefined) delete body.recurrence
    validate(body, cal, input['status'])
    normalizeAttendees(body)
    const timesChanged =
      JSON.stringify([body.start, body.end, body.recurrence]) !==
      JSON.stringify([record.body.start, record.body.end, record.body.recurrence])
    const next = { ...record, body, status: (input['status'] as EventStatus | undefined) ?? 'confirmed' }
    touch(next, cal, timesChanged)
    emit(cal)
    return next
  }

  function deleteEvent(cal: CalendarRecord, eventId: string, w: WriteOptions = {}): void {
    const { record, master } = lookup(cal, eventId)
    // Deleting a deleted event answers 410 deleted (providers.md A1, errors guide).
    if (record.status === 'cancelled' || master?.status === 'cancelled') throw errors.deleted()
    checkIfMatch(record, w.ifMatch)
    touch({ ...record, status: 'cancelled' }, cal, false)
    if (isMaster(record)) {
      for (const ex of eventsOf(cal).values()) {
        if (ex.recurringEventId === record.id && ex.status !== 'cancelled')
          touch({ ...ex, status: 'cancelled' }, cal, false)
      }
    }
    emit(cal)
  }

  /** The calendar owner's answer to an invitation (as in the Calendar app: "Going? No"). */
  function respond(cal: CalendarRecord, eventId: string, responseStatus: string): EventRecord {
    if (!RESPONSES.has(responseStatus))
      throw errors.invalid('Invalid value for: responseStatus', 'responseStatus')
    const { record } = lookup(cal, eventId)
    if (record.status === 'cancelled') throw errors.deleted()
    const attendees = [...(record.body.attendees ?? [])]
    const i = attendees.findIndex((a) => a.email === cal.ownerEmail)
    if (i >= 0) attendees[i] = { ...(attendees[i] as Attendee), responseStatus }
    else attendees.push({ email: cal.ownerEmail, responseStatus })
    const next = { ...record, body: { ...record.body, attendees } }
    touch(next, cal, false)
    emit(cal)
    return next
  }

  // ---- reads ----

  function getEvent(cal: CalendarRecord, eventId: string): EventRecord {
    return lookup(cal, eventId).record
  }

  function renderDateTime(v: EventDateTime, zone: string, cal: CalendarRecord, field: string): EventDateTime {
    if (v.date !== undefined) return { date: v.date }
    const p = parseEventDateTime(v, cal.timeZone, field)
    return {
      dateTime: formatDateTime(p.ms, v.timeZone ?? zone),
      ...(v.timeZone ? { timeZone: v.timeZone } : {}),
    }
  }

  function organizerOf(cal: CalendarRecord): Record<string, unknown> {
    return cal.primary
      ? { email: cal.ownerEmail, self: true }
      : { email: cal.id, displayName: cal.summary, self: true }
  }

  /** The Event resource as Google returns it from get/insert/patch/update. */
  function render(r: EventRecord, cal: CalendarRecord, zone = cal.timeZone): Record<string, unknown> {
    const { start, end, attendees, ...rest } = r.body
    const out: Record<string, unknown> = {
      kind: 'calendar#event',
      etag: r.etag,
      id: r.id,
      status: r.status,
      htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${r.id} ${cal.id}`).toString('base64url')}`,
      created: formatTimestamp(r.created),
      updated: formatTimestamp(r.updated),
      ...rest,
      creator: { email: cal.ownerEmail, self: true },
      organizer: organizerOf(cal),
    }
    if (start) out['start'] = renderDateTime(start, zone, cal, 'start')
    if (end) out['end'] = renderDateTime(end, zone, cal, 'end')
    if (r.recurringEventId !== undefined) out['recurringEventId'] = r.recurringEventId
    if (r.originalStartTime !== undefined) out['originalStartTime'] = r.originalStartTime
    out['iCalUID'] = r.iCalUID
    out['sequence'] = r.sequence
    if (attendees) {
      out['attendees'] = attendees.map((a) => (a.email === cal.ownerEmail ? { ...a, self: true } : a))
    }
    if (out['reminders'] === undefined) out['reminders'] = { useDefault: true }
    if (out['eventType'] === undefined) out['eventType'] = 'default'
    return out
  }

  /** A cancelled entry as lists return it: only id (plus series fields for instances) is guaranteed (providers.md A1). */
  function renderStub(r: EventRecord): Record<string, unknown> {
    return {
      kind: 'calendar#event',
      etag: r.etag,
      id: r.id,
      status: 'cancelled',
      ...(r.recurringEventId !== undefined ? { recurringEventId: r.recurringEventId } : {}),
      ...(r.originalStartTime !== undefined ? { originalStartTime: r.originalStartTime } : {}),
    }
  }

  /** The instances of a series overlapping [fromMs, toMs), exceptions applied; cancelled ones only when asked. */
  function instancesOf(
    master: EventRecord,
    cal: CalendarRecord,
    fromMs: number,
    toMs: number,
    includeCancelled: boolean,
  ): EventRecord[] {
    const shape = seriesShape(master, cal)
    if (!shape) return []
    const { startMs, endMs } = times(master, cal)
    const duration = endMs - startMs
    // Open-ended listings stop at a horizon past today (or past the series start, for series in the future).
    const upper = Number.isFinite(toMs) ? toMs : Math.max(now(), startMs) + horizonMs
    const exceptions = new Map<string, EventRecord>()
    for (const r of eventsOf(cal).values()) if (r.recurringEventId === master.id) exceptions.set(r.id, r)
    const overlaps = (s: number, e: number) => s < toMs && (e > fromMs || (e === s && s >= fromMs))
    const out: EventRecord[] = []
    for (const occ of expandOccurrences(shape, fromMs - duration, upper)) {
      const id = `${master.id}_${occ.suffix}`
      if (exceptions.has(id)) continue
      const inst = virtualInstance(master, cal, shape, occ)
      if (master.status === 'cancelled') {
        if (includeCancelled) out.push({ ...inst, status: 'cancelled' })
        continue
      }
      if (overlaps(occ.startMs, occ.startMs + duration)) out.push(inst)
    }
    for (const ex of exceptions.values()) {
      const cancelled = ex.status === 'cancelled' || master.status === 'cancelled'
      if (cancelled && !includeCancelled) continue
      const t = times(ex, cal)
      // A cancelled instance is in the window by its original slot, or by where it had been moved to: a client
      // that holds the moved exception must hear of its cancellation too.
      const original = times({ ...ex, body: {} }, cal).startMs
      const inWindow = cancelled
        ? (original >= fromMs - duration && original < toMs) ||
          (ex.body.start !== undefined && overlaps(t.startMs, t.endMs))
        : overlaps(t.startMs, t.endMs)
      if (inWindow)
        out.push(cancelled ? { ...ex, status: 'cancelled', seq: Math.max(ex.seq, master.seq) } : ex)
    }
    return out
  }

  function reset(): void {
    users.clear()
    calendars.clear()
    events.clear()
  }

  return {
    now,
    users,
    calendars,
    addUser,
    addCalendar,
    resolveCalendar,
    eventsOf,
    insertEvent,
    patchEvent,
    updateEvent,
    deleteEvent,
    respond,
    getEvent,
    render,
    renderStub,
    instancesOf,
    isMaster,
    times,
    currentSeq: () => seq,
    invalidateSyncTokens(calendarId?: string) {
      for (const cal of calendars.values())
        if (calendarId === undefined || cal.id === calendarId) cal.epoch += 1
    },
    setOnChange(fn: (calendarId: string) => void) {
      onChange = fn
    },
    horizonMs,
    reset,
  }
}

export type CalendarStore = ReturnType<typeof createCalendarStore>

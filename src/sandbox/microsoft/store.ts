// In-memory Outlook mailboxes: users, calendars and events (series, occurrences, exceptions), with change keys.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { GraphHttpError } from './errors.js'
import { expandRecurrence, normaliseRecurrence, type PatternedRecurrence } from './recurrence.js'
import { graphTimestamp, parseDateTimeTimeZone, resolveZone, toDateTimeTimeZone } from './time.js'

export type ShowAs = 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere' | 'unknown'
export type ResponseType =
  | 'none'
  | 'organizer'
  | 'tentativelyAccepted'
  | 'accepted'
  | 'declined'
  | 'notResponded'
export const SHOW_AS: ShowAs[] = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown']
const RESPONSES: ResponseType[] = [
  'none',
  'organizer',
  'tentativelyAccepted',
  'accepted',
  'declined',
  'notResponded',
]

export interface MailboxUser {
  id: string
  displayName: string
  mail: string
  /** Windows or IANA name; the mailbox's own zone (working hours, seed events). */
  timeZone: string
}

export interface StoredCalendar {
  id: string
  userId: string
  name: string
  color: string
  hexColor: string
  isDefaultCalendar: boolean
  changeKey: string
  canEdit: boolean
}

export interface EmailAddress {
  name: string
  address: string
}

export interface Attendee {
  type: 'required' | 'optional' | 'resource'
  status: { response: ResponseType; time: string }
  emailAddress: EmailAddress
}

export interface StoredEvent {
  id: string
  userId: string
  calendarId: string
  type: 'singleInstance' | 'seriesMaster' | 'exception'
  seriesMasterId: string | null
  /** For exceptions: the start the occurrence had in the series (epoch ms). */
  originalStart: number | null
  subject: string
  body: { contentType: 'text' | 'html'; content: string }
  location: { displayName: string }
  attendees: Attendee[]
  showAs: ShowAs
  isAllDay: boolean
  isCancelled: boolean
  sensitivity: string
  importance: string
  categories: string[]
  start: number
  end: number
  /** Zone names as the client spelled them (Outlook keeps originalStartTimeZone). */
  startZone: string
  endZone: string
  recurrence: PatternedRecurrence | null
  organizer: { emailAddress: EmailAddress }
  isOrganizer: boolean
  responseStatus: { response: ResponseType; time: string }
  transactionId: string | null
  /** singleValueExtendedProperties by lower-cased id (Graph matches ids without regard to case). */
  extendedProperties: Record<string, { id: string; value: string }>
  isReminderOn: boolean
  reminderMinutesBeforeStart: number
  changeKey: string
  /** Series masters: changes when what every occurrence shows changes, so occurrences get a new changeKey. */
  seriesKey: string
  created: number
  lastModified: number
  iCalUId: string
  /** Global change sequence of the last write; delta uses it for the out-of-window quirk. */
  seq: number
  /** Series masters: original starts of deleted occurrences. */
  cancelledOccurrences: number[]
  deleted: boolean
}

/** One row of a calendar view: a single instance, an occurrence of a series, or an exception. */
export interface Instance {
  id: string
  type: 'singleInstance' | 'occurrence' | 'exception'
  event: StoredEvent
  start: number
  end: number
  changeKey: string
}

export interface EventChange {
  userId: string
  calendarId: string
  eventId: string
  changeType: 'created' | 'updated' | 'deleted'
  changeKey: string
}

const OCCURRENCE_PREFIX = 'AAMkADOc'

function outlookId(prefix: string): string {
  // Outlook ids are long base64 strings ending in '='; base64url keeps them path-safe (providers.md B).
  return `${prefix}${randomBytes(30).toString('base64url')}=`
}

export function newChangeKey(): string {
  return randomBytes(16).toString('base64')
}

export function occurrenceId(masterId: string, originalStart: number): string {
  return OCCURRENCE_PREFIX + Buffer.from(`${masterId}|${originalStart}`).toString('base64url')
}

export function parseOccurrenceId(id: string): { masterId: string; originalStart: number } | null {
  if (!id.startsWith(OCCURRENCE_PREFIX)) return null
  const [masterId, start] = Buffer.from(id.slice(OCCURRENCE_PREFIX.length), 'base64url')
    .toString('utf8')
    .split('|')
  const originalStart = Number(start)
  return masterId && Number.isFinite(originalStart) ? { masterId, originalStart } : null
}

/** A named single-value property: `String {guid} Name name` (the only form the emulator takes). */
const EXTENDED_PROPERTY_ID =
  /^String \{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\} Name \S+$/i

function invalid(message: string, code = 'ErrorInvalidRequest'): GraphHttpError {
  return new GraphHttpError(400, code, message)
}

function notFound(): GraphHttpError {
  return new GraphHttpError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.')
}

export interface MailboxStoreOptions {
  now: () => number
  onChange: (change: EventChange) => void
}

export type MailboxStore = ReturnType<typeof createMailboxStore>

export function createMailboxStore(opts: MailboxStoreOptions) {
  const users = new Map<string, MailboxUser>()
  const calendars = new Map<string, StoredCalendar>()
  const events = new Map<string, StoredEvent>()
  let seq = 0

  const zoneOf = (label: string) => resolveZone(label) ?? 'UTC'

  function findUser(idOrMail: string): MailboxUser | undefined {
    const direct = users.get(idOrMail)
    if (direct) return direct
    const lower = idOrMail.toLowerCase()
    for (const u of users.values()) if (u.mail.toLowerCase() === lower) return u
    return undefined
  }

  function addUser(user: Partial<MailboxUser> & { mail: string }): MailboxUser {
    const existing = findUser(user.mail)
    if (existing) return existing
    const created: MailboxUser = {
      id: user.id ?? randomUUID(),
      displayName: user.displayName ?? user.mail.split('@')[0] ?? user.mail,
      mail: user.mail,
      timeZone: user.timeZone ?? 'UTC',
    }
    users.set(created.id, created)
    addCalendar(created.id, { name: 'Calendar', isDefaultCalendar: true })
    return created
  }

  function addCalendar(userId: string, input: { name: string; isDefaultCalendar?: boolean; color?: string }) {
    const cal: StoredCalendar = {
      id: outlookId('AAMkADCa'),
      userId,
      name: input.name,
      color: input.color ?? 'auto',
      hexColor: '',
      isDefaultCalendar: input.isDefaultCalendar ?? false,
      changeKey: newChangeKey(),
      canEdit: true,
    }
    calendars.set(cal.id, cal)
    return cal
  }

  function listCalendars(userId: string): StoredCalendar[] {
    return [...calendars.values()].filter((c) => c.userId === userId)
  }

  function defaultCalendar(userId: string): StoredCalendar {
    const cal = listCalendars(userId).find((c) => c.isDefaultCalendar)
    if (!cal) throw notFound()
    return cal
  }

  function getCalendar(userId: string, calendarId: string): StoredCalendar {
    const cal = calendars.get(calendarId)
    if (!cal || cal.userId !== userId) throw notFound()
    return cal
  }

  function touch(ev: StoredEvent, content: boolean) {
    seq += 1
    ev.seq = seq
    ev.changeKey = newChangeKey()
    if (content) ev.seriesKey = ev.changeKey
    ev.lastModified = opts.now()
  }

  function emit(ev: StoredEvent, changeType: EventChange['changeType']) {
    opts.onChange({
      userId: ev.userId,
      calendarId: ev.calendarId,
      eventId: ev.id,
      changeType,
      changeKey: ev.changeKey,
    })
  }

  /** Applies Graph event JSON to `ev` (create: all of it; update: only what is present). Throws Graph 400s. */
  function applyInput(ev: StoredEvent, input: Record<string, unknown>, creating: boolean) {
    const has = (k: string) => Object.hasOwn(input, k)
    if (has('subject')) ev.subject = String(input.subject ?? '')
    if (has('body')) {
      const body = (input.body ?? {}) as { contentType?: string; content?: string }
      ev.body = {
        contentType: String(body.contentType ?? 'text').toLowerCase() === 'html' ? 'html' : 'text',
        content: String(body.content ?? ''),
      }
    }
    if (has('location')) {
      const loc = (input.location ?? {}) as { displayName?: string }
      ev.location = { displayName: String(loc.displayName ?? '') }
    }
    if (has('attendees')) {
      if (!Array.isArray(input.attendees)) throw invalid('attendees must be an array.')
      ev.attendees = input.attendees.map((a: unknown) => {
        const att = (a ?? {}) as Partial<Attendee> & { status?: { response?: string } }
        const address = att.emailAddress?.address
        if (typeof address !== 'string' || !address.includes('@')) {
          throw invalid('An attendee must have an emailAddress with an address.')
        }
        const response = RESPONSES.includes(att.status?.response as ResponseType)
          ? (att.status?.response as ResponseType)
          : 'none'
        return {
          type: att.type === 'optional' || att.type === 'resource' ? att.type : 'required',
          status: { response, time: '0001-01-01T00:00:00Z' },
          emailAddress: { name: att.emailAddress?.name ?? address, address },
        }
      })
    }
    if (has('showAs')) {
      if (!SHOW_AS.includes(input.showAs as ShowAs)) {
        throw invalid(`Requested value '${String(input.showAs)}' was not found.`, 'RequestBodyRead')
      }
      ev.showAs = input.showAs as ShowAs
    }
    if (has('sensitivity')) ev.sensitivity = String(input.sensitivity)
    if (has('importance')) ev.importance = String(input.importance)
    if (has('categories')) ev.categories = Array.isArray(input.categories) ? input.categories.map(String) : []
    if (has('isReminderOn')) ev.isReminderOn = Boolean(input.isReminderOn)
    if (has('reminderMinutesBeforeStart'))
      ev.reminderMinutesBeforeStart = Number(input.reminderMinutesBeforeStart)
    if (has('isAllDay')) ev.isAllDay = Boolean(input.isAllDay)
    if (has('singleValueExtendedProperties')) {
      // Each one is added or replaced; the others stay (Graph's create-or-update of extended properties).
      const props = input.singleValueExtendedProperties
      if (!Array.isArray(props)) throw invalid('singleValueExtendedProperties must be an array.')
      for (const prop of props as { id?: unknown; value?: unknown }[]) {
        if (
          typeof prop?.id !== 'string' ||
          !EXTENDED_PROPERTY_ID.test(prop.id) ||
          typeof prop.value !== 'string'
        )
          throw invalid(
            'The extended property id or value is not valid.',
            'ErrorInvalidExtendedPropertyValue',
          )
        ev.extendedProperties[prop.id.toLowerCase()] = { id: prop.id, value: prop.value }
      }
    }
    for (const key of ['start', 'end'] as const) {
      if (!has(key)) {
        if (creating) throw invalid(`Your request can't be completed. The '${key}' property is required.`)
        continue
      }
      const value = input[key] as { timeZone?: string } | undefined
      const label = value?.timeZone ?? 'UTC'
      if (resolveZone(label) === null) {
        throw invalid(
          `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${label}'.`,
          'TimeZoneNotSupportedException',
        )
      }
      const ms = parseDateTimeTimeZone(value)
      if (ms === null)
        throw invalid(`Cannot convert the literal '${JSON.stringify(value)}' to a dateTimeTimeZone.`)
      if (key === 'start') {
        ev.start = ms
        ev.startZone = label
      } else {
        ev.end = ms
        ev.endZone = label
      }
    }
    if (ev.end < ev.start)
      throw invalid('The end time of the event must be later than or equal to its start time.')
    if (ev.isAllDay) {
      const s = DateTime.fromMillis(ev.start, { zone: zoneOf(ev.startZone) })
      const e = DateTime.fromMillis(ev.end, { zone: zoneOf(ev.endZone) })
      const midnight = (d: DateTime) => d.hour === 0 && d.minute === 0 && d.second === 0
      if (!midnight(s) || !midnight(e) || ev.end === ev.start) {
        throw invalid(
          "Your request can't be completed. If the event is an all-day event, the start and end times must be at " +
            'midnight and the event must last at least one day.',
        )
      }
    }
    if (has('recurrence')) {
      if (input.recurrence === null) {
        ev.recurrence = null
      } else {
        if (ev.type === 'exception') throw invalid('An exception cannot have a recurrence.')
        const rec = normaliseRecurrence(input.recurrence)
        if (typeof rec === 'string') throw invalid(rec, 'ErrorPropertyValidationFailure')
        ev.recurrence = rec
      }
    }
  }

  function build(
    userId: string,
    calendarId: string,
    input: Record<string, unknown>,
    extra: { organizer?: EmailAddress; responseStatus?: ResponseType },
  ): StoredEvent {
    const user = users.get(userId)
    if (!user) throw notFound()
    getCalendar(userId, calendarId)
    const now = opts.now()
    const id = outlookId('AAMkADEv')
    const ck = newChangeKey()
    const isOrganizer = extra.organizer === undefined || extra.organizer.address === user.mail
    const ev: StoredEvent = {
      id,
      userId,
      calendarId,
      type: 'singleInstance',
      seriesMasterId: null,
      originalStart: null,
      subject: '',
      body: { contentType: 'text', content: '' },
      location: { displayName: '' },
      attendees: [],
      showAs: 'busy',
      isAllDay: false,
      isCancelled: false,
      sensitivity: 'normal',
      importance: 'normal',
      categories: [],
      start: 0,
      end: 0,
      startZone: 'UTC',
      endZone: 'UTC',
      recurrence: null,
      organizer: { emailAddress: extra.organizer ?? { name: user.displayName, address: user.mail } },
      isOrganizer,
      responseStatus: {
        response: extra.responseStatus ?? (isOrganizer ? 'organizer' : 'notResponded'),
        time: isOrganizer ? '0001-01-01T00:00:00Z' : graphTimestamp(now),
      },
      transactionId: typeof input.transactionId === 'string' ? input.transactionId : null,
      extendedProperties: {},
      isReminderOn: true,
      reminderMinutesBeforeStart: 15,
      changeKey: ck,
      seriesKey: ck,
      created: now,
      lastModified: now,
      iCalUId: `040000008200E00074C5B7101A82E008${createHash('sha1').update(id).digest('hex').toUpperCase()}`,
      seq: 0,
      cancelledOccurrences: [],
      deleted: false,
    }
    applyInput(ev, input, true)
    if (ev.recurrence) ev.type = 'seriesMaster'
    return ev
  }

  function createEvent(
    userId: string,
    calendarId: string,
    input: Record<string, unknown>,
    extra: { organizer?: EmailAddress; responseStatus?: ResponseType } = {},
  ): StoredEvent {
    const ev = build(userId, calendarId, input, extra)
    seq += 1
    ev.seq = seq
    events.set(ev.id, ev)
    emit(ev, 'created')
    return ev
  }

  /** A stored event (single, master, exception) by id, or the occurrence an occurrence id names. */
  function resolve(userId: string, id: string): { event: StoredEvent; occurrenceStart?: number } {
    const ev = events.get(id)
    if (ev && !ev.deleted && ev.userId === userId) return { event: ev }
    const occ = parseOccurrenceId(id)
    if (occ) {
      const master = events.get(occ.masterId)
      if (master && !master.deleted && master.userId === userId && master.recurrence) {
        const starts = expandRecurrence(
          master.recurrence,
          master.start,
          recurrenceZone(master),
          occ.originalStart + 1,
        )
        if (starts.includes(occ.originalStart) && !master.cancelledOccurrences.includes(occ.originalStart)) {
          return { event: master, occurrenceStart: occ.originalStart }
        }
      }
    }
    throw notFound()
  }

  function recurrenceZone(master: StoredEvent): string {
    return zoneOf(master.recurrence?.range.recurrenceTimeZone || master.startZone)
  }

  /** The changeKey a client sees for an id (occurrences show their master's series key). */
  function changeKeyOf(userId: string, id: string): string {
    const r = resolve(userId, id)
    return r.occurrenceStart !== undefined ? r.event.seriesKey : r.event.changeKey
  }

  function materialiseException(master: StoredEvent, originalStart: number): StoredEvent {
    const id = occurrenceId(master.id, originalStart)
    const ex: StoredEvent = structuredClone({
      ...master,
      id,
      type: 'exception' as const,
      seriesMasterId: master.id,
      originalStart,
      start: originalStart,
      end: originalStart + (master.end - master.start),
      recurrence: null,
      transactionId: null,
      cancelledOccurrences: [],
    })
    ex.iCalUId = `${master.iCalUId}${originalStart}`
    events.set(id, ex)
    return ex
  }

  function updateEvent(userId: string, id: string, input: Record<string, unknown>): StoredEvent {
    const r = resolve(userId, id)
    if (Object.hasOwn(input, 'transactionId')) delete input.transactionId
    let ev = r.event
    if (r.occurrenceStart !== undefined) {
      if (Object.hasOwn(input, 'recurrence')) throw invalid('An occurrence cannot have a recurrence.')
      ev = materialiseException(r.event, r.occurrenceStart)
      applyInput(ev, input, false)
      touch(ev, true)
      emit(ev, 'updated')
      return ev
    }
    const before = { start: ev.start, end: ev.end, recurrence: JSON.stringify(ev.recurrence) }
    applyInput(ev, input, false)
    if (ev.type === 'singleInstance' && ev.recurrence) ev.type = 'seriesMaster'
    if (ev.type === 'seriesMaster' && !ev.recurrence) ev.type = 'singleInstance'
    const reshaped =
      before.start !== ev.start ||
      before.end !== ev.end ||
      before.recurrence !== JSON.stringify(ev.recurrence)
    if (ev.type !== 'exception' && reshaped) {
      // Outlook drops a series' exceptions and deleted occurrences when its times or pattern change.
      for (const ex of events.values()) {
        if (ex.seriesMasterId === ev.id && !ex.deleted) {
          ex.deleted = true
          touch(ex, true)
        }
      }
      ev.cancelledOccurrences = []
    }
    touch(ev, true)
    emit(ev, 'updated')
    return ev
  }

  function deleteEvent(userId: string, id: string): void {
    const r = resolve(userId, id)
    if (r.occurrenceStart !== undefined || r.event.type === 'exception') {
      const master = r.occurrenceStart !== undefined ? r.event : events.get(r.event.seriesMasterId ?? '')
      const start = r.occurrenceStart ?? r.event.originalStart
      if (r.event.type === 'exception') {
        r.event.deleted = true
        touch(r.event, true)
        emit(r.event, 'deleted')
      }
      if (master && start !== null) {
        master.cancelledOccurrences.push(start)
        touch(master, false)
        if (r.occurrenceStart !== undefined) emit(master, 'updated')
      }
      return
    }
    const ev = r.event
    ev.deleted = true
    touch(ev, true)
    for (const ex of events.values()) {
      if (ex.seriesMasterId === ev.id && !ex.deleted) {
        ex.deleted = true
        touch(ex, true)
      }
    }
    emit(ev, 'deleted')
  }

  /** Sets the owner's own response (accept / tentativelyAccept / decline) on an event or occurrence. */
  function respond(userId: string, id: string, response: ResponseType): StoredEvent {
    const r = resolve(userId, id)
    let ev = r.event
    if (r.occurrenceStart !== undefined) ev = materialiseException(r.event, r.occurrenceStart)
    ev.responseStatus = { response, time: graphTimestamp(opts.now()) }
    if (response === 'tentativelyAccepted') ev.showAs = 'tentative'
    touch(ev, true)
    emit(ev, 'updated')
    return ev
  }

  /** The organizer cancelled the meeting: attendees keep a cancelled copy (isCancelled) until they remove it. */
  function markCancelled(userId: string, id: string): StoredEvent {
    const r = resolve(userId, id)
    let ev = r.event
    if (r.occurrenceStart !== undefined) ev = materialiseException(r.event, r.occurrenceStart)
    ev.isCancelled = true
    if (!ev.subject.startsWith('Canceled: ')) ev.subject = `Canceled: ${ev.subject}`
    touch(ev, true)
    emit(ev, 'updated')
    return ev
  }

  /**
   * Singles, occurrences and exceptions of one calendar overlapping [from, to), by start time; with `seriesMasterId`,
   * only the occurrences and exceptions of that series.
   */
  function instances(
    userId: string,
    calendarId: string,
    from: number,
    to: number,
    seriesMasterId?: string,
  ): Instance[] {
    const out: Instance[] = []
    const overlaps = (s: number, e: number) => (e > s ? s < to && e > from : s >= from && s < to)
    for (const ev of events.values()) {
      if (ev.deleted || ev.userId !== userId || ev.calendarId !== calendarId) continue
      if (seriesMasterId !== undefined && ev.id !== seriesMasterId && ev.seriesMasterId !== seriesMasterId)
        continue
      if (ev.type === 'singleInstance' || ev.type === 'exception') {
        if (overlaps(ev.start, ev.end)) {
          out.push({
            id: ev.id,
            type: ev.type,
            event: ev,
            start: ev.start,
            end: ev.end,
            changeKey: ev.changeKey,
          })
        }
        continue
      }
      if (!ev.recurrence) continue
      const duration = ev.end - ev.start
      for (const start of expandRecurrence(ev.recurrence, ev.start, recurrenceZone(ev), to)) {
        if (!overlaps(start, start + duration) || ev.cancelledOccurrences.includes(start)) continue
        const id = occurrenceId(ev.id, start)
        if (events.get(id)?.deleted === false) continue
        out.push({ id, type: 'occurrence', event: ev, start, end: start + duration, changeKey: ev.seriesKey })
      }
    }
    return out.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))
  }

  /** Stored events of a user (optionally one calendar) written after `sinceSeq`, tombstones included. */
  function changedSince(userId: string, calendarId: string, sinceSeq: number): StoredEvent[] {
    return [...events.values()].filter(
      (e) => e.userId === userId && e.calendarId === calendarId && e.seq > sinceSeq,
    )
  }

  function listEvents(userId: string, calendarId: string | null): StoredEvent[] {
    return [...events.values()]
      .filter(
        (e) =>
          !e.deleted &&
          e.userId === userId &&
          e.type !== 'exception' &&
          (calendarId === null || e.calendarId === calendarId),
      )
      .sort((a, b) => a.created - b.created || a.id.localeCompare(b.id))
  }

  /** Events of a calendar (or all) carrying one extended property with one value ($filter ... /Any(ep: ...)). */
  function findByExtendedProperty(
    userId: string,
    calendarId: string | null,
    propertyId: string,
    value: string,
  ): StoredEvent[] {
    return listEvents(userId, calendarId).filter(
      (e) => e.extendedProperties[propertyId.toLowerCase()]?.value === value,
    )
  }

  function findByTransactionId(userId: string, transactionId: string): StoredEvent | undefined {
    for (const e of events.values()) if (e.userId === userId && e.transactionId === transactionId) return e
    return undefined
  }

  function clear() {
    users.clear()
    calendars.clear()
    events.clear()
    seq = 0
  }

  return {
    users,
    findUser,
    addUser,
    addCalendar,
    listCalendars,
    defaultCalendar,
    getCalendar,
    createEvent,
    /** What a create would store, without storing it (transactionId retries compare against it). */
    createEventProbe: (userId: string, calendarId: string, input: Record<string, unknown>) =>
      build(userId, calendarId, input, {}),
    updateEvent,
    deleteEvent,
    respond,
    markCancelled,
    resolve,
    changeKeyOf,
    instances,
    changedSince,
    listEvents,
    findByExtendedProperty,
    findByTransactionId,
    currentSeq: () => seq,
    clear,
  }
}

export interface RenderOptions {
  /** Zone label for start/end (Prefer: outlook.timezone); UTC when absent, as Graph does. */
  timeZone?: string
  webLinkBase?: string
  /** `$expand=singleValueExtendedProperties(...)`: the ids to show, `*` for every one. */
  extendedPropertyIds?: string[]
}

/** Graph's JSON for a stored event or a calendar-view instance. */
export function renderEvent(
  source: StoredEvent | Instance,
  opts: RenderOptions = {},
): Record<string, unknown> {
  const isInstance = 'event' in source
  const ev = isInstance ? source.event : source
  const id = source.id
  const type = isInstance ? source.type : ev.type
  const start = isInstance ? source.start : ev.start
  const end = isInstance ? source.end : ev.end
  const changeKey = isInstance ? source.changeKey : ev.changeKey
  const tz = opts.timeZone ?? 'UTC'
  const allDay = (ms: number, zone: string) => ({
    dateTime: `${DateTime.fromMillis(ms, { zone: resolveZone(zone) ?? 'UTC' }).toFormat('yyyy-MM-dd')}T00:00:00.0000000`,
    timeZone: tz,
  })
  const text = ev.body.contentType === 'html' ? ev.body.content.replace(/<[^>]*>/g, '') : ev.body.content
  return {
    '@odata.etag': `W/"${changeKey}"`,
    id,
    createdDateTime: graphTimestamp(ev.created),
    lastModifiedDateTime: graphTimestamp(ev.lastModified),
    changeKey,
    categories: ev.categories,
    ...(ev.transactionId !== null && type !== 'occurrence' ? { transactionId: ev.transactionId } : {}),
    originalStartTimeZone: ev.startZone,
    originalEndTimeZone: ev.endZone,
    iCalUId: type === 'occurrence' ? `${ev.iCalUId}${start}` : ev.iCalUId,
    reminderMinutesBeforeStart: ev.reminderMinutesBeforeStart,
    isReminderOn: ev.isReminderOn,
    hasAttachments: false,
    subject: ev.subject,
    bodyPreview: text.slice(0, 255),
    importance: ev.importance,
    sensitivity: ev.sensitivity,
    isAllDay: ev.isAllDay,
    isCancelled: ev.isCancelled,
    isOrganizer: ev.isOrganizer,
    responseRequested: true,
    seriesMasterId: type === 'occurrence' ? ev.id : ev.seriesMasterId,
    showAs: ev.showAs,
    type,
    webLink: `${opts.webLinkBase ?? 'https://outlook.office365.com/owa/'}?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: null,
    isOnlineMeeting: false,
    onlineMeetingProvider: 'unknown',
    allowNewTimeProposals: true,
    isDraft: false,
    hideAttendees: false,
    responseStatus: ev.responseStatus,
    body: ev.body,
    start: ev.isAllDay ? allDay(start, ev.startZone) : toDateTimeTimeZone(start, tz),
    end: ev.isAllDay ? allDay(end, ev.endZone) : toDateTimeTimeZone(end, tz),
    location: {
      displayName: ev.location.displayName,
      locationType: 'default',
      uniqueIdType: ev.location.displayName ? 'private' : 'unknown',
      address: {},
      coordinates: {},
    },
    locations: ev.location.displayName
      ? [{ displayName: ev.location.displayName, locationType: 'default' }]
      : [],
    recurrence: type === 'seriesMaster' ? ev.recurrence : null,
    attendees: ev.attendees,
    organizer: ev.organizer,
    onlineMeeting: null,
    ...(opts.extendedPropertyIds
      ? {
          singleValueExtendedProperties: Object.values(ev.extendedProperties).filter(
            (p) =>
              opts.extendedPropertyIds?.includes('*') ||
              opts.extendedPropertyIds?.some((id) => id.toLowerCase() === p.id.toLowerCase()),
          ),
        }
      : {}),
  }
}

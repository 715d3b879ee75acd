// The provider port's contract, run against both adapters through the emulators and the official client libraries.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type CalendarSession,
  type ChangeSet,
  ProviderError,
  type ProviderName,
  syncWindow,
} from '../../../src/sync/provider.js'
import {
  type Emulators,
  faultsOf,
  GOOGLE_USER,
  type OwnerHands,
  ownerHands,
  startEmulators,
  tunedProviders,
} from './harness.js'

const NOW = new Date('2026-06-01T08:00:00Z')
const window = syncWindow(NOW)
const input = (cursor: string | null) => ({ cursor, window, fallbackTimeZone: 'Europe/Berlin' })

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p
  } catch (err) {
    if (err instanceof ProviderError) return err
    throw err
  }
  throw new Error('expected a ProviderError')
}

const draft = (hour: number) => ({
  title: 'Intro call with Ana',
  description: 'Booked through officehours',
  start: new Date(`2026-06-09T${String(hour).padStart(2, '0')}:00:00Z`),
  end: new Date(`2026-06-09T${String(hour).padStart(2, '0')}:30:00Z`),
  timeZone: 'Europe/Berlin',
  attendees: [{ email: 'ana@partner.example', name: 'Ana' }],
})

describe.each<ProviderName>(['google', 'microsoft'])('provider port contract: %s', (provider) => {
  let em: Emulators
  let owner: OwnerHands
  let session: CalendarSession
  let calendarId: string
  let token: string

  beforeAll(async () => {
    em = await startEmulators()
    owner = ownerHands(em, provider)
    const providers = tunedProviders(em.config)
    token =
      provider === 'google'
        ? em.google.oauth.issueTokens({ userEmail: GOOGLE_USER }).access_token
        : em.microsoft.issueTokens({ clientId: 'officehours-sandbox' }).access_token
    session = providers[provider].session(async () => token)
    calendarId = owner.primaryCalendarId()
  })
  afterAll(() => em?.close())
  beforeEach(() => {
    em.google.faults.clear()
    em.microsoft.faults.clear()
  })

  it('lists calendars with the primary one first-class', async () => {
    owner.addCalendar('Holidays')
    const calendars = await session.listCalendars()
    expect(calendars.filter((c) => c.primary).map((c) => c.id)).toEqual([calendarId])
    expect(calendars.map((c) => c.name)).toContain('Holidays')
    for (const c of calendars) expect(c.canWrite).toBe(true)
  })

  it('a full sync then incremental syncs deliver each change exactly once across pages', async () => {
    const made = Array.from({ length: 7 }, (_, i) =>
      owner.createEvent(
        `2026-06-0${2 + (i % 4)}T0${6 + (i % 3)}:00:00Z`,
        `2026-06-0${2 + (i % 4)}T0${6 + (i % 3)}:45:00Z`,
      ),
    )
    // Page size 3: the 7 events come over several pages.
    const full = await session.fetchChanges(calendarId, input(null))
    expect(full.full).toBe(true)
    expect(full.events.map((e) => e.providerEventId).sort()).toEqual([...made].sort())
    expect(full.deletedIds).toEqual([])
    const first = full.events.find((e) => e.providerEventId === made[0])
    expect(first).toMatchObject({
      status: 'confirmed',
      showAs: 'busy',
      allDay: false,
      responseStatus: 'organizer',
    })
    expect(first?.etag).toBeTruthy()

    owner.moveEvent(made[1]!, '2026-06-06T10:00:00Z', '2026-06-06T11:00:00Z')
    owner.deleteEvent(made[2]!)
    const added = owner.createEvent('2026-06-07T10:00:00Z', '2026-06-07T10:30:00Z')
    const next = await session.fetchChanges(calendarId, input(full.cursor))
    expect(next.full).toBe(false)
    expect(next.events.map((e) => e.providerEventId).sort()).toEqual([made[1]!, added].sort())
    expect(next.events.find((e) => e.providerEventId === made[1])?.start).toEqual(
      new Date('2026-06-06T10:00:00Z'),
    )
    expect(next.deletedIds).toEqual([made[2]])

    const quiet = await session.fetchChanges(calendarId, input(next.cursor))
    expect(quiet.events).toEqual([])
    expect(quiet.deletedIds).toEqual([])
  })

  it('expands a recurring series into instances inside the window', async () => {
    const base = await session.fetchChanges(calendarId, input(null))
    if (provider === 'google') {
      em.google.owner.createEvent(GOOGLE_USER, {
        summary: 'Standup',
        start: { dateTime: '2026-06-15T09:00:00', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2026-06-15T09:15:00', timeZone: 'Europe/Berlin' },
        recurrence: ['RRULE:FREQ=DAILY;COUNT=3'],
      })
    } else {
      em.microsoft.createEvent({
        subject: 'Standup',
        start: { dateTime: '2026-06-15T09:00:00', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2026-06-15T09:15:00', timeZone: 'Europe/Berlin' },
        recurrence: {
          pattern: { type: 'daily', interval: 1 },
          range: { type: 'numbered', startDate: '2026-06-15', numberOfOccurrences: 3 },
        },
      })
    }
    const changes: ChangeSet = await session.fetchChanges(calendarId, input(base.cursor))
    const instances = changes.events.filter((e) => e.recurringEventId !== null)
    expect(instances.map((e) => e.start.toISOString()).sort()).toEqual([
      '2026-06-15T07:00:00.000Z',
      '2026-06-16T07:00:00.000Z',
      '2026-06-17T07:00:00.000Z',
    ])
    expect(new Set(instances.map((e) => e.recurringEventId)).size).toBe(1)
  })

  it('an expired cursor is cursor_expired (the engine’s one path to a full resync)', async () => {
    const { cursor } = await session.fetchChanges(calendarId, input(null))
    owner.invalidateCursors()
    const err = await failure(session.fetchChanges(calendarId, input(cursor)))
    expect(err.reason).toBe('cursor_expired')
    expect(err.provider).toBe(provider)
  })

  it('429 with Retry-After, after the client library’s own retries, is rate_limited with the wait', async () => {
    const route = provider === 'google' ? 'events.list' : 'delta'
    const rule = { route, status: 429, count: 10, retryAfterSeconds: 1 }
    faultsOf(em, provider).add(rule)
    const err = await failure(session.fetchChanges(calendarId, input(null)))
    expect(err.reason).toBe('rate_limited')
    expect(err.details.retryAfterSeconds).toBe(1)
    const attempts =
      provider === 'google'
        ? em.google.requests.list({ route }).length
        : em.microsoft.requestLog.list({ route }).length
    expect(attempts).toBeGreaterThan(1)
  })

  it('a rejected token is auth; an unknown event is not_found', async () => {
    const providers = tunedProviders(em.config)
    const bad = providers[provider].session(async () => 'not-a-token')
    expect((await failure(bad.listCalendars())).reason).toBe('auth')
    expect((await failure(session.updateEvent(calendarId, 'missing0000id', draft(9)))).reason).toBe(
      'not_found',
    )
  })

  it('writes, updates and deletes an event idempotently', async () => {
    const before = await session.fetchChanges(calendarId, input(null))
    const one = await session.insertEvent(calendarId, 'booking-0196a1', draft(9))
    // A retry after a crash (same key): the same event, not a second one.
    const two = await session.insertEvent(calendarId, 'booking-0196a1', draft(9))
    expect(two.providerEventId).toBe(one.providerEventId)
    let changes = await session.fetchChanges(calendarId, input(before.cursor))
    expect(changes.events.map((e) => e.providerEventId)).toEqual([one.providerEventId])

    const moved = await session.updateEvent(calendarId, one.providerEventId, draft(11))
    expect(moved.etag).not.toBe(one.etag)
    // One event read on its own, as it is now (what a booking's event reported removed is checked with).
    expect(await session.getEvent(calendarId, one.providerEventId, 'UTC')).toMatchObject({
      providerEventId: one.providerEventId,
      start: new Date('2026-06-09T11:00:00Z'),
    })
    changes = await session.fetchChanges(calendarId, input(changes.cursor))
    expect(changes.events[0]?.start).toEqual(new Date('2026-06-09T11:00:00Z'))

    await session.deleteEvent(calendarId, one.providerEventId)
    await session.deleteEvent(calendarId, one.providerEventId)
    expect(await session.getEvent(calendarId, one.providerEventId, 'UTC')).toBeNull()
    changes = await session.fetchChanges(calendarId, input(changes.cursor))
    expect(changes.deletedIds).toEqual([one.providerEventId])
  })
})

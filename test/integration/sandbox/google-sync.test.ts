// Contract: events.list paging and sync tokens of the Google emulator through @googleapis/calendar.
import type { calendar_v3 } from '@googleapis/calendar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GoogleEmulator } from '../../../src/sandbox/google/index.js'
import { failure, signedIn, startGoogle, timed } from './google-harness.js'

let g: GoogleEmulator

beforeAll(async () => {
  g = await startGoogle()
})
afterAll(async () => {
  await g.close()
})

interface SyncResult {
  items: calendar_v3.Schema$Event[]
  pages: number
  syncToken: string
}

/** Pages through a listing the way a sync engine does, checking that only the last page has nextSyncToken. */
async function pageAll(
  cal: calendar_v3.Calendar,
  params: calendar_v3.Params$Resource$Events$List,
): Promise<SyncResult> {
  const items: calendar_v3.Schema$Event[] = []
  let pageToken: string | undefined
  let pages = 0
  for (;;) {
    const res = await cal.events.list({ ...params, ...(pageToken ? { pageToken } : {}) })
    pages++
    items.push(...(res.data.items ?? []))
    if (res.data.nextPageToken) {
      expect(res.data.nextSyncToken).toBeUndefined()
      pageToken = res.data.nextPageToken
      continue
    }
    expect(res.data.nextSyncToken).toBeTruthy()
    return { items, pages, syncToken: res.data.nextSyncToken as string }
  }
}

describe('Google events.list and sync tokens', () => {
  it('does a paged full sync, then incremental syncs that carry creates, moves and deletes exactly once', async () => {
    const email = 'sync-a@sandbox.test'
    const { cal } = signedIn(g, email)
    const created: string[] = []
    for (let i = 0; i < 7; i++) {
      const res = await cal.events.insert({ calendarId: 'primary', requestBody: timed(`Meeting ${i}`, i, 9) })
      created.push(res.data.id as string)
    }
    const full = await pageAll(cal, { calendarId: 'primary', maxResults: 3 })
    expect(full.pages).toBe(3)
    expect(full.items.map((e) => e.id).sort()).toEqual([...created].sort())

    // The owner changes the calendar in the Calendar app; the app changes it through the API.
    const added = g.owner.createEvent(email, timed('Added by owner', 8, 11))
    g.owner.updateEvent(email, created[1] as string, timed('Meeting 1 (moved)', 9, 15))
    g.owner.deleteEvent(email, created[2] as string)
    await cal.events.delete({ calendarId: 'primary', eventId: created[3] as string })
    const viaApi = await cal.events.insert({
      calendarId: 'primary',
      requestBody: timed('Added via API', 10, 9),
    })

    const inc = await pageAll(cal, { calendarId: 'primary', syncToken: full.syncToken, maxResults: 2 })
    expect(inc.pages).toBe(3)
    const ids = inc.items.map((e) => e.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual([added['id'], created[1], created[2], created[3], viaApi.data.id].sort())
    const byId = new Map(inc.items.map((e) => [e.id, e]))
    expect(byId.get(created[1])?.start?.dateTime).toBe('2031-03-12T15:00:00+01:00')
    expect(byId.get(created[1])?.summary).toBe('Meeting 1 (moved)')
    // Deletions come as cancelled stubs where only the id is guaranteed (providers.md A1).
    expect(byId.get(created[2])).toMatchObject({ id: created[2], status: 'cancelled' })
    expect(byId.get(created[2])?.summary).toBeUndefined()
    expect(byId.get(created[3])?.status).toBe('cancelled')

    const quiet = await pageAll(cal, { calendarId: 'primary', syncToken: inc.syncToken })
    expect(quiet.items).toEqual([])
    expect(quiet.pages).toBe(1)
  })

  it('keeps a paged listing consistent when the calendar changes between pages', async () => {
    const email = 'sync-b@sandbox.test'
    const { cal } = signedIn(g, email)
    for (let i = 0; i < 4; i++)
      await cal.events.insert({ calendarId: 'primary', requestBody: timed(`E${i}`, i, 9) })
    const first = await cal.events.list({ calendarId: 'primary', maxResults: 2 })
    const late = g.owner.createEvent(email, timed('Late', 0, 7))
    const rest = await pageAll(cal, {
      calendarId: 'primary',
      maxResults: 2,
      pageToken: first.data.nextPageToken as string,
    })
    const seen = [...(first.data.items ?? []), ...rest.items].map((e) => e.summary)
    expect(seen.sort()).toEqual(['E0', 'E1', 'E2', 'E3'])
    // The change made during paging arrives with the next incremental sync.
    const next = await pageAll(cal, { calendarId: 'primary', syncToken: rest.syncToken })
    expect(next.items.map((e) => e.id)).toEqual([late['id']])
  })

  it('answers 410 fullSyncRequired with Google body once tokens are invalidated on demand', async () => {
    const email = 'sync-c@sandbox.test'
    const { cal } = signedIn(g, email)
    await cal.events.insert({ calendarId: 'primary', requestBody: timed('One', 0, 9) })
    const full = await pageAll(cal, { calendarId: 'primary' })
    g.sync.invalidateTokens(email)
    const gone = await failure(cal.events.list({ calendarId: 'primary', syncToken: full.syncToken }))
    expect(gone.status).toBe(410)
    expect(gone.data).toEqual({
      error: {
        errors: [
          {
            domain: 'calendar',
            reason: 'fullSyncRequired',
            message: 'Sync token is no longer valid, a full sync is required.',
            locationType: 'parameter',
            location: 'syncToken',
          },
        ],
        code: 410,
        message: 'Sync token is no longer valid, a full sync is required.',
      },
    })
    // A new full sync gives a working token again.
    const again = await pageAll(cal, { calendarId: 'primary' })
    expect((await cal.events.list({ calendarId: 'primary', syncToken: again.syncToken })).status).toBe(200)
  })

  it('rejects with 400 the parameters Google forbids together with syncToken', async () => {
    const { cal } = signedIn(g, 'sync-d@sandbox.test')
    const { syncToken } = await pageAll(cal, { calendarId: 'primary' })
    const forbidden: Array<calendar_v3.Params$Resource$Events$List> = [
      { timeMin: '2031-01-01T00:00:00Z' },
      { timeMax: '2031-01-01T00:00:00Z' },
      { updatedMin: new Date().toISOString() },
      { orderBy: 'updated' },
      { q: 'meeting' },
      { iCalUID: 'x@google.com' },
      { privateExtendedProperty: ['k=v'] },
      { sharedExtendedProperty: ['k=v'] },
    ]
    for (const extra of forbidden) {
      const res = await failure(cal.events.list({ calendarId: 'primary', syncToken, ...extra }))
      expect(res.status).toBe(400)
      expect(res.api.error.errors[0]).toMatchObject({
        domain: 'global',
        reason: 'invalid',
        location: Object.keys(extra)[0],
      })
    }
  })

  it('syncs expanded instances: a cancelled occurrence arrives as a stub with recurringEventId and originalStartTime', async () => {
    const email = 'sync-e@sandbox.test'
    const { cal } = signedIn(g, email)
    const series = await cal.events.insert({
      calendarId: 'primary',
      requestBody: { ...timed('Weekly', 0, 10, 30), recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4'] },
    })
    const full = await pageAll(cal, { calendarId: 'primary', singleEvents: true, maxResults: 3 })
    expect(full.items).toHaveLength(4)
    expect(full.items.every((e) => e.recurringEventId === series.data.id)).toBe(true)
    const second = full.items.find((e) => e.originalStartTime?.dateTime === '2031-03-10T10:00:00+01:00')
    expect(second?.id).toBe(`${series.data.id}_20310310T090000Z`)

    g.owner.deleteEvent(email, second?.id as string)
    const inc = await pageAll(cal, { calendarId: 'primary', singleEvents: true, syncToken: full.syncToken })
    expect(inc.items).toEqual([
      {
        kind: 'calendar#event',
        etag: expect.any(String),
        id: second?.id,
        status: 'cancelled',
        recurringEventId: series.data.id,
        originalStartTime: { dateTime: '2031-03-10T10:00:00+01:00', timeZone: 'Europe/Berlin' },
      },
    ])
    const live = await cal.events.list({ calendarId: 'primary', singleEvents: true })
    expect(live.data.items).toHaveLength(3)
  })

  it('a series moved out of the window of a sync token: its master is listed without singleEvents, nothing with them', async () => {
    const email = 'sync-g@sandbox.test'
    const { cal } = signedIn(g, email)
    const series = await cal.events.insert({
      calendarId: 'primary',
      requestBody: { ...timed('Daily', 0, 10), recurrence: ['RRULE:FREQ=DAILY;COUNT=3'] },
    })
    const seriesId = series.data.id as string
    const window = { timeMin: '2031-03-01T00:00:00Z', timeMax: '2031-04-01T00:00:00Z' }
    const expanded = await pageAll(cal, { calendarId: 'primary', singleEvents: true, ...window })
    expect(expanded.items.map((e) => e.id)).toEqual([
      `${seriesId}_20310303T090000Z`,
      `${seriesId}_20310304T090000Z`,
      `${seriesId}_20310305T090000Z`,
    ])
    const masters = await pageAll(cal, { calendarId: 'primary', singleEvents: false, ...window })
    expect(masters.items.map((e) => [e.id, e.recurrence])).toEqual([[seriesId, ['RRULE:FREQ=DAILY;COUNT=3']]])

    // The owner moves the series to May: none of its instances is in the window of either token any more.
    g.owner.updateEvent(email, seriesId, timed('Daily', 60, 10))
    // Expanded, the round shows instances inside the token's window only (providers.md A1: the token remembers
    // it), and says nothing of the old ones: the change cannot be seen at all.
    const quiet = await pageAll(cal, {
      calendarId: 'primary',
      singleEvents: true,
      syncToken: expanded.syncToken,
    })
    expect(quiet.items).toEqual([])
    // Not expanded, the changed master is listed, wherever its instances now fall.
    const changed = await pageAll(cal, { calendarId: 'primary', syncToken: masters.syncToken })
    expect(changed.items.map((e) => [e.id, e.start?.dateTime])).toEqual([
      [seriesId, '2031-05-02T11:00:00+02:00'],
    ])
    const now = await cal.events.instances({ calendarId: 'primary', eventId: seriesId, ...window })
    expect(now.data.items).toEqual([])
  })

  it('filters by time window and showDeleted, and orders by start time', async () => {
    const email = 'sync-f@sandbox.test'
    const { cal } = signedIn(g, email)
    const a = await cal.events.insert({ calendarId: 'primary', requestBody: timed('A', 2, 9) })
    await cal.events.insert({ calendarId: 'primary', requestBody: timed('B', 0, 9) })
    await cal.events.insert({ calendarId: 'primary', requestBody: timed('C', 5, 9) })
    await cal.events.delete({ calendarId: 'primary', eventId: a.data.id as string })

    const window = await cal.events.list({
      calendarId: 'primary',
      singleEvents: true,
      orderBy: 'startTime',
      timeMin: '2031-03-03T00:00:00Z',
      timeMax: '2031-03-07T00:00:00Z',
    })
    expect(window.data.items?.map((e) => e.summary)).toEqual(['B'])
    const withDeleted = await cal.events.list({
      calendarId: 'primary',
      showDeleted: true,
      orderBy: 'updated',
    })
    expect(withDeleted.data.items?.map((e) => e.status)).toEqual(['confirmed', 'confirmed', 'cancelled'])

    const empty = await failure(
      cal.events.list({
        calendarId: 'primary',
        timeMin: '2031-03-07T00:00:00Z',
        timeMax: '2031-03-03T00:00:00Z',
      }),
    )
    expect(empty.status).toBe(400)
    expect(empty.api.error.errors[0]?.reason).toBe('timeRangeEmpty')
    const noOffset = await failure(cal.events.list({ calendarId: 'primary', timeMin: '2031-03-07T00:00:00' }))
    expect(noOffset.status).toBe(400)
  })
})

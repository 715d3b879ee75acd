// GET /v1/availability, /v1/availability/explain and /v1/clients/{id}/busy on a real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AccountClient, createTestApp, type TestApp } from '../../helpers/app.js'
import { connectCalendar, type TestCalendar } from '../../helpers/calendars.js'
import { assistantBody, clientBody, contactBody, meetingTypeBody } from '../../helpers/factories.js'

// Monday 2026-06-01 08:00Z = 10:00 in Berlin (CEST, UTC+2) and 09:00 in Lisbon (WEST, UTC+1).
let t: TestApp
let account: AccountClient
let assistantId: string
let clientId: string
let meetingTypeId: string
let clientCalendar: TestCalendar
const MONDAY = 'from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z'

const starts = (body: { slots: { start: string }[] }) => body.slots.map((s) => s.start.slice(11, 16))

beforeAll(async () => {
  t = await createTestApp({ now: '2026-06-01T08:00:00Z' })
  account = await t.createAccount()
  assistantId = (
    await account.post(
      '/v1/assistants',
      assistantBody({
        timeZone: 'Europe/Lisbon',
        officeHours: {
          weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '16:00' }],
        },
      }),
    )
  ).body.id
  clientId = (await account.post('/v1/clients', clientBody(assistantId, { timeZone: 'Europe/Berlin' }))).body
    .id
  meetingTypeId = (await account.post('/v1/meeting-types', meetingTypeBody(clientId))).body.id
  clientCalendar = await connectCalendar(t, account.accountId, { type: 'client', id: clientId })
})
afterAll(() => t.close())

describe('GET /v1/availability', () => {
  it('offers 30-minute slots every 15 minutes inside both schedules, after the notice', async () => {
    const res = await account.get(`/v1/availability?meetingTypeId=${meetingTypeId}&${MONDAY}`)
    expect(res.status).toBe(200)
    // Berlin 09:00–17:00 = 07:00Z–15:00Z; the 60-minute notice from 08:00Z moves the first start to 09:00Z.
    expect(starts(res.body)[0]).toBe('09:00')
    expect(starts(res.body).at(-1)).toBe('14:30')
    expect(res.body.slots).toHaveLength(23)
    expect(res.body.slots[0]).toEqual({ start: '2026-06-01T09:00:00.000Z', end: '2026-06-01T09:30:00.000Z' })
    expect(res.body.calendars).toEqual([
      {
        connectionId: clientCalendar.connectionId,
        calendarId: clientCalendar.calendarId,
        syncedAt: '2026-06-01T07:59:00.000Z',
      },
    ])
  })

  it('removes slots overlapping a busy event, and ignores events that are not busy (SPEC 1.2)', async () => {
    await clientCalendar.addEvents([
      { start: '2026-06-02T10:00:00Z', end: '2026-06-02T11:00:00Z' },
      { start: '2026-06-02T11:00:00Z', end: '2026-06-02T12:00:00Z', status: 'cancelled' },
      { start: '2026-06-02T12:00:00Z', end: '2026-06-02T13:00:00Z', showAs: 'free' },
      { start: '2026-06-02T12:00:00Z', end: '2026-06-02T13:00:00Z', showAs: 'working_elsewhere' },
      { start: '2026-06-02T13:00:00Z', end: '2026-06-02T14:00:00Z', responseStatus: 'declined' },
      {
        start: '2026-06-02T14:00:00Z',
        end: '2026-06-02T14:15:00Z',
        status: 'tentative',
        showAs: 'tentative',
      },
    ])
    const res = await account.get(
      `/v1/availability?meetingTypeId=${meetingTypeId}&from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z`,
    )
    const got = starts(res.body)
    for (const blocked of ['09:45', '10:00', '10:30', '10:45', '13:45', '14:00'])
      expect(got).not.toContain(blocked)
    for (const free of ['09:30', '11:00', '11:30', '12:00', '12:30', '13:00', '13:30', '14:15', '14:30'])
      expect(got).toContain(free)
  })

  it('an all-day busy event blocks the whole day', async () => {
    await clientCalendar.addEvents([
      { start: '2026-06-03T00:00:00+02:00', end: '2026-06-04T00:00:00+02:00', allDay: true },
    ])
    const res = await account.get(
      `/v1/availability?meetingTypeId=${meetingTypeId}&from=2026-06-03T00:00:00Z&to=2026-06-04T00:00:00Z`,
    )
    expect(res.body.slots).toEqual([])
  })

  it('ignores calendars not marked busy and the assistant’s calendar when only the client hosts', async () => {
    const other = await connectCalendar(
      t,
      account.accountId,
      { type: 'client', id: clientId },
      { isBusy: false },
    )
    await other.addEvents([{ start: '2026-06-04T07:00:00Z', end: '2026-06-04T15:00:00Z' }])
    const assistantCal = await connectCalendar(t, account.accountId, { type: 'assistant', id: assistantId })
    await assistantCal.addEvents([{ start: '2026-06-04T07:00:00Z', end: '2026-06-04T15:00:00Z' }])
    const res = await account.get(
      `/v1/availability?meetingTypeId=${meetingTypeId}&from=2026-06-04T00:00:00Z&to=2026-06-05T00:00:00Z`,
    )
    // Thursday, no notice in the way: 07:00Z–15:00Z holds 31 starts.
    expect(res.body.slots).toHaveLength(31)

    // With hosts "both", the assistant's busy day removes everything.
    const both = (await account.post('/v1/meeting-types', meetingTypeBody(clientId, { hosts: 'both' }))).body
      .id
    const res2 = await account.get(
      `/v1/availability?meetingTypeId=${both}&from=2026-06-04T00:00:00Z&to=2026-06-05T00:00:00Z`,
    )
    expect(res2.body.slots).toEqual([])
    expect(res2.body.calendars.map((c: { connectionId: string }) => c.connectionId)).toContain(
      assistantCal.connectionId,
    )
  })

  it('applies contact hours in the contact’s zone, by contact id or by zone', async () => {
    const mt = (
      await account.post(
        '/v1/meeting-types',
        meetingTypeBody(clientId, { contactHours: { start: '08:00', end: '20:00' } }),
      )
    ).body.id
    // New York 08:00 EDT = 12:00Z: only 12:00Z–15:00Z of the client's day remains.
    const byZone = await account.get(
      `/v1/availability?meetingTypeId=${mt}&${MONDAY}&contactTimeZone=America/New_York`,
    )
    expect(starts(byZone.body)[0]).toBe('12:00')
    expect(byZone.body.slots).toHaveLength(11)
    const contact = (
      await account.post(`/v1/clients/${clientId}/contacts`, contactBody({ timeZone: 'America/New_York' }))
    ).body.id
    const byId = await account.get(`/v1/availability?meetingTypeId=${mt}&${MONDAY}&contactId=${contact}`)
    expect(byId.body.slots).toEqual(byZone.body.slots)
    const without = await account.get(`/v1/availability?meetingTypeId=${mt}&${MONDAY}`)
    expect(without.body.slots).toHaveLength(23)
  })

  it('follows the clocks through a DST change on the client’s side', async () => {
    const dst = await createTestApp({ now: '2026-03-01T00:00:00Z' })
    try {
      const acct = await dst.createAccount()
      const ny = { timeZone: 'America/New_York' }
      const a = (await acct.post('/v1/assistants', assistantBody(ny))).body.id
      const c = (await acct.post('/v1/clients', clientBody(a, ny))).body.id
      const mt = (
        await acct.post(
          '/v1/meeting-types',
          meetingTypeBody(c, { durationMinutes: 60, slotIntervalMinutes: 60 }),
        )
      ).body.id
      const res = await acct.get(
        `/v1/availability?meetingTypeId=${mt}&from=2026-03-06T00:00:00Z&to=2026-03-10T00:00:00Z`,
      )
      const byDay: Record<string, { start: string }[]> = {}
      for (const slot of res.body.slots as { start: string }[]) {
        const day = slot.start.slice(0, 10)
        byDay[day] = [...(byDay[day] ?? []), slot]
      }
      // Friday 09:00 EST = 14:00Z; Monday after the spring-forward, 09:00 EDT = 13:00Z; 8 slots each day.
      expect(byDay['2026-03-06']?.map((s) => s.start.slice(11, 16))).toEqual([
        '14:00',
        '15:00',
        '16:00',
        '17:00',
        '18:00',
        '19:00',
        '20:00',
        '21:00',
      ])
      expect(byDay['2026-03-09']?.map((s) => s.start.slice(11, 16))).toEqual([
        '13:00',
        '14:00',
        '15:00',
        '16:00',
        '17:00',
        '18:00',
        '19:00',
        '20:00',
      ])
      expect(Object.keys(byDay)).toEqual(['2026-03-06', '2026-03-09'])
    } finally {
      await dst.close()
    }
  })

  it('rejects bad windows, zones and references with a pointer', async () => {
    const base = `/v1/availability?meetingTypeId=${meetingTypeId}`
    const cases: [string, string][] = [
      [`${base}&from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z`, '/query/to'],
      [`${base}&from=2026-06-01T00:00:00Z&to=2026-08-03T00:00:00Z`, '/query/to'],
      [`${base}&from=yesterday&to=2026-06-01T00:00:00Z`, '/query/from'],
      [`${base}&${MONDAY}&contactTimeZone=Nowhere/Land`, '/query/contactTimeZone'],
      [`${base}&${MONDAY}&contactTimeZone=UTC&contactId=${meetingTypeId}`, '/query/contactTimeZone'],
      [`${base}&${MONDAY}&contactId=${meetingTypeId}`, '/query/contactId'],
      [`/v1/availability?${MONDAY}`, '/query/meetingTypeId'],
    ]
    for (const [url, pointer] of cases) {
      const res = await account.get(url)
      expect(res.status, url).toBe(400)
      expect(
        res.body.errors.map((e: { pointer: string }) => e.pointer),
        url,
      ).toContain(pointer)
    }
    // Exactly 62 days is allowed.
    expect((await account.get(`${base}&from=2026-06-01T00:00:00Z&to=2026-08-02T00:00:00Z`)).status).toBe(200)
  })

  it('another account’s meeting type is a 404, and its busy data never leaks', async () => {
    const other = await t.createAccount()
    const res = await other.get(`/v1/availability?meetingTypeId=${meetingTypeId}&${MONDAY}`)
    expect(res.status).toBe(404)
    expect(
      (await other.get(`/v1/availability/explain?meetingTypeId=${meetingTypeId}&start=2026-06-01T10:00:00Z`))
        .status,
    ).toBe(404)
    expect((await other.get(`/v1/clients/${clientId}/busy?${MONDAY}`)).status).toBe(404)
  })
})

describe('GET /v1/availability/explain', () => {
  const explain = (start: string, extra = '') =>
    account.get(`/v1/availability/explain?meetingTypeId=${meetingTypeId}&start=${start}${extra}`)

  it('says a free slot is available', async () => {
    expect((await explain('2026-06-01T09:00:00Z')).body).toEqual({ available: true, reasons: [] })
  })

  it('names the busy event by connection and range, never by title', async () => {
    const res = await explain('2026-06-02T10:00:00Z')
    expect(res.body.available).toBe(false)
    expect(res.body.reasons).toEqual([
      expect.objectContaining({
        code: 'calendar_busy',
        connectionId: clientCalendar.connectionId,
        calendarId: clientCalendar.calendarId,
        start: '2026-06-02T10:00:00.000Z',
        end: '2026-06-02T11:00:00.000Z',
      }),
    ])
  })

  it('lists every failing rule with its code', async () => {
    const codes = async (start: string, extra = '') =>
      (await explain(start, extra)).body.reasons.map((r: { code: string }) => r.code).sort()
    expect(await codes('2026-06-01T08:00:00Z')).toEqual(['minimum_notice'])
    expect(await codes('2026-06-01T09:05:00Z')).toEqual(['misaligned'])
    expect(await codes('2026-06-06T10:00:00Z')).toEqual(['outside_business_hours', 'outside_office_hours'])
    expect(await codes('2026-09-01T10:00:00Z')).toEqual(['beyond_horizon'])
    expect(await codes('2026-06-01T09:00:00Z', '&contactTimeZone=Asia/Tokyo')).toEqual([])
  })
})

describe('GET /v1/clients/{id}/busy', () => {
  it('returns merged busy intervals clipped to the window, without titles', async () => {
    const res = await account.get(
      `/v1/clients/${clientId}/busy?from=2026-06-02T10:30:00Z&to=2026-06-02T14:10:00Z`,
    )
    expect(res.status).toBe(200)
    expect(res.body.busy).toEqual([
      { start: '2026-06-02T10:30:00.000Z', end: '2026-06-02T11:00:00.000Z' },
      { start: '2026-06-02T14:00:00.000Z', end: '2026-06-02T14:10:00.000Z' },
    ])
    expect(Object.keys(res.body.busy[0]).sort()).toEqual(['end', 'start'])
  })
})

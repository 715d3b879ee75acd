// Calendar connections end to end, for both providers through the emulators: OAuth, import, sync, refresh, delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProviderName } from '../../../src/sync/provider.js'
import type { AccountClient, TestApp } from '../../helpers/app.js'
import { meetingTypeBody } from '../../helpers/factories.js'
import {
  busyOf,
  connectThroughOAuth,
  createPeople,
  createTestApp,
  type Emulators,
  type OwnerHands,
  ownerHands,
  type People,
  startEmulators,
  tunedProviders,
} from '../sync/harness.js'

// The app's clock: Monday 2026-06-01 08:00Z. Events are placed around it.
const FROM = '2026-06-01T00:00:00Z'
const TO = '2026-06-08T00:00:00Z'

describe.each<ProviderName>(['google', 'microsoft'])('%s calendar connection', (provider) => {
  let em: Emulators
  let t: TestApp
  let account: AccountClient
  let people: People
  let owner: OwnerHands
  let connectionId: string
  const reauth: string[] = []
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    em = await startEmulators()
    t = await createTestApp({
      config: em.config,
      overrides: {
        providers: tunedProviders(em.config),
        hooks: { onReauthRequired: (e) => void reauth.push(e.connectionId) },
      },
    })
    account = await t.createAccount()
    people = await createPeople(account)
    owner = ownerHands(em, provider)
    // Before connecting: a meeting Tuesday 10:00–11:00 Berlin, one in the past window, an all-day offsite.
    ids.tuesday = owner.createEvent('2026-06-02T08:00:00Z', '2026-06-02T09:00:00Z')
    ids.wednesday = owner.createEvent('2026-06-03T12:00:00Z', '2026-06-03T13:00:00Z')
    for (let i = 0; i < 6; i++) owner.createEvent(`2026-06-1${i}T06:00:00Z`, `2026-06-1${i}T06:30:00Z`)
    ids.offsite = owner.createAllDay('2026-06-04', '2026-06-05')
    ids.free = owner.createEvent(
      '2026-06-05T10:00:00Z',
      '2026-06-05T11:00:00Z',
      provider === 'google' ? { transparency: 'transparent' } : { showAs: 'free' },
    )
  })
  afterAll(async () => {
    await t?.close()
    await em?.close()
  })

  it('connects through the consent page and imports the primary calendar’s busy time', async () => {
    const done = await connectThroughOAuth(t, account, `/v1/clients/${people.clientId}`, provider)
    expect(done.callbackStatus).toBe(200)
    expect(done.callbackText).toContain('You can close this tab')
    connectionId = done.connectionId

    const connection = await account.get(`/v1/connections/${connectionId}`)
    expect(connection.status).toBe(200)
    expect(connection.body).toMatchObject({
      provider,
      owner: { type: 'client', id: people.clientId },
      status: 'active',
      lastSyncedAt: '2026-06-01T08:00:00.000Z',
      channelExpiresAt: null,
    })
    expect(connection.body.accountEmail).toMatch(/@/)
    expect(connection.text).not.toMatch(/token/i)

    const calendars = await account.get(`/v1/connections/${connectionId}/calendars`)
    const primary = calendars.body.data.find((c: { primary: boolean }) => c.primary)
    expect(primary).toMatchObject({ id: owner.primaryCalendarId(), busy: true, destination: true })
    expect(primary.syncedAt).toBe('2026-06-01T08:00:00.000Z')

    const busy = await busyOf(account, people.clientId, FROM, TO)
    expect(busy.busy).toContainEqual({ start: '2026-06-02T08:00:00.000Z', end: '2026-06-02T09:00:00.000Z' })
    expect(busy.busy).toContainEqual({ start: '2026-06-03T12:00:00.000Z', end: '2026-06-03T13:00:00.000Z' })
    // The all-day event blocks the owner's local day (Berlin midnight to midnight).
    expect(busy.busy).toContainEqual({ start: '2026-06-03T22:00:00.000Z', end: '2026-06-04T22:00:00.000Z' })
    // A free event does not make anyone busy.
    expect(busy.busy.some((b: { start: string }) => b.start === '2026-06-05T10:00:00.000Z')).toBe(false)
    expect(busy.calendars).toEqual([
      { connectionId, calendarId: owner.primaryCalendarId(), syncedAt: '2026-06-01T08:00:00.000Z' },
    ])
  })

  it('the imported events change GET /v1/availability', async () => {
    const meetingTypeId = (
      await account.post('/v1/meeting-types', meetingTypeBody(people.clientId, { durationMinutes: 60 }))
    ).body.id
    const res = await account.get(
      `/v1/availability?meetingTypeId=${meetingTypeId}&from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z`,
    )
    expect(res.status).toBe(200)
    const starts = res.body.slots.map((s: { start: string }) => s.start)
    expect(starts).toContain('2026-06-02T07:00:00.000Z')
    // 10:00–11:00 Berlin is taken, so neither 09:15 nor 10:00 Berlin can start an hour-long meeting.
    expect(starts).not.toContain('2026-06-02T07:15:00.000Z')
    expect(starts).not.toContain('2026-06-02T08:00:00.000Z')
    expect(starts).toContain('2026-06-02T09:00:00.000Z')
  })

  it('POST /sync picks up an event moved and one deleted in the calendar', async () => {
    owner.moveEvent(ids.tuesday!, '2026-06-02T13:00:00Z', '2026-06-02T14:00:00Z')
    owner.deleteEvent(ids.wednesday!)
    ids.added = owner.createEvent('2026-06-05T07:00:00Z', '2026-06-05T07:30:00Z')
    const res = await account.post(`/v1/connections/${connectionId}/sync`)
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('active')
    const busy = (await busyOf(account, people.clientId, FROM, TO)).busy
    expect(busy).not.toContainEqual({ start: '2026-06-02T08:00:00.000Z', end: '2026-06-02T09:00:00.000Z' })
    expect(busy).toContainEqual({ start: '2026-06-02T13:00:00.000Z', end: '2026-06-02T14:00:00.000Z' })
    expect(busy.some((b: { start: string }) => b.start === '2026-06-03T12:00:00.000Z')).toBe(false)
    expect(busy).toContainEqual({ start: '2026-06-05T07:00:00.000Z', end: '2026-06-05T07:30:00.000Z' })
  })

  it('an expired cursor (410) on sync falls back to a full resync', async () => {
    owner.invalidateCursors()
    owner.deleteEvent(ids.added!)
    const res = await account.post(`/v1/connections/${connectionId}/sync`)
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('active')
    const busy = (await busyOf(account, people.clientId, FROM, TO)).busy
    expect(busy.some((b: { start: string }) => b.start === '2026-06-05T07:00:00.000Z')).toBe(false)
    expect(busy).toContainEqual({ start: '2026-06-02T13:00:00.000Z', end: '2026-06-02T14:00:00.000Z' })
  })

  it('PATCH chooses busy and destination calendars; a newly busy calendar is imported at once', async () => {
    const secondId = owner.addCalendar('Side project')
    owner.createEvent('2026-06-02T15:00:00Z', '2026-06-02T16:00:00Z', {}, secondId)
    // The new calendar appears in the list on the next calendar refresh: reconnecting does that.
    const again = await connectThroughOAuth(t, account, `/v1/clients/${people.clientId}`, provider)
    expect(again.connectionId).toBe(connectionId)

    const bad = await account.patch(`/v1/connections/${connectionId}`, { busyCalendarIds: ['nope'] })
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toEqual([
      { pointer: '/body/busyCalendarIds/0', message: 'is not a calendar of this connection' },
    ])

    const primary = owner.primaryCalendarId()
    const res = await account.patch(`/v1/connections/${connectionId}`, {
      busyCalendarIds: [primary, secondId],
      destinationCalendarId: secondId,
    })
    expect(res.status).toBe(200)
    const cals = (await account.get(`/v1/connections/${connectionId}/calendars`)).body.data
    expect(cals.find((c: { id: string }) => c.id === secondId)).toMatchObject({
      busy: true,
      destination: true,
    })
    expect(cals.find((c: { id: string }) => c.id === primary)).toMatchObject({
      busy: true,
      destination: false,
    })
    let busy = (await busyOf(account, people.clientId, FROM, TO)).busy
    expect(busy).toContainEqual({ start: '2026-06-02T15:00:00.000Z', end: '2026-06-02T16:00:00.000Z' })

    // The primary stops counting.
    await account.patch(`/v1/connections/${connectionId}`, { busyCalendarIds: [secondId] })
    busy = (await busyOf(account, people.clientId, FROM, TO)).busy
    expect(busy).toEqual([{ start: '2026-06-02T15:00:00.000Z', end: '2026-06-02T16:00:00.000Z' }])
    await account.patch(`/v1/connections/${connectionId}`, { busyCalendarIds: [primary, secondId] })
    busy = (await busyOf(account, people.clientId, FROM, TO)).busy
    expect(busy).toContainEqual({ start: '2026-06-02T13:00:00.000Z', end: '2026-06-02T14:00:00.000Z' })
  })

  it('refreshes the access token before it expires, and once more when the provider revoked it early', async () => {
    const before = owner.tokenRequests()
    // 56 minutes later our token expires within 5 minutes: refreshed before the call.
    t.clock.advance(56 * 60_000)
    owner.advanceClock(56 * 60_000)
    expect((await account.post(`/v1/connections/${connectionId}/sync`)).body.status).toBe('active')
    expect(owner.tokenRequests()).toBe(before + 1)
    // A token the provider expired early: one 401, one refresh, the retry works.
    owner.expireAccessTokens()
    expect((await account.post(`/v1/connections/${connectionId}/sync`)).body.status).toBe('active')
    expect(owner.tokenRequests()).toBe(before + 2)
  })

  it('a revoked grant (invalid_grant) marks the connection reauth_required and calls the hook', async () => {
    owner.revokeGrant()
    const res = await account.post(`/v1/connections/${connectionId}/sync`)
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('reauth_required')
    const connection = (await account.get(`/v1/connections/${connectionId}`)).body
    expect(connection.status).toBe('reauth_required')
    expect(connection.lastError).toMatch(/invalid_grant/)
    expect(reauth).toEqual([connectionId])
    // Reconnecting the same account brings it back.
    const again = await connectThroughOAuth(t, account, `/v1/clients/${people.clientId}`, provider)
    expect(again.connectionId).toBe(connectionId)
    expect((await account.get(`/v1/connections/${connectionId}`)).body.status).toBe('active')
  })

  it('DELETE forgets the tokens and the events stop counting', async () => {
    const res = await account.delete(`/v1/connections/${connectionId}`)
    expect(res.status).toBe(204)
    expect((await account.get(`/v1/connections/${connectionId}`)).status).toBe(404)
    const busy = await busyOf(account, people.clientId, FROM, TO)
    expect(busy).toEqual({ busy: [], calendars: [] })
    const row = await t.database.db
      .selectFrom('connections')
      .select(['access_token_enc', 'refresh_token_enc', 'deleted_at'])
      .where('id', '=', connectionId)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ access_token_enc: null, refresh_token_enc: null })
    expect(row.deleted_at).not.toBeNull()
    const events = await t.database.db
      .selectFrom('calendar_events')
      .select('id')
      .where('connection_id', '=', connectionId)
      .execute()
    expect(events).toEqual([])
  })
})

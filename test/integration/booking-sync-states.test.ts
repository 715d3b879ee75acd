// Recording a calendar write while the booking changes: the newer version must stay pending, so that its own write
// happens. Needs PostgreSQL (two sessions at once); found by the reliability suite's load run, where a booking
// cancelled while its first write was being recorded kept its event in the calendar.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finishSyncAttempt, startSyncAttempt } from '../../src/db/repositories/bookings.js'
import { insertConnection, upsertConnectionCalendar } from '../../src/db/repositories/calendars.js'
import { newId } from '../../src/ids.js'
import { type AccountClient, createTestApp, type TestApp } from '../helpers/app.js'
import { assistantBody, clientBody, contactBody, meetingTypeBody } from '../helpers/factories.js'

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('recording a calendar write', () => {
  let t: TestApp
  let account: AccountClient
  let bookingId: string
  const connectionId = newId()

  beforeAll(async () => {
    t = await createTestApp()
    account = await t.createAccount()
    const assistantId = (await account.post('/v1/assistants', assistantBody({ timeZone: 'Europe/Berlin' })))
      .body.id
    const clientId = (
      await account.post('/v1/clients', clientBody(assistantId, { timeZone: 'Europe/Berlin' }))
    ).body.id
    await insertConnection(t.database.db, account.accountId, {
      id: connectionId,
      owner: { type: 'client', id: clientId },
      provider: 'google',
      status: 'active',
    })
    await upsertConnectionCalendar(t.database.db, account.accountId, connectionId, {
      calendarId: 'primary',
      name: 'Primary',
      isPrimary: true,
      isBusy: true,
      isDestination: true,
    })
    const meetingTypeId = (
      await account.post('/v1/meeting-types', meetingTypeBody(clientId, { minimumNoticeMinutes: 0 }))
    ).body.id
    const contactId = (await account.post(`/v1/clients/${clientId}/contacts`, contactBody())).body.id
    const created = await account.post('/v1/bookings', {
      meetingTypeId,
      start: '2026-06-02T07:00:00Z',
      contactId,
    })
    expect(created.status).toBe(201)
    bookingId = created.body.id
  })
  afterAll(async () => {
    await t?.close()
  })

  it('leaves the state pending when the booking is cancelled while the write is being recorded', async () => {
    const state = () =>
      t.database.db
        .selectFrom('booking_sync_states')
        .select(['state', 'provider_event_id'])
        .where('booking_id', '=', bookingId)
        .executeTakeFirstOrThrow()
    expect((await state()).state).toBe('pending')
    expect(await startSyncAttempt(t.database.db, account.accountId, bookingId, connectionId)).toBe(0)

    // The cancel, held open: it locked and changed the booking and re-marked its write pending, as cancelBooking does.
    const other = new pg.Client({ connectionString: t.database.url! })
    await other.connect()
    try {
      await other.query('BEGIN')
      await other.query(`SELECT 1 FROM bookings WHERE id = $1 FOR UPDATE`, [bookingId])
      await other.query(
        `UPDATE bookings SET status = 'cancelled', sequence = sequence + 1, cancelled_at = now() WHERE id = $1`,
        [bookingId],
      )
      await other.query(
        `UPDATE booking_sync_states SET state = 'pending', last_error = NULL WHERE booking_id = $1`,
        [bookingId],
      )

      // The worker records the insert it made of version 0 meanwhile; it has to wait for the cancel.
      const recording = finishSyncAttempt(
        t.database.db,
        account.accountId,
        bookingId,
        connectionId,
        0,
        {
          state: 'synced',
          providerEventId: 'evt-version-0',
          etag: null,
          lastError: null,
          resetAttempts: true,
        },
        new Date(),
      )
      await new Promise((r) => setTimeout(r, 300))
      await other.query('COMMIT')
      expect(await recording).toBe(false)
    } finally {
      await other.end()
    }

    // The cancel's own job still finds the write pending, with the event it has to delete.
    expect(await state()).toEqual({ state: 'pending', provider_event_id: 'evt-version-0' })
  })
})

// Races: hundreds of concurrent bookings for one slot, across two app instances on one database, make one booking.
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../../src/app.js'
import { testConfig } from '../../../src/config.js'
import { connectDatabase, type Database } from '../../../src/db/connect.js'
import { createTestApp, type TestApp } from '../../helpers/app.js'
import { createScenario, type Scenario } from '../../helpers/scenario.js'

let t: TestApp
let s: Scenario
let second: { app: FastifyInstance; database: Database } | null = null
let instances: FastifyInstance[]

beforeAll(async () => {
  t = await createTestApp({ now: '2026-06-01T08:00:00Z' })
  s = await createScenario(t)
  instances = [t.app]
  // On PostgreSQL a second instance with its own pool shares the database, as two servers would.
  if (t.database.url) {
    const database = await connectDatabase({ databaseUrl: t.database.url, dataDir: '' })
    second = { app: await buildApp(testConfig(), { database, clock: t.clock }), database }
    instances.push(second.app)
  }
})
afterAll(async () => {
  if (second) {
    await second.app.close()
    await second.database.close()
  }
  await t.close()
})

function book(i: number, body: Record<string, unknown>) {
  return instances[i % instances.length]!.inject({
    method: 'POST',
    url: '/v1/bookings',
    headers: { authorization: `Bearer ${s.account.apiKey}` },
    payload: body,
  })
}

async function confirmedOverlapping(startIso: string, endIso: string): Promise<number> {
  const row = await t.database.db
    .selectFrom('bookings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('client_id', '=', s.clientId)
    .where('status', '=', 'confirmed')
    .where(
      sql<boolean>`tstzrange(starts_at, ends_at) && tstzrange(${startIso}::timestamptz, ${endIso}::timestamptz)`,
    )
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

describe('no double booking under concurrency', () => {
  it('200 concurrent requests for one slot: one 201, 199 409s, one row', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        book(i, {
          meetingTypeId: s.meetingTypeId,
          start: '2026-06-02T09:00:00Z',
          contact: { name: `R${i}`, email: `r${i}@race.example` },
        }),
      ),
    )
    const codes = answers.map((a) => a.statusCode)
    expect(codes.filter((c) => c === 201)).toHaveLength(1)
    expect(codes.filter((c) => c === 409)).toHaveLength(199)
    expect(
      answers.filter((a) => a.statusCode === 409).every((a) => a.json().code === 'slot_unavailable'),
    ).toBe(true)
    expect(await confirmedOverlapping('2026-06-02T09:00:00Z', '2026-06-02T09:30:00Z')).toBe(1)
  })

  it('200 concurrent requests for overlapping (not identical) slots: one booking', async () => {
    const hour = await s.addMeetingType({ name: 'Hour', durationMinutes: 60 })
    const starts = [
      '2026-06-03T09:00:00Z',
      '2026-06-03T09:15:00Z',
      '2026-06-03T09:30:00Z',
      '2026-06-03T09:45:00Z',
    ]
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        book(i, { meetingTypeId: hour, start: starts[i % starts.length], contactId: s.contactId }),
      ),
    )
    expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(1)
    expect(answers.filter((a) => a.statusCode === 409)).toHaveLength(199)
    expect(await confirmedOverlapping('2026-06-03T09:00:00Z', '2026-06-03T10:45:00Z')).toBe(1)
  })

  it('reschedules racing new bookings for the same time: one wins, nothing overlaps', async () => {
    const existing = await book(0, {
      meetingTypeId: s.meetingTypeId,
      start: '2026-06-04T08:00:00Z',
      contactId: s.contactId,
    })
    expect(existing.statusCode).toBe(201)
    const id = existing.json().id
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? instances[i % instances.length]!.inject({
              method: 'POST',
              url: `/v1/bookings/${id}/reschedule`,
              headers: { authorization: `Bearer ${s.account.apiKey}` },
              payload: { start: '2026-06-04T11:00:00Z' },
            })
          : book(i, {
              meetingTypeId: s.meetingTypeId,
              start: '2026-06-04T11:00:00Z',
              contactId: s.contactId,
            }),
      ),
    )
    const ok = answers.filter((a) => a.statusCode === 200 || a.statusCode === 201)
    expect(answers.every((a) => [200, 201, 409].includes(a.statusCode))).toBe(true)
    // Rescheduling to where the booking already is succeeds again; a new booking wins only if no reschedule did.
    const created = ok.filter((a) => a.statusCode === 201)
    const moved = ok.filter((a) => a.statusCode === 200)
    expect(created.length + (moved.length > 0 ? 1 : 0)).toBe(1)
    expect(await confirmedOverlapping('2026-06-04T11:00:00Z', '2026-06-04T11:30:00Z')).toBe(1)
  })
})

// Bad input of every kind gets a 4xx problem document naming the problem; never a 5xx or a stack trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AccountClient, createTestApp, type Response, type TestApp } from '../../helpers/app.js'
import { assistantBody, clientBody, meetingTypeBody } from '../../helpers/factories.js'

let t: TestApp
let account: AccountClient
let assistantId: string
let clientId: string
beforeAll(async () => {
  t = await createTestApp()
  account = await t.createAccount()
  assistantId = (await account.post('/v1/assistants', assistantBody())).body.id
  clientId = (await account.post('/v1/clients', clientBody(assistantId))).body.id
})
afterAll(() => t.close())

function expectProblem(res: Response, status: number, pointer?: string, message?: RegExp): void {
  expect(res.status, res.text).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(res.body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  })
  expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/)
  if (pointer) {
    const match = (res.body.errors ?? []).find((e: { pointer: string }) => e.pointer === pointer)
    expect(match, `no error at ${pointer}: ${res.text}`).toBeDefined()
    if (message) expect(match.message).toMatch(message)
  }
}

const schedule = (weekly: unknown, extra: Record<string, unknown> = {}) => ({ weekly, ...extra })

describe('schedules', () => {
  const cases: [string, Record<string, unknown>, string, RegExp?][] = [
    ['an invalid time zone', { timeZone: 'Mars/Olympus' }, '/body/timeZone', /IANA/],
    [
      'an invalid schedule zone',
      { officeHours: schedule([], { timeZone: 'Europe/Berlinn' }) },
      '/body/officeHours/timeZone',
    ],
    [
      '25:00',
      { officeHours: schedule([{ days: ['mon'], start: '09:00', end: '25:00' }]) },
      '/body/officeHours/weekly/0/end',
      /HH:mm/,
    ],
    [
      '9:00 without a leading zero',
      { officeHours: schedule([{ days: ['mon'], start: '9:00', end: '17:00' }]) },
      '/body/officeHours/weekly/0/start',
    ],
    [
      'start equal to end',
      { officeHours: schedule([{ days: ['mon'], start: '10:00', end: '10:00' }]) },
      '/body/officeHours/weekly/0/end',
      /after start/,
    ],
    [
      'start after end',
      { officeHours: schedule([{ days: ['mon'], start: '18:00', end: '09:00' }]) },
      '/body/officeHours/weekly/0/end',
      /after start/,
    ],
    [
      '24:00 as a start',
      { officeHours: schedule([{ days: ['mon'], start: '24:00', end: '24:00' }]) },
      '/body/officeHours/weekly/0/start',
    ],
    [
      'an unknown weekday',
      { officeHours: schedule([{ days: ['monday'], start: '09:00', end: '17:00' }]) },
      '/body/officeHours/weekly/0/days/0',
      /one of/,
    ],
    [
      'an impossible date',
      { officeHours: schedule([], { overrides: [{ date: '2026-02-30', intervals: [] }] }) },
      '/body/officeHours/overrides/0/date',
    ],
    [
      'a broken RRULE',
      {
        officeHours: schedule([], {
          blocks: [{ rrule: 'FREQ=SOMETIMES;BYDAY=XX', start: '10:00', end: '11:00' }],
        }),
      },
      '/body/officeHours/blocks/0/rrule',
    ],
    ['a missing weekly list', { officeHours: {} }, '/body/officeHours/weekly', /required/],
    [
      'an unknown schedule field',
      { officeHours: schedule([], { holidays: [] }) },
      '/body/officeHours/holidays',
      /not a known field/,
    ],
  ]
  for (const [what, override, pointer, message] of cases) {
    it(`rejects ${what} with a pointer to the field`, async () => {
      expectProblem(await account.post('/v1/assistants', assistantBody(override)), 400, pointer, message)
    })
  }

  it('rejects the same problems on update, leaving the resource unchanged', async () => {
    const res = await account.patch(`/v1/clients/${clientId}`, {
      businessHours: schedule([{ days: ['tue'], start: '17:00', end: '09:00' }]),
    })
    expectProblem(res, 400, '/body/businessHours/weekly/0/end')
    expect((await account.get(`/v1/clients/${clientId}`)).body.businessHours.weekly[0].start).toBe('09:00')
  })
})

describe('bodies', () => {
  it('rejects malformed JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/assistants',
      headers: { authorization: `Bearer ${account.apiKey}`, 'content-type': 'application/json' },
      payload: '{"name": "x",',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'malformed_json' })
  })

  it('rejects an empty JSON body and a non-object body', async () => {
    for (const payload of ['', '[]', '"text"', '42', 'null']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/assistants',
        headers: { authorization: `Bearer ${account.apiKey}`, 'content-type': 'application/json' },
        payload,
      })
      expect(res.statusCode, payload).toBe(400)
      expect(res.headers['content-type']).toMatch(/problem\+json/)
    }
  })

  it('rejects an unsupported content type with 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/assistants',
      headers: { authorization: `Bearer ${account.apiKey}`, 'content-type': 'text/xml' },
      payload: '<assistant/>',
    })
    expect(res.statusCode).toBe(415)
    expect(res.json().code).toBe('unsupported_media_type')
  })

  it('rejects wrong types without coercing them', async () => {
    const res = await account.post(
      '/v1/meeting-types',
      meetingTypeBody(clientId, { durationMinutes: '30', requireAssistantHours: 'yes' }),
    )
    expectProblem(res, 400, '/body/durationMinutes')
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(
      '/body/requireAssistantHours',
    )
  })

  it('rejects unknown fields', async () => {
    expectProblem(
      await account.post('/v1/meeting-types', meetingTypeBody(clientId, { colour: 'red' })),
      400,
      '/body/colour',
      /not a known field/,
    )
  })

  it('rejects missing required fields, naming each', async () => {
    const res = await account.post('/v1/clients', { name: 'x' })
    expectProblem(res, 400, '/body/assistantId', /required/)
    for (const field of ['email', 'timeZone', 'businessHours']) {
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(`/body/${field}`)
    }
  })

  it('rejects huge strings by length, and bodies over 1 MB with 413', async () => {
    expectProblem(
      await account.post('/v1/assistants', assistantBody({ name: 'x'.repeat(10_000) })),
      400,
      '/body/name',
    )
    const res = await account.post('/v1/assistants', assistantBody({ name: 'x'.repeat(1_100_000) }))
    expectProblem(res, 413)
    expect(res.body.code).toBe('payload_too_large')
  })

  it('rejects out-of-range numbers and an invalid email', async () => {
    const res = await account.post(
      '/v1/meeting-types',
      meetingTypeBody(clientId, {
        durationMinutes: 0,
        slotIntervalMinutes: 100_000,
        horizonDays: -1,
        maxPerDay: 0,
      }),
    )
    expectProblem(res, 400, '/body/durationMinutes')
    for (const field of ['slotIntervalMinutes', 'horizonDays', 'maxPerDay']) {
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(`/body/${field}`)
    }
    expectProblem(
      await account.post('/v1/assistants', assistantBody({ email: 'not-an-email' })),
      400,
      '/body/email',
    )
  })

  it('rejects contact hours that end before they start', async () => {
    const res = await account.post(
      '/v1/meeting-types',
      meetingTypeBody(clientId, { contactHours: { start: '20:00', end: '08:00' } }),
    )
    expectProblem(res, 400, '/body/contactHours/end')
  })

  it('rejects a reference to an assistant or client that is not the account’s', async () => {
    const other = await t.createAccount()
    const foreignAssistant = (await other.post('/v1/assistants', assistantBody())).body.id
    expectProblem(await account.post('/v1/clients', clientBody(foreignAssistant)), 400, '/body/assistantId')
    const foreignClient = (await other.post('/v1/clients', clientBody(foreignAssistant))).body.id
    expectProblem(
      await account.post('/v1/meeting-types', meetingTypeBody(foreignClient)),
      400,
      '/body/clientId',
    )
  })
})

describe('parameters', () => {
  it('rejects a malformed id in the path', async () => {
    expectProblem(await account.get('/v1/clients/not-a-uuid'), 400, '/params/id')
    expectProblem(await account.get(`/v1/clients/${clientId}/contacts/123`), 400, '/params/id')
  })

  it('rejects bad cursors and limits', async () => {
    for (const cursor of ['garbage', 'YWZ0ZXI6bm90LWEtdXVpZA', '%00%01', 'x'.repeat(600)]) {
      const res = await account.get(`/v1/assistants?cursor=${cursor}`)
      expectProblem(res, 400, '/query/cursor')
    }
    expectProblem(await account.get('/v1/assistants?limit=0'), 400, '/query/limit')
    expectProblem(await account.get('/v1/assistants?limit=abc'), 400, '/query/limit')
    expectProblem(await account.get('/v1/assistants?unknown=1'), 400, '/query/unknown')
  })
})

describe('routes', () => {
  it('answers unknown routes and methods with a 404 problem', async () => {
    expectProblem(await account.get('/v1/nothing-here'), 404)
    expectProblem(await account.request('PUT', '/v1/assistants'), 404)
    expectProblem(await account.get('/'), 404)
  })
})

describe('input the database cannot store, and URLs the router cannot read', () => {
  it('refuses a NUL character in a body, a query or a path as a 400 naming the field, not a 500', async () => {
    expectProblem(
      await account.post('/v1/assistants', assistantBody({ name: 'Ma\u0000ya' })),
      400,
      '/body/name',
      /NUL/,
    )
    expectProblem(await account.post('/v1/api-keys', { name: 'ci\u0000' }), 400, '/body/name', /NUL/)
    expectProblem(await account.get('/v1/assistants?cursor=%00'), 400, '/query/cursor')
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/microsoft',
      payload: { value: [{ subscriptionId: 'x\u0000', clientState: 'y' }] },
    })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  })

  it('answers a path that is not valid percent-encoding, or an over-long id, with a problem document', async () => {
    expectProblem(await account.get('/v1/clients/%ff%fe'), 400)
    expectProblem(await account.get(`/v1/clients/${'x'.repeat(600)}`), 414)
  })
})

describe('provider notification routes', () => {
  const post = (url: string, payload: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url,
      payload,
      headers: { 'content-type': 'application/json', ...headers },
    })

  it('answers a body that is not JSON with a 400 problem, not a 500', async () => {
    for (const url of ['/webhooks/google', '/webhooks/microsoft', '/webhooks/microsoft/lifecycle']) {
      const res = await post(url, '{"value": [', { 'x-goog-channel-id': 'c' })
      expect(res.statusCode, url).toBe(400)
      expect(res.json()).toMatchObject({ status: 400, code: 'malformed_json' })
    }
  })

  it('skips notifications that are not objects instead of failing on them', async () => {
    for (const url of ['/webhooks/microsoft', '/webhooks/microsoft/lifecycle']) {
      const res = await post(url, '{"value": [null, 1, "x"]}')
      expect(res.statusCode, url).toBe(403)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
  })

  it('rejects unknown channels and wrong secrets with problem documents that do not echo the secret', async () => {
    const google = await post('/webhooks/google', '', {
      'x-goog-channel-id': '0196a0b0-0000-7000-8000-000000000000',
      'x-goog-channel-token': 'the-secret-token',
    })
    expect(google.statusCode).toBe(404)
    expect(google.json()).toMatchObject({ status: 404, type: expect.any(String), title: 'Not Found' })
    const microsoft = await post(
      '/webhooks/microsoft',
      JSON.stringify({ value: [{ subscriptionId: 'nope', clientState: 'the-secret-state' }] }),
    )
    expect(microsoft.statusCode).toBe(403)
    expect(microsoft.json()).toMatchObject({ status: 403, title: 'Forbidden' })
    expect(google.body + microsoft.body).not.toMatch(/the-secret/)
  })
})

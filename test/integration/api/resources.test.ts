// Assistants, clients, contacts and meeting types round-trip through the API: create, read, list, update, delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AccountClient, createTestApp, type TestApp } from '../../helpers/app.js'
import { assistantBody, clientBody, contactBody, meetingTypeBody } from '../../helpers/factories.js'

let t: TestApp
let account: AccountClient
beforeAll(async () => {
  t = await createTestApp()
  account = await t.createAccount()
})
afterAll(() => t.close())

describe('assistants', () => {
  it('round-trips an assistant with a full schedule, the zone defaulting to the assistant’s', async () => {
    const body = assistantBody({
      timeZone: 'Asia/Kathmandu',
      officeHours: {
        weekly: [
          { days: ['mon', 'wed'], start: '09:00', end: '12:00' },
          { days: ['fri'], start: '22:00', end: '24:00' },
        ],
        overrides: [{ date: '2026-12-24', intervals: [] }],
        blocks: [{ rrule: 'FREQ=WEEKLY;BYDAY=MO', start: '10:00', end: '10:30', label: 'standup' }],
      },
    })
    const created = await account.post('/v1/assistants', body)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      name: body.name,
      email: body.email,
      timeZone: 'Asia/Kathmandu',
      officeHours: { timeZone: 'Asia/Kathmandu', ...body.officeHours },
    })
    expect(created.body.createdAt).toBe('2026-06-01T08:00:00.000Z')

    const read = await account.get(`/v1/assistants/${created.body.id}`)
    expect(read.status).toBe(200)
    expect(read.body).toEqual(created.body)

    t.clock.advance(60_000)
    const patched = await account.patch(`/v1/assistants/${created.body.id}`, { name: 'Renamed' })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({
      name: 'Renamed',
      email: body.email,
      officeHours: created.body.officeHours,
    })
    expect(patched.body.updatedAt).toBe('2026-06-01T08:01:00.000Z')

    const list = await account.get('/v1/assistants')
    expect(list.body.data.map((a: { id: string }) => a.id)).toContain(created.body.id)

    expect((await account.delete(`/v1/assistants/${created.body.id}`)).status).toBe(204)
    expect((await account.get(`/v1/assistants/${created.body.id}`)).status).toBe(404)
    expect((await account.get('/v1/assistants')).body.data.map((a: { id: string }) => a.id)).not.toContain(
      created.body.id,
    )
    expect((await account.patch(`/v1/assistants/${created.body.id}`, { name: 'x' })).status).toBe(404)
    expect((await account.delete(`/v1/assistants/${created.body.id}`)).status).toBe(404)
  })

  it('keeps an explicit schedule zone different from the person’s', async () => {
    const res = await account.post(
      '/v1/assistants',
      assistantBody({ timeZone: 'Europe/London', officeHours: { timeZone: 'America/St_Johns', weekly: [] } }),
    )
    expect(res.status).toBe(201)
    expect(res.body.officeHours).toEqual({
      timeZone: 'America/St_Johns',
      weekly: [],
      overrides: [],
      blocks: [],
    })
  })

  it('refuses to delete an assistant still in charge of a client', async () => {
    const assistant = (await account.post('/v1/assistants', assistantBody())).body
    await account.post('/v1/clients', clientBody(assistant.id))
    const res = await account.delete(`/v1/assistants/${assistant.id}`)
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('assistant_in_use')
    expect((await account.get(`/v1/assistants/${assistant.id}`)).status).toBe(200)
  })
})

describe('clients and contacts', () => {
  it('round-trips a client and moves it to another assistant', async () => {
    const a1 = (await account.post('/v1/assistants', assistantBody())).body
    const a2 = (await account.post('/v1/assistants', assistantBody())).body
    const created = await account.post('/v1/clients', clientBody(a1.id, { timeZone: 'Australia/Sydney' }))
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ assistantId: a1.id, timeZone: 'Australia/Sydney' })
    expect(created.body.businessHours.timeZone).toBe('Australia/Sydney')

    const moved = await account.patch(`/v1/clients/${created.body.id}`, { assistantId: a2.id })
    expect(moved.status).toBe(200)
    expect(moved.body.assistantId).toBe(a2.id)

    const ofA2 = await account.get(`/v1/clients?assistantId=${a2.id}`)
    expect(ofA2.body.data.map((c: { id: string }) => c.id)).toEqual([created.body.id])
  })

  it('round-trips contacts, unique by email per client regardless of case', async () => {
    const assistant = (await account.post('/v1/assistants', assistantBody())).body
    const client = (await account.post('/v1/clients', clientBody(assistant.id))).body
    const base = `/v1/clients/${client.id}/contacts`
    const created = await account.post(
      base,
      contactBody({ email: 'Ana@Partner.example', timeZone: 'America/Sao_Paulo' }),
    )
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ clientId: client.id, timeZone: 'America/Sao_Paulo' })

    const dup = await account.post(base, contactBody({ email: 'ana@partner.example' }))
    expect(dup.status).toBe(409)
    expect(dup.body.code).toBe('contact_exists')

    const cleared = await account.patch(`${base}/${created.body.id}`, { timeZone: null })
    expect(cleared.status).toBe(200)
    expect(cleared.body.timeZone).toBeNull()

    expect((await account.get(base)).body.data).toHaveLength(1)
    expect((await account.delete(`${base}/${created.body.id}`)).status).toBe(204)
    expect((await account.get(`${base}/${created.body.id}`)).status).toBe(404)
    // The email is free again once the contact is deleted.
    expect((await account.post(base, contactBody({ email: 'ana@partner.example' }))).status).toBe(201)
  })

  it('a contact is reachable only under its own client', async () => {
    const assistant = (await account.post('/v1/assistants', assistantBody())).body
    const c1 = (await account.post('/v1/clients', clientBody(assistant.id))).body
    const c2 = (await account.post('/v1/clients', clientBody(assistant.id))).body
    const contact = (await account.post(`/v1/clients/${c1.id}/contacts`, contactBody())).body
    expect((await account.get(`/v1/clients/${c2.id}/contacts/${contact.id}`)).status).toBe(404)
  })

  it('deleting a client soft-deletes it with its contacts and meeting types, keeping the rows', async () => {
    const assistant = (await account.post('/v1/assistants', assistantBody())).body
    const client = (await account.post('/v1/clients', clientBody(assistant.id))).body
    const contact = (await account.post(`/v1/clients/${client.id}/contacts`, contactBody())).body
    const mt = (await account.post('/v1/meeting-types', meetingTypeBody(client.id))).body

    expect((await account.delete(`/v1/clients/${client.id}`)).status).toBe(204)
    expect((await account.get(`/v1/clients/${client.id}`)).status).toBe(404)
    expect((await account.get(`/v1/clients/${client.id}/contacts`)).status).toBe(404)
    expect((await account.get(`/v1/meeting-types/${mt.id}`)).status).toBe(404)

    const rows = await t.database.db
      .selectFrom('contacts')
      .select(['id', 'deleted_at'])
      .where('id', '=', contact.id)
      .execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]?.deleted_at).toBeInstanceOf(Date)
    // Its assistant is free to go now.
    expect((await account.delete(`/v1/assistants/${assistant.id}`)).status).toBe(204)
  })
})

describe('meeting types', () => {
  it('fills in the defaults of SPEC 1.5', async () => {
    const assistant = (await account.post('/v1/assistants', assistantBody())).body
    const client = (await account.post('/v1/clients', clientBody(assistant.id))).body
    const res = await account.post('/v1/meeting-types', { clientId: client.id, name: 'Intro' })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      clientId: client.id,
      name: 'Intro',
      durationMinutes: 30,
      slotIntervalMinutes: 15,
      bufferBeforeMinutes: 0,
      bufferAfterMinutes: 0,
      minimumNoticeMinutes: 60,
      horizonDays: 60,
      maxPerDay: null,
      hosts: 'client',
      requireAssistantHours: true,
      contactHours: null,
    })
  })

  it('round-trips every field and clears nullable ones with null', async () => {
    const assistant = (await account.post('/v1/assistants', assistantBody())).body
    const client = (await account.post('/v1/clients', clientBody(assistant.id))).body
    const full = {
      clientId: client.id,
      name: 'Board prep',
      durationMinutes: 45,
      slotIntervalMinutes: 30,
      bufferBeforeMinutes: 10,
      bufferAfterMinutes: 5,
      minimumNoticeMinutes: 240,
      horizonDays: 30,
      maxPerDay: 3,
      hosts: 'both',
      requireAssistantHours: false,
      contactHours: { start: '08:00', end: '20:00' },
    }
    const created = await account.post('/v1/meeting-types', full)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject(full)

    const patched = await account.patch(`/v1/meeting-types/${created.body.id}`, {
      maxPerDay: null,
      contactHours: null,
      durationMinutes: 60,
    })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ ...full, maxPerDay: null, contactHours: null, durationMinutes: 60 })

    const listed = await account.get(`/v1/meeting-types?clientId=${client.id}`)
    expect(listed.body.data).toEqual([patched.body])

    expect((await account.delete(`/v1/meeting-types/${created.body.id}`)).status).toBe(204)
    expect((await account.get(`/v1/meeting-types?clientId=${client.id}`)).body.data).toEqual([])
  })
})

describe('Idempotency-Key on creation', () => {
  it('a retried create makes one assistant, one client and one contact', async () => {
    const fresh = await t.createAccount()
    const send = (url: string, body: unknown, key: string) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${fresh.apiKey}`, 'idempotency-key': key },
        payload: body as object,
      })
    const body = assistantBody()
    const [a1, a2] = [await send('/v1/assistants', body, 'a'), await send('/v1/assistants', body, 'a')]
    expect(a1.statusCode).toBe(201)
    expect(a2.statusCode).toBe(201)
    expect(a2.json()).toEqual(a1.json())
    const c = clientBody(a1.json().id)
    expect((await send('/v1/clients', c, 'c')).json()).toEqual((await send('/v1/clients', c, 'c')).json())
    const clientId = (await fresh.get('/v1/clients')).body.data[0].id
    const contact = contactBody()
    await send(`/v1/clients/${clientId}/contacts`, contact, 'k')
    expect((await send(`/v1/clients/${clientId}/contacts`, contact, 'k')).statusCode).toBe(201)
    expect((await fresh.get('/v1/assistants')).body.data).toHaveLength(1)
    expect((await fresh.get('/v1/clients')).body.data).toHaveLength(1)
    expect((await fresh.get(`/v1/clients/${clientId}/contacts`)).body.data).toHaveLength(1)
    // A validation failure is an answer as well, replayed as such.
    const bad = { ...assistantBody(), timeZone: 'Nowhere/City' }
    expect((await send('/v1/assistants', bad, 'bad')).statusCode).toBe(400)
    expect((await send('/v1/assistants', bad, 'bad')).headers['idempotent-replayed']).toBe('true')
  })
})

describe('pagination', () => {
  it('walks a list with cursors, each item once, in creation order', async () => {
    const fresh = await t.createAccount()
    const ids: string[] = []
    for (let i = 0; i < 7; i++) {
      ids.push((await fresh.post('/v1/assistants', assistantBody())).body.id)
    }
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } =
        await fresh.get(`/v1/assistants?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      expect(res.status).toBe(200)
      seen.push(...res.body.data.map((a) => a.id))
      cursor = res.body.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual(ids)
  })
})

// /v1/webhook-endpoints (SPEC 1.7): the secret is shown once and never stored in clear; URLs on private
// networks are refused unless configured; events are validated; updates, rotation and deletion behave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AccountClient, createTestApp, type TestApp } from '../../helpers/app.js'

describe('webhook endpoints', () => {
  let t: TestApp
  let account: AccountClient

  beforeAll(async () => {
    t = await createTestApp()
    account = await t.createAccount()
  })
  afterAll(() => t.close())

  /** Every text value of every row of the tables that could hold a secret. */
  async function databaseText(): Promise<string> {
    const tables = ['webhook_endpoints', 'webhook_deliveries', 'idempotency_keys', 'outbox_events']
    const parts: string[] = []
    for (const table of tables) {
      const rows = await t.app.deps.db
        .selectFrom(table as 'webhook_endpoints')
        .selectAll()
        .execute()
      parts.push(JSON.stringify(rows))
    }
    return parts.join('\n')
  }

  it('shows the secret once, in Standard Webhooks form, and stores it only encrypted', async () => {
    const created = await account.post('/v1/webhook-endpoints', {
      url: 'https://app.example.com/hooks',
      events: ['booking.created', 'booking.cancelled'],
      description: 'CRM sync',
    })
    expect(created.status, created.text).toBe(201)
    expect(created.body).toMatchObject({
      url: 'https://app.example.com/hooks',
      events: ['booking.created', 'booking.cancelled'],
      description: 'CRM sync',
      enabled: true,
      status: 'active',
      failingSince: null,
    })
    const secret: string = created.body.secret
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const shown = await account.get(`/v1/webhook-endpoints/${created.body.id}`)
    expect(shown.status).toBe(200)
    expect(shown.body.secret).toBeUndefined()
    const listed = await account.get('/v1/webhook-endpoints')
    expect(listed.body.data.map((e: { id: string }) => e.id)).toContain(created.body.id)
    expect(listed.text).not.toContain('whsec_')

    const row = await t.app.deps.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow()
    expect(row.secret_enc).toMatch(/^v1\./)
    const text = await databaseText()
    expect(text).not.toContain(secret)
    expect(text).not.toContain(secret.slice('whsec_'.length))
  })

  it('replays a create with the same Idempotency-Key, secret included, without storing the secret in clear', async () => {
    const body = { url: 'https://idem.example.com/hooks', events: ['booking.created'] }
    const headers = { authorization: `Bearer ${account.apiKey}`, 'idempotency-key': 'create-hook-1' }
    const first = await t.app.inject({ method: 'POST', url: '/v1/webhook-endpoints', headers, payload: body })
    const again = await t.app.inject({ method: 'POST', url: '/v1/webhook-endpoints', headers, payload: body })
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json()).toEqual(first.json())
    expect(await databaseText()).not.toContain(first.json().secret)
    const list = (await account.get('/v1/webhook-endpoints?limit=200')).body.data
    expect(list.filter((e: { url: string }) => e.url === body.url)).toHaveLength(1)
  })

  it('rotates the secret: a new one, shown once', async () => {
    const created = await account.post('/v1/webhook-endpoints', {
      url: 'https://rotate.example.com/',
      events: ['booking.created'],
    })
    const rotated = await account.post(`/v1/webhook-endpoints/${created.body.id}/rotate-secret`, {})
    expect(rotated.status).toBe(200)
    expect(rotated.body.secret).toMatch(/^whsec_/)
    expect(rotated.body.secret).not.toBe(created.body.secret)
    expect(await databaseText()).not.toContain(rotated.body.secret)
  })

  it('updates url, events, description and enabled; deletes', async () => {
    const created = await account.post('/v1/webhook-endpoints', {
      url: 'https://old.example.com/',
      events: ['booking.created'],
    })
    const id = created.body.id
    const patched = await account.patch(`/v1/webhook-endpoints/${id}`, {
      url: 'https://new.example.com/hooks',
      events: ['booking.sync_failed', 'connection.reauth_required', 'booking.conflict'],
      description: null,
      enabled: false,
    })
    expect(patched.status, patched.text).toBe(200)
    expect(patched.body).toMatchObject({
      url: 'https://new.example.com/hooks',
      events: ['booking.sync_failed', 'connection.reauth_required', 'booking.conflict'],
      description: null,
      enabled: false,
    })
    expect((await account.get(`/v1/webhook-endpoints/${id}/deliveries`)).body).toEqual({
      data: [],
      nextCursor: null,
    })
    expect((await account.delete(`/v1/webhook-endpoints/${id}`)).status).toBe(204)
    expect((await account.get(`/v1/webhook-endpoints/${id}`)).status).toBe(404)
    expect((await account.delete(`/v1/webhook-endpoints/${id}`)).status).toBe(404)
  })

  it('refuses unknown events and non-http URLs', async () => {
    const unknown = await account.post('/v1/webhook-endpoints', {
      url: 'https://app.example.com/',
      events: ['booking.exploded'],
    })
    expect(unknown.status).toBe(400)
    expect(unknown.headers['content-type']).toContain('application/problem+json')
    const none = await account.post('/v1/webhook-endpoints', { url: 'https://app.example.com/', events: [] })
    expect(none.status).toBe(400)
    for (const url of ['ftp://app.example.com/', 'not a url', 'https://user:pw@app.example.com/']) {
      const res = await account.post('/v1/webhook-endpoints', { url, events: ['booking.created'] })
      expect(res.status, url).toBe(400)
      expect(res.body.errors[0].pointer).toBe('/body/url')
    }
  })

  it('refuses loopback, private and link-local addresses without WEBHOOK_ALLOW_PRIVATE_URLS', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hooks',
      'http://localhost/hooks',
      'http://api.localhost/hooks',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.1.10/',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/',
      'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
    ]) {
      const res = await account.post('/v1/webhook-endpoints', { url, events: ['booking.created'] })
      expect(res.status, url).toBe(400)
      expect(res.body.errors[0].pointer, url).toBe('/body/url')
    }
    const created = await account.post('/v1/webhook-endpoints', {
      url: 'https://93.184.215.14/hooks',
      events: ['booking.created'],
    })
    expect(created.status).toBe(201)
    const moved = await account.patch(`/v1/webhook-endpoints/${created.body.id}`, { url: 'http://10.0.0.1/' })
    expect(moved.status).toBe(400)
  })

  it('accepts a loopback URL when the configuration allows it', async () => {
    const local = await createTestApp({ config: { webhookAllowPrivateUrls: true } })
    try {
      const a = await local.createAccount()
      const res = await a.post('/v1/webhook-endpoints', {
        url: 'http://127.0.0.1:9999/hooks',
        events: ['booking.created'],
      })
      expect(res.status).toBe(201)
    } finally {
      await local.close()
    }
  })
})

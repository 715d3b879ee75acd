// Accounts and API keys: admin creation, keys shown once and stored hashed, revocation, authentication errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashToken } from '../../../src/secrets.js'
import { createTestApp, type TestApp } from '../../helpers/app.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

describe('accounts', () => {
  it('creates an account with the admin token and returns its first API key once', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/accounts',
      headers: { authorization: `Bearer ${t.adminToken}` },
      payload: { name: 'Northwind Assistants' },
    })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body.account.name).toBe('Northwind Assistants')
    expect(body.apiKey.key).toMatch(/^oh_key_[A-Za-z0-9_-]{43}$/)
    const stored = await t.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', body.apiKey.id)
      .executeTakeFirstOrThrow()
    expect(stored.key_hash).toBe(hashToken(body.apiKey.key))
    expect(JSON.stringify(stored)).not.toContain(body.apiKey.key)

    const me = await t.app.inject({
      method: 'GET',
      url: '/v1/api-keys',
      headers: { authorization: `Bearer ${body.apiKey.key}` },
    })
    expect(me.statusCode).toBe(200)
    expect(me.body).not.toContain(body.apiKey.key)
    expect(me.json().data).toEqual([
      expect.objectContaining({ id: body.apiKey.id, prefix: body.apiKey.key.slice(0, 12) }),
    ])
  })

  it('refuses account creation without the admin token or with an API key', async () => {
    const account = await t.createAccount()
    for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${account.apiKey}`, 'Basic abc']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/admin/v1/accounts',
        headers: authorization ? { authorization } : {},
        payload: { name: 'x' },
      })
      expect(res.statusCode).toBe(401)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json().code).toBe('unauthorized')
    }
  })

  it('validates the account name', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/accounts',
      headers: { authorization: `Bearer ${t.adminToken}` },
      payload: { name: '' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ pointer: '/body/name', message: expect.any(String) }])
  })
})

describe('API keys', () => {
  it('creates a second key, lists both by prefix, and a revoked key stops working at once', async () => {
    const account = await t.createAccount()
    const created = await account.post('/v1/api-keys', { name: 'CRM integration' })
    expect(created.status).toBe(201)
    const second = created.body.key as string

    const list = await account.get('/v1/api-keys')
    expect(list.body.data.map((k: { name: string }) => k.name)).toEqual(['default', 'CRM integration'])
    expect(list.text).not.toContain(second)

    const withSecond = await t.app.inject({
      method: 'GET',
      url: '/v1/assistants',
      headers: { authorization: `Bearer ${second}` },
    })
    expect(withSecond.statusCode).toBe(200)

    expect((await account.delete(`/v1/api-keys/${created.body.id}`)).status).toBe(204)
    const afterRevoke = await t.app.inject({
      method: 'GET',
      url: '/v1/assistants',
      headers: { authorization: `Bearer ${second}` },
    })
    expect(afterRevoke.statusCode).toBe(401)
    expect((await account.get('/v1/api-keys')).body.data[1].revokedAt).not.toBeNull()
    expect((await account.delete(`/v1/api-keys/${created.body.id}`)).status).toBe(404)
  })

  it('answers 401 problems for a missing, malformed or unknown key', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer' },
      { authorization: 'Token abc' },
      { authorization: 'Bearer oh_key_nope' },
    ]) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/clients', headers })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized', title: 'Unauthorized' })
    }
  })

  it('cannot revoke another account’s key', async () => {
    const a = await t.createAccount()
    const b = await t.createAccount()
    const keyOfB = (await b.get('/v1/api-keys')).body.data[0].id
    expect((await a.delete(`/v1/api-keys/${keyOfB}`)).status).toBe(404)
    expect((await b.get('/v1/api-keys')).body.data[0].revokedAt).toBeNull()
  })
})

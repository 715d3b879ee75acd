// OpenAPI (committed, fresh, valid, complete), Swagger UI, health, readiness, metrics, request ids.
import { readFileSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPENAPI_FILE } from '../../../scripts/generate-openapi.js'
import { type AccountClient, createTestApp, type TestApp } from '../../helpers/app.js'

let t: TestApp
let account: AccountClient
beforeAll(async () => {
  t = await createTestApp()
  account = await t.createAccount()
})
afterAll(() => t.close())

describe('OpenAPI', () => {
  it('the committed openapi/openapi.json is what the app serves (run `npm run openapi` when this fails)', async () => {
    const served = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).body
    expect(`${JSON.stringify(JSON.parse(served), null, 2)}\n`).toBe(readFileSync(OPENAPI_FILE, 'utf8'))
  })

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator()
    const result = await validator.validate(JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')))
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('documents every route with tags, a summary, described fields and its error responses', () => {
    const spec = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'))
    const undocumented: string[] = []
    for (const [path, operations] of Object.entries<Record<string, Record<string, unknown>>>(spec.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`
        if (!Array.isArray(op.tags) || op.tags.length === 0) undocumented.push(`${where}: tags`)
        if (typeof op.summary !== 'string') undocumented.push(`${where}: summary`)
        const responses = op.responses as Record<string, { content?: Record<string, unknown> }>
        if (path.startsWith('/v1/') && !responses['401']?.content?.['application/problem+json']) {
          undocumented.push(`${where}: 401 problem`)
        }
        const parameters = (op.parameters ?? []) as { name: string; in: string }[]
        if (
          path.startsWith('/v1/') &&
          method === 'post' &&
          !parameters.some((p) => p.in === 'header' && p.name === 'idempotency-key')
        ) {
          undocumented.push(`${where}: Idempotency-Key header`)
        }
        walk(op, (node, at) => {
          const props = (node as { properties?: Record<string, { description?: string; $ref?: string }> })
            .properties
          for (const [name, schema] of Object.entries(props ?? {})) {
            if (!schema.description && !schema.$ref) undocumented.push(`${where} ${at}/${name}: description`)
          }
        })
      }
    }
    walk(spec.components.schemas, (node, at) => {
      const props = (node as { properties?: Record<string, { description?: string; $ref?: string }> })
        .properties
      for (const [name, schema] of Object.entries(props ?? {})) {
        if (!schema.description && !schema.$ref) undocumented.push(`components ${at}/${name}: description`)
      }
    })
    expect(undocumented).toEqual([])
    for (const path of [
      '/v1/assistants',
      '/v1/clients/{id}',
      '/v1/clients/{clientId}/contacts/{id}',
      '/v1/meeting-types',
      '/admin/v1/accounts',
    ]) {
      expect(Object.keys(spec.paths)).toContain(path)
    }
  })

  it('serves Swagger UI at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('swagger-ui')
    const init = await t.app.inject({ method: 'GET', url: '/docs/json' })
    expect(init.statusCode).toBe(200)
    expect(init.json().openapi).toBe('3.1.0')
  })
})

describe('operations', () => {
  it('reports liveness and readiness with the database migrated', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' })
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready' })
  })

  it('exposes Prometheus request counts and latencies by route template, never by raw URL', async () => {
    const created = await account.post('/v1/assistants', {
      name: 'M',
      email: 'm@example.com',
      timeZone: 'UTC',
      officeHours: { weekly: [] },
    })
    await account.get(`/v1/assistants/${created.body.id}`)
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(metrics).toMatch(
      /http_requests_total\{method="GET",route="\/v1\/assistants\/:id",status_code="200"\} 1/,
    )
    expect(metrics).toMatch(
      /http_request_duration_seconds_bucket\{le="0.1",method="POST",route="\/v1\/assistants"/,
    )
    expect(metrics).not.toContain(created.body.id)
    expect(metrics).toContain('process_resident_memory_bytes')
  })

  it('answers with a request id, taking a well-formed one from the caller', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'trace-123' },
    })
    expect(res.headers['x-request-id']).toBe('trace-123')
    const generated = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'bad id with spaces' },
    })
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })
})

function walk(node: unknown, visit: (node: object, at: string) => void, at = ''): void {
  if (!node || typeof node !== 'object') return
  visit(node, at)
  for (const [key, child] of Object.entries(node)) {
    if (key === 'properties' && child && typeof child === 'object') {
      for (const [name, schema] of Object.entries(child)) walk(schema, visit, `${at}/${name}`)
    } else if (key !== 'examples') {
      walk(child, visit, at)
    }
  }
}

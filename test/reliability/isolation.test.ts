// Tenant isolation over HTTP against a real server process: two accounts with one of everything (people, meeting
// types, bookings, a link and a manage token, a webhook endpoint with a delivery, a calendar connected through the
// emulators' OAuth). Account B calls every /v1 route of the OpenAPI document with account A's ids in the path, in
// the query and in the body: the path answers 404, the references a documented 4xx (or an empty list), and no id,
// name, email, token or other data of A appears in any answer's body or headers. A's data is unchanged after.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AccountIds,
  idsFor,
  LIST_PATHS,
  type OpenApiDocument,
  routesWithPathIds,
  v1Operations,
} from '../helpers/isolation-routes.js'
import { type PopulatedAccount, populateTwoAccounts } from '../helpers/live-account.js'
import {
  type HttpAccount,
  type HttpResponse,
  type LiveServer,
  startLiveServer,
} from '../helpers/live-server.js'
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js'

const spec = JSON.parse(
  readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'),
) as OpenApiDocument

// biome-ignore lint/suspicious/noExplicitAny: JSON schemas of the document are read freely
type Schema = Record<string, any>

interface Case {
  kind: 'path id' | 'path id in capitals' | 'mixed path ids' | 'query id' | 'body id' | 'no id'
  method: string
  path: string
  url: string
  body?: unknown
  /** What B may be answered. */
  expect: 'not found' | 'refused' | 'empty list or refused' | 'success'
}

let server: LiveServer
let receiver: WebhookReceiver
let a: HttpAccount
let b: HttpAccount
let ofA: PopulatedAccount
let ofB: PopulatedAccount
/** A's calendar in the Google emulator; B's is in the Microsoft one. */
let calendarOfA: string

beforeAll(async () => {
  server = await startLiveServer({ env: { ROLE: 'all', LOG_LEVEL: 'warn' } })
  receiver = await startWebhookReceiver()
  ;({ a, b, ofA, ofB } = await populateTwoAccounts(server, receiver.url, ['Aurelia', 'Bertram']))
  calendarOfA = (await a.get(`/v1/connections/${ofA.ids.connection}/calendars`)).body.data[0].id
}, 180_000)

afterAll(async () => {
  await receiver?.close()
  await server?.stop()
})

/** Every string that is A's: ids, tokens, keys, secrets, names, emails, URLs, the calendar and its account. */
function dataOfA(): string[] {
  const found = new Set<string>([
    a.accountId,
    a.apiKey,
    ofA.secondKey,
    ofA.linkToken,
    ofA.manageToken,
    ofA.webhookSecret,
    calendarOfA,
    ...Object.values(ofA.ids),
  ])
  const ofBToo = new Set<string>()
  const collect = (value: unknown, key: string, into: Set<string>) => {
    if (typeof value === 'string') {
      const wanted =
        /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(value) ||
        /aurelia/i.test(value) ||
        /^(id|.*Id|token|manageToken|secret|key|prefix|url|manageUrl|icsUrl|accountEmail|email|name|notes|description)$/.test(
          key,
        )
      if (wanted && value.length >= 8) into.add(value)
    } else if (Array.isArray(value)) {
      for (const item of value) collect(item, key, into)
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) collect(v, k, into)
    }
  }
  for (const answer of ofA.answers) collect(answer, '', found)
  for (const answer of ofB.answers) collect(answer, '', ofBToo)
  // Values both accounts were given alike (a meeting type's default name, a shared description) are no one's.
  return [...found].filter((s) => !ofBToo.has(s))
}

function pathWith(path: string, ids: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name]!)
}

/** Queries that pass validation for B, per route that requires one. */
function baseQuery(path: string): Record<string, string> {
  const from = ofB.slotStarts[0]!.slice(0, 10)
  const to = new Date(Date.parse(from) + 7 * 86_400_000).toISOString().slice(0, 10)
  if (path === '/v1/availability')
    return { meetingTypeId: ofB.ids.meetingType, from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` }
  if (path === '/v1/availability/explain')
    return { meetingTypeId: ofB.ids.meetingType, start: ofB.slotStarts[3]! }
  if (path.endsWith('/busy')) return { from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` }
  return {}
}

/** Bodies that B's own request would succeed with, for every route whose body can name a resource. */
function baseBody(method: string, path: string): Record<string, unknown> | undefined {
  const week = { weekly: [{ days: ['mon'], start: '09:00', end: '17:00' }] }
  const bodies: Record<string, Record<string, unknown>> = {
    'post /v1/clients': {
      assistantId: ofB.ids.assistant,
      name: 'Bertram second client',
      email: 'bertram.second@exec.example',
      timeZone: 'Europe/Berlin',
      businessHours: week,
    },
    'patch /v1/clients/{id}': { assistantId: ofB.ids.assistant },
    'post /v1/meeting-types': { clientId: ofB.ids.client, name: 'Bertram second type' },
    'post /v1/bookings': {
      meetingTypeId: ofB.ids.meetingType,
      start: ofB.slotStarts[4],
      contactId: ofB.ids.contact,
    },
    'post /v1/booking-links': { meetingTypeId: ofB.ids.meetingType, contactId: ofB.ids.contact },
    'post /v1/assistants': {
      name: 'Bertram second assistant',
      email: 'bertram.second.assistant@va.example',
      timeZone: 'Europe/Berlin',
      officeHours: week,
    },
    'post /v1/api-keys': { name: 'Bertram third key' },
    'post /v1/webhook-endpoints': { url: `${receiver.url}/b2`, events: ['booking.created'] },
  }
  return bodies[`${method} ${path}`]
}

const ID_KIND: Record<string, keyof AccountIds> = {
  assistantId: 'assistant',
  clientId: 'client',
  contactId: 'contact',
  meetingTypeId: 'meetingType',
}

function uuidProperties(schema: Schema | undefined): string[] {
  return Object.entries<Schema>(schema?.properties ?? {})
    .filter(([, sub]) => sub.format === 'uuid' || sub.anyOf?.some((s: Schema) => s.format === 'uuid'))
    .map(([name]) => name)
}

function cases(): Case[] {
  const out: Case[] = []
  const covered = new Set<string>()
  const add = (c: Case) => {
    out.push(c)
    covered.add(`${c.method} ${c.path}`)
  }
  for (const route of routesWithPathIds(spec, ofA.ids))
    add({ kind: 'path id', ...route, expect: 'not found' })
  // The same ids in capitals: PostgreSQL reads them as the same UUIDs, so they must be refused just the same.
  const upper = Object.fromEntries(
    Object.entries(ofA.ids).map(([k, v]) => [k, v.toUpperCase()]),
  ) as AccountIds
  for (const route of routesWithPathIds(spec, upper))
    add({ kind: 'path id in capitals', ...route, expect: 'not found' })

  for (const { path, method, operation } of v1Operations(spec)) {
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
    const own = names.length > 0 ? idsFor(path, ofB.ids) : {}
    const query = new URLSearchParams(baseQuery(path)).toString()
    const base = baseBody(method, path)
    const someBody = method === 'get' || method === 'delete' ? undefined : (base ?? {})

    // B's own path with one of A's ids in place of one of B's.
    if (names.length > 1) {
      for (const name of names) {
        const ids = { ...own, [name]: idsFor(path, ofA.ids)[name]! }
        add({
          kind: 'mixed path ids',
          method,
          path,
          url: pathWith(path, ids),
          body: someBody,
          expect: 'not found',
        })
      }
    }

    for (const p of operation.parameters ?? []) {
      const kind = ID_KIND[p.name]
      if (p.in !== 'query' || !kind) continue
      const params = new URLSearchParams(baseQuery(path))
      params.set(p.name, ofA.ids[kind])
      const isList = path === '/v1/clients' || path === '/v1/meeting-types' || path === '/v1/booking-links'
      add({
        kind: 'query id',
        method,
        path,
        url: `${pathWith(path, own)}?${params}`,
        expect: isList || path === '/v1/bookings' ? 'empty list or refused' : 'refused',
      })
    }

    const schema = operation.requestBody?.content['application/json']?.schema as Schema | undefined
    for (const field of uuidProperties(schema)) {
      if (!base)
        throw new Error(`${method} ${path} names a resource in ${field}: give B a body in baseBody()`)
      add({
        kind: 'body id',
        method,
        path,
        url: pathWith(path, own),
        body: { ...base, [field]: ofA.ids[ID_KIND[field]!] },
        expect: 'refused',
      })
    }
    if (method === 'patch' && path === '/v1/connections/{id}') {
      for (const body of [{ busyCalendarIds: [calendarOfA] }, { destinationCalendarId: calendarOfA }])
        add({ kind: 'body id', method, path, url: pathWith(path, own), body, expect: 'refused' })
    }

    // Routes that name nothing of A's are still called by B: their answers must not show A's data either.
    if (!covered.has(`${method} ${path}`) && names.length === 0)
      add({
        kind: 'no id',
        method,
        path,
        url: `${path}${query ? `?${query}` : ''}`,
        body: someBody,
        expect: 'success',
      })
  }
  for (const { path, method } of v1Operations(spec)) {
    if (!covered.has(`${method} ${path}`)) throw new Error(`no isolation case for ${method} ${path}`)
  }
  return out
}

function answered(c: Case, res: HttpResponse): string | null {
  const ok = (() => {
    switch (c.expect) {
      case 'not found':
        return res.status === 404 || (c.kind === 'path id in capitals' && res.status === 400)
      case 'refused':
        return res.status === 400 || res.status === 404
      case 'empty list or refused':
        return (
          (res.status === 200 && Array.isArray(res.body?.data) && res.body.data.length === 0) ||
          res.status === 400 ||
          res.status === 404
        )
      case 'success':
        return res.status >= 200 && res.status < 300
    }
  })()
  return ok
    ? null
    : `${c.kind}: ${c.method.toUpperCase()} ${c.url} answered ${res.status} (${c.expect} expected): ${res.text.slice(0, 300)}`
}

/** A's resources as A sees them, without what the worker changes by itself (sync states, last sync, last use). */
async function snapshotOfA() {
  const volatile = new Set([
    'sync',
    'lastSyncedAt',
    'updatedAt',
    'channelExpiresAt',
    'syncMode',
    'lastUsedAt',
    'syncedAt',
    'status',
  ])
  const strip = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(strip)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value)
              .filter(([k]) => !volatile.has(k))
              .map(([k, v]) => [k, strip(v)]),
          )
        : value
  const id = ofA.ids
  const urls = [
    `/v1/assistants/${id.assistant}`,
    `/v1/clients/${id.client}`,
    `/v1/clients/${id.client}/contacts/${id.contact}`,
    `/v1/meeting-types/${id.meetingType}`,
    '/v1/api-keys',
    `/v1/connections/${id.connection}`,
    `/v1/connections/${id.connection}/calendars`,
    `/v1/bookings/${id.booking}`,
    '/v1/bookings',
    `/v1/booking-links/${id.bookingLink}`,
    `/v1/webhook-endpoints/${id.webhookEndpoint}`,
  ]
  const out: Record<string, unknown> = {}
  for (const url of urls) {
    const res = await a.get(url)
    out[url] = { status: res.status, body: strip(res.body) }
  }
  out.manage = strip((await server.request('GET', `/public/v1/manage/${ofA.manageToken}`)).body)
  out.link = (await server.request('GET', `/public/v1/links/${ofA.linkToken}`)).status
  return out
}

describe('tenant isolation over HTTP', () => {
  it('answers another account’s ids with 404 or a 4xx and shows none of its data, on every /v1 route', async () => {
    const watched = dataOfA()
    // The detector is not blind: A's own answers are full of what it watches for.
    for (const url of [`/v1/clients/${ofA.ids.client}`, `/v1/connections/${ofA.ids.connection}/calendars`]) {
      const own = await a.get(url)
      expect(watched.filter((s) => own.text.includes(s)).length, url).toBeGreaterThan(0)
    }
    const all = cases()
    const before = await snapshotOfA()
    const failures: string[] = []
    const byKind = new Map<string, number>()
    const statuses = new Map<number, number>()
    let bytes = 0
    const started = Date.now()
    for (const c of all) {
      const res = await b.request(c.method.toUpperCase(), c.url, c.body === undefined ? {} : { json: c.body })
      byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1)
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      const wrong = answered(c, res)
      if (wrong) failures.push(wrong)
      const seen = `${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${res.text}`
      bytes += seen.length
      const leaked = watched.filter((s) => seen.includes(s))
      if (/aurelia/i.test(seen)) leaked.push('the label "Aurelia"')
      if (leaked.length > 0)
        failures.push(`${c.kind}: ${c.method.toUpperCase()} ${c.url} showed A's ${leaked.join(', ')}`)
    }
    const after = await snapshotOfA()
    const operations = v1Operations(spec).length
    console.log(
      `isolation: ${all.length} calls by B with A's ids over ${operations} /v1 operations in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
        `(${[...byKind.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}); answers ${[...statuses.entries()]
          .sort(([x], [y]) => x - y)
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}; ${watched.length} strings of A (ids, tokens, keys, secret, names, emails, calendar) ` +
        `watched in ${(bytes / 1024).toFixed(0)} KiB of B's answers (bodies and headers); ${failures.length} failures; ` +
        `A's data ${JSON.stringify(after) === JSON.stringify(before) ? 'unchanged' : 'CHANGED'}`,
    )
    if (failures.length > 0) console.log(failures.join('\n'))
    expect(failures).toEqual([])
    expect(after).toEqual(before)
    expect(operations).toBeGreaterThanOrEqual(50)
    expect(watched.length).toBeGreaterThan(30)
  })

  it('lists B’s own resources, its webhook deliveries included, without any of A’s', async () => {
    const watched = dataOfA()
    for (const url of [
      ...LIST_PATHS,
      `/v1/webhook-endpoints/${ofB.ids.webhookEndpoint}/deliveries`,
      `/v1/clients/${ofB.ids.client}/contacts`,
      `/v1/clients/${ofB.ids.client}/connections`,
    ]) {
      const res = await b.get(url)
      expect(res.status, url).toBe(200)
      expect(res.body.data.length, url).toBeGreaterThan(0)
      expect(
        watched.filter((s) => res.text.includes(s)),
        url,
      ).toEqual([])
    }
    // Each account's events reached the receiver, and none carried the other's booking along.
    const toB = receiver.received.filter((r) => r.body.includes(ofB.ids.booking))
    expect(toB.length).toBeGreaterThan(0)
    for (const delivery of toB) expect(watched.filter((s) => delivery.body.includes(s))).toEqual([])
  })
})

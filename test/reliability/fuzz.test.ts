// Bad input over HTTP: every route of openapi/openapi.json, and the routes outside it (/webhooks/*, the booking and
// manage pages, /metrics, unknown ones), fuzzed with seeded requests derived from the document's schemas and then
// broken in every way we could think of, against a real server process. No 5xx, every 4xx a problem document
// (`type`, `title`, `status` equal to the HTTP status) without a stack trace, and the process is alive at the end.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BODY_LIMIT_BYTES } from '../../src/app.js'
import { type AccountIds, idsFor, type OpenApiDocument } from '../helpers/isolation-routes.js'
import { populateAccount } from '../helpers/live-account.js'
import { type HttpAccount, type LiveServer, startLiveServer } from '../helpers/live-server.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261129)
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_400)
const CONCURRENCY = 8

const spec = JSON.parse(
  readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'),
) as OpenApiDocument & { components: { schemas: Record<string, Schema> } }

// biome-ignore lint/suspicious/noExplicitAny: JSON schemas of the document are read freely
type Schema = Record<string, any>

interface Route {
  method: string
  path: string
  /** The operation of the document; none for the routes outside it. */
  operation?: Schema
  kind: 'v1' | 'admin' | 'public' | 'open' | 'oauth' | 'provider' | 'page' | 'unknown'
}

/** Seeded draws from fast-check (`fc.gen`): each request is a pure function of the seed and its number. */
function random(seed: number) {
  const g = fc.sample(fc.gen(), { seed, numRuns: 1 })[0]!
  // Unbiased: fast-check leans towards small and extreme values by default, which would skew every chance().
  const int = (min: number, max: number) =>
    g((lo, hi) => fc.noBias(fc.integer({ min: lo, max: hi })), min, max)
  const next = () => int(0, 999_999) / 1_000_000
  return {
    next,
    chance: (p: number) => next() < p,
    int,
    pick: <T>(list: readonly T[]): T => list[int(0, list.length - 1)]!,
  }
}
type Rand = ReturnType<typeof random>

// Pools of hostile values, drawn once from fast-check with the seed.
const NASTY_STRINGS = [
  ...fc.sample(fc.string({ unit: 'binary', maxLength: 40 }), { seed: SEED, numRuns: 150 }),
  ...fc.sample(fc.string({ unit: 'grapheme', maxLength: 30 }), { seed: SEED + 1, numRuns: 100 }),
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u001f\u007f',
  '\r\n\r\nX-Injected: 1',
  '\u202etxt.exe',
  '\ud800',
  '\udfff\ud800',
  '\ufeff',
  '💥'.repeat(300),
  'Z̷̧̛̗͓͚͍̈́̀a̸̢̛̱̰̔̈́l̴̡̛̜̟̈́g̵̡̛̝̅o̸̢̧̓̈',
  "' OR 1=1 --",
  '"; DROP TABLE bookings; --',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style string, as an attacker sends it
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '%00%0a',
  '__proto__',
  'constructor',
  'NaN',
  '-0',
  '1e999',
]
const JSON_VALUES = fc.sample(fc.jsonValue({ maxDepth: 3 }), { seed: SEED + 2, numRuns: 200 })
const GARBAGE_IDS = [
  'not-a-uuid',
  '0',
  '-1',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '0196a0b0-0000-7000-8000-00000000000g',
  '{0196a0b0-0000-7000-8000-000000000000}',
  '%00',
  '%2e%2e%2f%2e%2e%2fadmin',
  '..',
  'x'.repeat(600),
  '%E2%80%AE',
  '%F0%9F%92%A5',
  '%ff%fe',
  "'%20OR%201=1",
  'null',
  'undefined',
  '1e9',
]
const BAD_CURSORS = [
  'garbage',
  'YWZ0ZXI6bm90LWEtdXVpZA',
  Buffer.from('after:00000000-0000-0000-0000-000000000000').toString('base64url'),
  Buffer.from('{"id":1}').toString('base64url'),
  '%00%01',
  'x'.repeat(600),
  '====',
  '-_-_',
]
// Instants: DST changes (Europe 2026-03-29 / 2026-10-25 / 2027-03-28, US 2026-11-01 / 2027-03-14), wall-clock times
// without an offset, odd offsets, impossible dates, leap seconds, and the ends of what a Date or PostgreSQL holds.
const HOSTILE_TIMES = [
  '2026-03-29T01:00:00Z',
  '2026-03-29T02:30:00',
  '2026-03-29T02:30:00+01:00',
  '2026-10-25T00:30:00Z',
  '2026-10-25T02:30:00+02:00',
  '2026-10-25T02:30:00+01:00',
  '2026-11-01T01:30:00-04:00',
  '2026-11-01T01:30:00-05:00',
  '2027-03-14T02:30:00-05:00',
  '2027-03-28T01:00:00Z',
  '2027-03-28T02:30:00+01:00',
  '2027-10-31T01:30:00+01:00',
  '2026-12-02T10:00:00+14:00',
  '2026-12-02T10:00:00-12:00',
  '2026-12-02T10:00:00+25:00',
  '2026-12-02T10:00:00.123456789Z',
  '2026-12-02t10:00:00z',
  '2026-12-02 10:00:00Z',
  '2026-12-02',
  '2026-02-30T10:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-06-30T23:59:60Z',
  '2026-12-02T24:00:00Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1900-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2038-01-19T03:14:08Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '4713-01-01T00:00:00Z',
  '294277-01-01T00:00:00Z',
  'now',
  'tomorrow',
  '1764979200',
]
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'UTC',
  'Etc/GMT+12',
  'Mars/Olympus',
  'europe/berlin',
  'Europe/Berlinn',
  '+01:00',
  'EST5EDT',
  '../../../etc/localtime',
]
const RRULES = [
  'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
  'FREQ=DAILY;COUNT=3',
  'DTSTART:20261201T000000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
  'FREQ=MONTHLY;BYMONTHDAY=31',
  'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29',
  'FREQ=HOURLY',
  'FREQ=SECONDLY;INTERVAL=1',
  'FREQ=DAILY;UNTIL=99991231T000000Z',
  'FREQ=DAILY;COUNT=999999999',
  'FREQ=WEEKLY;BYDAY=XX',
  'RRULE:FREQ=DAILY',
  '',
]

let server: LiveServer
let a: HttpAccount
let b: HttpAccount
let ofA: AccountIds
let ofB: AccountIds
/** A's resources that DELETE requests take, so that the ones the other routes use stay alive all run long. */
let spare: AccountIds
let revokedKey: string
let linkToken: string
let manageToken: string
let otherLinkToken: string
let slotStarts: string[] = []

function routes(): Route[] {
  const out: Route[] = []
  for (const [path, operations] of Object.entries(spec.paths)) {
    const kind: Route['kind'] = path.startsWith('/v1/')
      ? 'v1'
      : path.startsWith('/admin/')
        ? 'admin'
        : path.startsWith('/public/')
          ? 'public'
          : path.startsWith('/oauth/')
            ? 'oauth'
            : 'open'
    for (const [method, operation] of Object.entries(operations)) out.push({ method, path, operation, kind })
  }
  // Outside the document: provider notifications, pages, operations, and what does not exist.
  for (const path of ['/webhooks/google', '/webhooks/microsoft', '/webhooks/microsoft/lifecycle'])
    out.push({ method: 'post', path, kind: 'provider' })
  out.push(
    { method: 'get', path: '/b/{token}', kind: 'page' },
    { method: 'get', path: '/m/{token}', kind: 'page' },
  )
  for (const path of ['/metrics', '/openapi.json', '/docs', '/assets/booking.js', '/assets/booking.css'])
    out.push({ method: 'get', path, kind: 'open' })
  out.push(
    { method: 'get', path: '/v1/nothing-here', kind: 'unknown' },
    { method: 'put', path: '/v1/assistants/{id}', kind: 'unknown' },
    { method: 'options', path: '/v1/bookings', kind: 'unknown' },
    { method: 'delete', path: '/admin/v1/accounts', kind: 'unknown' },
    { method: 'get', path: '/', kind: 'unknown' },
  )
  return out
}

function resolve(schema: Schema): Schema {
  const ref = schema.$ref as string | undefined
  return ref ? spec.components.schemas[ref.split('/').at(-1)!]! : schema
}

/** The future weekday slots of the populated meeting type, and instants around DST changes. */
function instant(r: Rand): string {
  if (r.chance(0.6) && slotStarts.length > 0) return r.pick(slotStarts)
  if (r.chance(0.5)) return r.pick(HOSTILE_TIMES.slice(0, 16))
  return new Date(Date.now() + r.int(-40, 400) * 86_400_000 + r.int(0, 47) * 1_800_000).toISOString()
}

function idFor(key: string | undefined, ids: AccountIds, r: Rand): string {
  const byKey: Record<string, keyof AccountIds> = {
    assistantId: 'assistant',
    clientId: 'client',
    contactId: 'contact',
    meetingTypeId: 'meetingType',
    connectionId: 'connection',
    bookingId: 'booking',
  }
  const kind = key ? byKey[key] : undefined
  return kind ? ids[kind] : r.pick(Object.values(ids))
}

/** A value that satisfies `schema` (mostly): the valid-looking request the mutations start from. */
function valid(schemaIn: Schema, r: Rand, key?: string, depth = 0): unknown {
  const schema = resolve(schemaIn)
  if (schema.anyOf) return valid(r.pick(schema.anyOf as Schema[]), r, key, depth)
  if (schema.const !== undefined) return schema.const
  if (schema.enum) return r.pick(schema.enum as unknown[])
  const type = Array.isArray(schema.type) ? r.pick(schema.type as string[]) : schema.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      const required = new Set<string>(schema.required ?? [])
      for (const [name, sub] of Object.entries<Schema>(schema.properties ?? {})) {
        if (required.has(name) || (depth < 4 && r.chance(0.5))) out[name] = valid(sub, r, name, depth + 1)
      }
      return out
    }
    case 'array': {
      const min = schema.minItems ?? 0
      const n = r.int(min, Math.min(schema.maxItems ?? min + 3, min + 3))
      return Array.from({ length: n }, () => valid(schema.items ?? {}, r, key, depth + 1))
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? 0
      return r.int(min, Math.min(schema.maximum ?? min + 120, min + 600))
    }
    case 'boolean':
      return r.chance(0.5)
    case 'null':
      return null
    default:
      return validString(schema, r, key)
  }
}

function validString(schema: Schema, r: Rand, key?: string): string {
  const ids = r.chance(0.9) ? ofA : ofB
  if (schema.format === 'uuid') return idFor(key, ids, r)
  if (schema.format === 'date-time') return instant(r)
  if (schema.format === 'email') return `fuzz${r.int(1, 1e6)}@example.com`
  if (key === 'url')
    return r.pick(['https://hooks.example.com/x', 'http://127.0.0.1:9/hook', 'https://10.0.0.1/x'])
  if (key === 'timeZone' || key === 'contactTimeZone') return r.pick(ZONES.slice(0, 8))
  if (key === 'rrule') return r.pick(RRULES.slice(0, 5))
  if (key === 'date') return r.pick(['2026-12-24', '2027-03-28', '2026-10-25', '2027-02-29'])
  if (schema.pattern?.includes('24:00')) return r.pick(['00:00', '08:30', '09:00', '12:00', '17:00', '24:00'])
  if (Array.isArray(schema.examples) && r.chance(0.5)) return String(schema.examples[0])
  const min = schema.minLength ?? 0
  const length = r.int(Math.max(min, 1), Math.max(min, Math.min(schema.maxLength ?? 24, 24)))
  return `fuzz ${'x'.repeat(length)}`.slice(0, Math.max(length, min))
}

function hostileValue(r: Rand): unknown {
  switch (r.int(0, 6)) {
    case 0:
      return r.pick(NASTY_STRINGS)
    case 1:
      return r.pick(JSON_VALUES)
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MIN_VALUE])
    case 3:
      return r.pick(HOSTILE_TIMES)
    case 4:
      return r.pick([null, true, false, [], {}, [null], { '': '' }])
    case 5:
      return r.pick(ZONES.concat(RRULES))
    default:
      return r.pick(GARBAGE_IDS)
  }
}

/** Object paths of a value, so a mutation can land anywhere in it. */
function slots(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const here = [...at, Array.isArray(value) ? Number(k) : k]
      out.push(here)
      slots(v, here, out)
    }
  }
  return out
}

function setAt(
  root: unknown,
  path: (string | number)[],
  fn: (parent: Record<string, unknown>, key: string) => void,
) {
  let node = root as Record<string, unknown>
  for (const step of path.slice(0, -1)) node = node[step as string] as Record<string, unknown>
  fn(node, String(path.at(-1)))
}

/** JSON text nested `depth` levels deep (as text: JSON.stringify itself would overflow the stack). */
function deeplyNested(depth: number, r: Rand): string {
  const open = Array.from({ length: depth }, () => (r.chance(0.5) ? '[' : '{"a":'))
  const close = [...open].reverse().map((o) => (o === '[' ? ']' : '}'))
  return `${open.join('')}1${close.join('')}`
}

interface Generated {
  method: string
  url: string
  headers: Record<string, string>
  body?: string | Uint8Array
  strategy: string
}

/** Body, its content type, and the name of what was done to it. */
function body(route: Route, r: Rand): { body?: string | Uint8Array; type?: string; strategy: string } {
  const schema = route.operation?.requestBody?.content?.['application/json']?.schema as Schema | undefined
  const base = schema ? valid(schema, r) : route.kind === 'provider' ? providerBody(route, r) : undefined
  if (base === undefined && !r.chance(0.15)) return { strategy: 'none' }
  const json = (value: unknown, strategy: string) => ({
    body: JSON.stringify(value),
    type: 'application/json',
    strategy,
  })
  const doc = (base ?? {}) as Record<string, unknown>
  const paths = slots(doc)
  const roll = r.next()
  if (roll < 0.3) return json(doc, 'valid')
  if (roll < 0.4 && paths.length > 0) {
    const copy = structuredClone(doc)
    setAt(copy, r.pick(paths), (p, k) => {
      p[k] = hostileValue(r)
    })
    return json(copy, 'wrong type or value')
  }
  if (roll < 0.48 && paths.length > 0) {
    const copy = structuredClone(doc)
    setAt(copy, r.pick(paths), (p, k) => {
      if (Array.isArray(p)) p.splice(Number(k), 1)
      else delete p[k]
    })
    return json(copy, 'missing field')
  }
  if (roll < 0.54) {
    const copy = structuredClone(doc)
    const target = paths.length > 0 && r.chance(0.5) ? r.pick(paths) : null
    const key = r.pick([
      'extra',
      '__proto__',
      'constructor',
      'id',
      'accountId',
      '',
      '\u0000',
      'x'.repeat(300),
    ])
    if (target) {
      setAt(copy, target, (p, k) => {
        const v = p[k]
        if (v && typeof v === 'object' && !Array.isArray(v))
          (v as Record<string, unknown>)[key] = hostileValue(r)
        else p[k] = { [key]: hostileValue(r) }
      })
    } else copy[key] = hostileValue(r)
    // JSON.stringify drops a __proto__ set by assignment; write it into the text instead.
    const text = JSON.stringify(copy)
    return {
      body: key === '__proto__' ? text.replace(/^\{/, '{"__proto__":{"polluted":true},') : text,
      type: 'application/json',
      strategy: 'extra field',
    }
  }
  if (roll < 0.6) {
    const copy = structuredClone(doc)
    // Over the field limits mostly, over the 1 MB body limit one time in eight (a 💥 is 4 bytes of UTF-8).
    const size = r.chance(0.125) ? 300_000 : r.pick([5_000, 20_000, 60_000])
    const huge = r.pick(['x', 'é', '💥', '\u0000']).repeat(size)
    if (paths.length > 0)
      setAt(copy, r.pick(paths), (p, k) => {
        p[k] = huge
      })
    else copy.huge = huge
    return json(copy, `huge string (${size} chars)`)
  }
  if (roll < 0.7) {
    const copy = structuredClone(doc)
    for (const path of paths) {
      if (r.chance(0.5))
        setAt(copy, path, (p, k) => {
          if (typeof p[k] === 'string') p[k] = r.pick(NASTY_STRINGS)
        })
    }
    return json(copy, 'unicode, NUL and control characters')
  }
  if (roll < 0.74) {
    const copy = structuredClone(doc)
    const depth = r.pick([50, 1_000, 10_000, 100_000])
    const marker = '\u0000nested\u0000'
    if (paths.length > 0 && r.chance(0.5))
      setAt(copy, r.pick(paths), (p, k) => {
        p[k] = marker
      })
    else copy.nested = marker
    const text = JSON.stringify(copy).replace(JSON.stringify(marker), deeplyNested(depth, r))
    return { body: text, type: 'application/json', strategy: `deeply nested (${depth})` }
  }
  if (roll < 0.82) {
    const text = JSON.stringify(doc)
    const broken = r.pick([
      text.slice(0, Math.max(1, Math.floor(text.length / 2))),
      `${text},`,
      text.replace(/"/g, "'"),
      `{${text}`,
      '{"a":1,"a":2}',
      '{"a":NaN}',
      '{"a":1e999999}',
      '\ufeff{}',
      '\u0000',
      '{"\\ud800":1}',
      '[',
      'null',
      '',
      '   ',
      '{"a":"\\u0000"}',
      '{"start": "2026-12-02T10:00:00Z" /* comment */}',
    ])
    return { body: broken, type: 'application/json', strategy: 'invalid JSON' }
  }
  if (roll < 0.88) {
    const type = r.pick([
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/jsonx',
      'APPLICATION/JSON',
      'application/problem+json',
      'application/vnd.api+json',
      '*/*',
      'application/octet-stream',
      'application',
      ';;;',
    ])
    return { body: JSON.stringify(doc), type, strategy: `content-type ${type}` }
  }
  if (roll < 0.92) return { body: JSON.stringify(doc), strategy: 'no content-type' }
  if (roll < 0.96) return json(r.pick([[], [doc], 42, '"text"', null, true, 'x']), 'not an object')
  const bytes = new Uint8Array(r.int(1, 2048)).map(() => r.int(0, 255))
  return {
    body: bytes,
    type: r.pick(['application/json', 'application/octet-stream']),
    strategy: 'random bytes',
  }
}

/** What Google and Microsoft send, with channels that exist or not and secrets that are wrong. */
function providerBody(route: Route, r: Rand): unknown {
  if (route.path === '/webhooks/google') return r.chance(0.5) ? undefined : {}
  const n = {
    subscriptionId: r.chance(0.5) ? randomUUID() : r.pick(GARBAGE_IDS),
    clientState: r.pick(['wrong', '', 'x'.repeat(200)]),
    changeType: 'updated',
    resource: 'Users/x/Events/y',
    ...(route.path.endsWith('lifecycle')
      ? { lifecycleEvent: r.pick(['missed', 'subscriptionRemoved', 'reauthorizationRequired', 'other']) }
      : {}),
  }
  return { value: r.chance(0.8) ? [n] : r.pick([[], [null], ['x'], [{}], 'value']) }
}

function pathParam(route: Route, name: string, r: Rand): string {
  if (r.chance(0.2)) return r.pick(GARBAGE_IDS)
  if (name === 'token') {
    const isManage = route.path.startsWith('/public/v1/manage') || route.path.startsWith('/m/')
    if (r.chance(0.15)) return r.pick(['oh_link_x', 'oh_manage_x', otherLinkToken, linkToken, manageToken])
    return isManage ? manageToken : linkToken
  }
  const ids = r.chance(0.85) ? (route.method === 'delete' ? spare : ofA) : ofB
  if (!route.path.startsWith('/v1/')) return ids.assistant
  const value = idsFor(route.path, ids)[name] ?? ids.assistant
  return r.chance(0.05) ? value.toUpperCase() : value
}

function queryValue(name: string, schema: Schema, r: Rand, from?: string): string {
  if (r.chance(0.3)) {
    if (name === 'cursor') return r.pick(BAD_CURSORS)
    if (name === 'limit') return String(r.pick([0, -1, 201, 1e9, 1.5, 'abc', '', '1e2', '0x10']))
    const v = hostileValue(r)
    return typeof v === 'string' ? v : JSON.stringify(v)
  }
  if (name === 'from' || name === 'start') return instant(r)
  if (name === 'to') {
    const start = Date.parse(from ?? '') || Date.parse(instant(r)) || 0
    const end = new Date(start + (r.chance(0.9) ? r.int(1, 14) : r.int(-2, 70)) * 86_400_000)
    // Past the last instant a Date holds (a `from` of +275760-09-13): the same edge, as text.
    return Number.isNaN(end.getTime()) ? '+275760-09-13T00:00:00Z' : end.toISOString()
  }
  if (name === 'cursor') return ''
  return String(valid(schema, r, name))
}

function query(route: Route, r: Rand): string {
  const params = new URLSearchParams()
  for (const p of (route.operation?.parameters ?? []) as Schema[]) {
    if (p.in !== 'query') continue
    if (p.required ? r.chance(0.92) : r.chance(0.4))
      params.append(p.name, queryValue(p.name, p.schema ?? {}, r, params.get('from') ?? undefined))
    if (r.chance(0.03)) params.append(p.name, queryValue(p.name, p.schema ?? {}, r)) // repeated: an array
  }
  if (route.kind === 'provider' && route.path.startsWith('/webhooks/microsoft')) {
    if (r.chance(0.3)) params.append('validationToken', String(r.pick(NASTY_STRINGS)))
    if (r.chance(0.3)) params.append('channel', r.pick([randomUUID(), ...GARBAGE_IDS]))
  }
  if (r.chance(0.05)) params.append(r.pick(['unknown', 'accountId', '__proto__[x]', 'a[b]']), 'x')
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** Header values a client can put on the wire: printable Latin-1, nothing that splits the header. */
function headerSafe(value: string): string {
  return [...value]
    .filter((c) => {
      const code = c.charCodeAt(0)
      return c.length === 1 && ((code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff))
    })
    .join('')
}

function authorization(route: Route, r: Rand): string | undefined {
  const good =
    route.kind === 'v1'
      ? a.apiKey
      : route.kind === 'admin'
        ? server.adminToken
        : r.chance(0.5)
          ? a.apiKey
          : undefined
  if (r.chance(0.8)) return good === undefined ? undefined : `Bearer ${good}`
  return r.pick<string | undefined>([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Bearer garbage',
    `Bearer ${b.apiKey}`,
    `Bearer ${revokedKey}`,
    `Bearer ${server.adminToken}`,
    `Bearer ${a.apiKey}x`,
    `bearer ${a.apiKey}`,
    `Bearer  ${a.apiKey}  `,
    `Basic ${Buffer.from(`x:${a.apiKey}`).toString('base64')}`,
    `Bearer ${'k'.repeat(600)}`,
    `Bearer ${a.apiKey} ${b.apiKey}`,
    a.apiKey,
    `Bearer ${headerSafe(String(r.pick(NASTY_STRINGS)))}`,
  ])
}

function generate(route: Route, n: number): Generated {
  const r = random(SEED * 7919 + n)
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => pathParam(route, name, r))
  const headers: Record<string, string> = {}
  const auth = authorization(route, r)
  if (auth !== undefined) headers.authorization = auth
  const b = body(route, r)
  if (b.type) headers['content-type'] = b.type
  const idempotency = route.method === 'post' && route.kind === 'v1' ? r.next() : 1
  if (idempotency < 0.3) headers['idempotency-key'] = `fuzz-${SEED}-${n}`
  else if (idempotency < 0.4)
    headers['idempotency-key'] = r.pick([
      '',
      ' ',
      'k'.repeat(256),
      'k'.repeat(5000),
      headerSafe(String(r.pick(NASTY_STRINGS))) || 'é',
      'fuzz-reused', // the same key with other requests: 422 idempotency_key_reused, or the first answer
    ])
  if (route.kind === 'provider' && route.path === '/webhooks/google') {
    headers['x-goog-channel-id'] = r.pick([randomUUID(), ...GARBAGE_IDS, ''])
    if (r.chance(0.7)) headers['x-goog-channel-token'] = r.pick(['wrong', '', 'x'.repeat(300)])
    headers['x-goog-resource-state'] = r.pick(['sync', 'exists', 'not_exists', 'garbage'])
    if (r.chance(0.5)) headers['x-goog-resource-id'] = r.pick(['r1', ''])
  }
  if (r.chance(0.05)) headers.accept = r.pick(['text/html', 'application/xml', '*/*;q=0', 'garbage/'])
  if (r.chance(0.05)) headers['x-request-id'] = r.pick(['x'.repeat(100), 'a b', '../', 'ok-id'])
  if (r.chance(0.03)) headers['accept-language'] = r.pick(['de', 'xx-YY;q=2', '*', ',,,'])
  return {
    method: route.method.toUpperCase(),
    url: path + query(route, r),
    headers,
    body: b.body,
    strategy: b.strategy,
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0)
}

/** What is wrong with an answer, or null. */
function problemWith(route: Route, res: { status: number; type: string; text: string }): string | null {
  if (res.status >= 500) return `${res.status} answered`
  if (/\bat [^\s]+ \(?[^\s]*\.(?:ts|js):\d+/.test(res.text) || /"stack"\s*:/.test(res.text))
    return 'a stack trace in the answer'
  if (res.status < 400) return null
  // The booking and manage pages and the OAuth callbacks answer people in a browser with HTML error pages, by
  // design (README "Booking page", "Connecting Google and Microsoft calendars").
  if ((route.kind === 'page' || route.kind === 'oauth') && res.type.startsWith('text/html')) return null
  if (!res.type.startsWith('application/problem+json'))
    return `a ${res.status} that is ${res.type || 'untyped'}`
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(res.text)
  } catch {
    return `a ${res.status} problem that is not JSON`
  }
  if (typeof doc.type !== 'string' || typeof doc.title !== 'string') return 'a problem without type or title'
  if (doc.status !== res.status) return `a problem whose status ${String(doc.status)} is not ${res.status}`
  return null
}

beforeAll(async () => {
  server = await startLiveServer({ env: { ROLE: 'api', LOG_LEVEL: 'warn' } })
  a = await server.createAccount('Fuzz A')
  b = await server.createAccount('Fuzz B')
  const mainOfA = await populateAccount(server, a, { label: 'Fuzz-A', provider: 'google' })
  ;({ ids: ofA, linkToken, manageToken, slotStarts } = mainOfA)
  const ofBoth = await populateAccount(server, b, { label: 'Fuzz-B' })
  ;({ ids: ofB, linkToken: otherLinkToken } = ofBoth)
  spare = (await populateAccount(server, a, { label: 'Fuzz-A-spare', provider: 'microsoft' })).ids
  const revoked = await a.post('/v1/api-keys', { name: 'revoked' })
  await a.delete(`/v1/api-keys/${revoked.body.id}`)
  revokedKey = revoked.body.key
}, 120_000)

afterAll(async () => {
  await server?.stop()
})

describe('fuzzing every route over HTTP', () => {
  it('never answers 5xx, answers every 4xx with a problem document, and stays up', async () => {
    const all = routes()
    const order = fc.sample(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), {
      seed: SEED,
      numRuns: 1,
    })[0]!
    const byStatus = new Map<number, number>()
    const byRoute = new Map<string, Map<number, number>>()
    const byStrategy = new Map<string, number>()
    const latencies: number[] = []
    let slowest = { ms: 0, what: '' }
    const failures: string[] = []
    let sent = 0
    let bytesSent = 0
    let cutOff = 0
    const started = Date.now()

    const one = async (n: number) => {
      const route = order[n % order.length]!
      const req = generate(route, n)
      let res: { status: number; type: string; text: string }
      const t0 = performance.now()
      try {
        const answer = await fetch(`${server.baseUrl}${req.url}`, {
          method: req.method,
          headers: req.headers,
          body: req.method === 'GET' ? undefined : req.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(30_000),
        })
        res = {
          status: answer.status,
          type: answer.headers.get('content-type') ?? '',
          text: await answer.text(),
        }
      } catch (err) {
        res = {
          status: 599,
          type: '',
          text: `request failed: ${(err as Error).cause ?? (err as Error).message}`,
        }
      }
      sent++
      const bodyBytes = typeof req.body === 'string' ? Buffer.byteLength(req.body) : (req.body?.length ?? 0)
      bytesSent += bodyBytes
      // A body over the limit is refused by its Content-Length with a 413, at once, and the connection closed (as
      // nginx does): a client still uploading may only see its write fail. That is the refusal, not a failure.
      const cut =
        res.status === 599 &&
        bodyBytes > BODY_LIMIT_BYTES &&
        /EPIPE|ECONNRESET|other side closed/.test(res.text)
      if (cut) cutOff++
      const key = `${route.method.toUpperCase()} ${route.path}`
      const counts = byRoute.get(key) ?? new Map<number, number>()
      counts.set(res.status, (counts.get(res.status) ?? 0) + 1)
      byRoute.set(key, counts)
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1)
      const strategy = req.strategy.replace(/ \(.*\)$/, '')
      byStrategy.set(strategy, (byStrategy.get(strategy) ?? 0) + 1)
      const ms = performance.now() - t0
      latencies.push(ms)
      if (ms > slowest.ms) slowest = { ms, what: `${req.method} ${req.url.slice(0, 100)} [${req.strategy}]` }
      const wrong = cut ? null : problemWith(route, res)
      if (wrong && failures.length < 50)
        failures.push(
          `#${n} ${req.method} ${req.url.slice(0, 160)} [${req.strategy}] → ${wrong}: ${res.text.slice(0, 300)}`,
        )
    }

    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) await one(next++)
      }),
    )
    const seconds = (Date.now() - started) / 1000

    const health = await server.request('GET', '/healthz')
    const statusLine = [...byStatus.entries()]
      .sort(([x], [y]) => x - y)
      .map(([s, c]) => `${s}: ${c}`)
      .join(', ')
    console.log(
      `fuzz (seed ${SEED}): ${sent} requests to ${order.length} routes in ${seconds.toFixed(1)} s ` +
        `(${Math.round(sent / seconds)}/s, ${(bytesSent / 1e6).toFixed(1)} MB of bodies, concurrency ${CONCURRENCY})\n` +
        `  latency p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, slowest ${Math.round(slowest.ms)} ms: ${slowest.what}\n` +
        `  by status: ${statusLine} (599: no answer; ${cutOff} of them uploads over the ${BODY_LIMIT_BYTES / 1_048_576} MiB limit cut off by the server's early 413)\n` +
        `  by body strategy: ${[...byStrategy.entries()].map(([s, c]) => `${s} ${c}`).join(', ')}\n` +
        `  by route:\n${[...byRoute.entries()]
          .sort(([x], [y]) => x.localeCompare(y))
          .map(
            ([route, counts]) =>
              `    ${route.padEnd(66)} ${[...counts.values()].reduce((s, c) => s + c, 0)}  (${[
                ...counts.entries(),
              ]
                .sort(([x], [y]) => x - y)
                .map(([s, c]) => `${s}×${c}`)
                .join(' ')})`,
          )
          .join('\n')}\n` +
        `  process alive after the run: ${server.alive()} (/healthz ${health.status}); ${failures.length} bad answers`,
    )
    if (failures.length > 0) {
      const logged = server.child
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":50'))
      console.log(
        `${failures.join('\n')}\nserver errors (${logged.length}):\n${logged.slice(0, 10).join('\n')}`,
      )
    }
    expect(failures).toEqual([])
    expect(sent).toBeGreaterThanOrEqual(10_000)
    for (const route of order) expect(byRoute.has(`${route.method.toUpperCase()} ${route.path}`)).toBe(true)
    expect(server.alive()).toBe(true)
    expect(health.status).toBe(200)
    // Requests that got through validation did real work: the fuzzer is not only knocking on the door.
    expect([...byStatus.entries()].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0)).toBeGreaterThan(
      500,
    )
  })
})

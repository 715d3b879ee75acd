// Test harness for the Microsoft emulator: a listening emulator, a Graph SDK client on it, and a local webhook receiver.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Client } from '@microsoft/microsoft-graph-client'
import {
  createMicrosoftEmulator,
  type MicrosoftEmulator,
  type MicrosoftEmulatorOptions,
} from '../../../src/sandbox/microsoft/index.js'
import { createGraphClient, graphPathFromLink } from '../../../src/sync/microsoft-client.js'

export interface Harness {
  em: MicrosoftEmulator
  graphBase: string
  authBase: string
  /** A Graph client for the default user with a token minted directly (tests not about OAuth). */
  client: Client
  /** The current token of `client` (re-issued by reset). */
  readonly accessToken: string
  /** Empties the emulator (em.reset) and issues `client` a fresh token. */
  reset(opts?: { seed?: boolean }): void
  clientFor(getAccessToken: () => Promise<string>): Client
  close(): Promise<void>
}

export async function startHarness(opts: MicrosoftEmulatorOptions = {}): Promise<Harness> {
  const em = await createMicrosoftEmulator(opts)
  const url = await em.app.listen({ host: '127.0.0.1', port: 0 })
  em.setBaseUrl(url)
  const graphBase = em.graphBaseUrl ?? ''
  let token = em.issueTokens({ clientId: 'officehours-tests' }).access_token
  const clientFor = (getAccessToken: () => Promise<string>) =>
    createGraphClient({ baseUrl: graphBase, getAccessToken, retry: { delaySeconds: 0 } })
  return {
    em,
    graphBase,
    authBase: em.authBaseUrl ?? '',
    get accessToken() {
      return token
    },
    reset(o) {
      em.reset(o)
      token = em.issueTokens({ clientId: 'officehours-tests' }).access_token
    },
    client: clientFor(async () => token),
    clientFor,
    close: () => em.close(),
  }
}

/** Follows @odata.nextLink pages to the end of a delta round; returns every item and the deltaLink. */
export async function deltaRound(
  client: Client,
  graphBase: string,
  first: string,
  prefer?: string,
): Promise<{ items: Array<Record<string, unknown>>; deltaLink: string; pages: number }> {
  const items: Array<Record<string, unknown>> = []
  let path = first
  let pages = 0
  for (;;) {
    const req = client.api(path)
    if (prefer) req.header('Prefer', prefer)
    const res = (await req.get()) as Record<string, unknown>
    pages += 1
    items.push(...(res.value as Array<Record<string, unknown>>))
    const next = res['@odata.nextLink']
    if (typeof next === 'string') {
      path = graphPathFromLink(next, graphBase)
      continue
    }
    return { items, deltaLink: String(res['@odata.deltaLink']), pages }
  }
}

export interface ReceivedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export type ReceiverBehaviour = (req: ReceivedRequest) => {
  status: number
  body?: string
  type?: string
  delayMs?: number
}

/** Answers the validation handshake the way the docs ask: 200, text/plain, the URL-decoded token. */
export const echoValidation: ReceiverBehaviour = (req) => {
  const token = new URL(req.url, 'http://x').searchParams.get('validationToken')
  if (token !== null) return { status: 200, body: token, type: 'text/plain; charset=utf-8' }
  return { status: 202 }
}

export interface Receiver {
  url: string
  requests: ReceivedRequest[]
  behaviour: ReceiverBehaviour
  /** Resolves once `predicate` holds for the recorded requests (polling; fails after timeoutMs). */
  waitFor(predicate: (reqs: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

export async function startReceiver(behaviour: ReceiverBehaviour = echoValidation): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    requests: [],
    behaviour,
    async waitFor(predicate, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs
      while (!predicate(receiver.requests)) {
        if (Date.now() > until) throw new Error(`receiver: condition not met in ${timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const got: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      receiver.requests.push(got)
      const answer = receiver.behaviour(got)
      const send = () => {
        res.writeHead(answer.status, answer.type ? { 'content-type': answer.type } : {})
        res.end(answer.body ?? '')
      }
      if (answer.delayMs) setTimeout(send, answer.delayMs)
      else send()
    })
  })
  server.keepAliveTimeout = 1
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return receiver
}

/** ISO instant `days` from now (whole minutes, so Outlook-style times stay readable in failures). */
export function daysFromNow(days: number, hour = 10): string {
  const d = new Date(Date.now() + days * 86_400_000)
  d.setUTCHours(hour, 0, 0, 0)
  return d.toISOString()
}

/** A Graph dateTimeTimeZone in UTC for an ISO instant. */
export function utc(iso: string): { dateTime: string; timeZone: string } {
  return { dateTime: iso.replace(/Z$/, '').replace(/\.\d{3}$/, ''), timeZone: 'UTC' }
}

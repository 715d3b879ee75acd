// Test harness for the Google emulator contract suite: a listening emulator and clients built with the official SDKs.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { calendar, type calendar_v3 } from '@googleapis/calendar'
import { OAuth2Client } from 'google-auth-library'
import {
  createGoogleEmulator,
  DEFAULT_CLIENT,
  type GoogleEmulator,
  type GoogleEmulatorOptions,
} from '../../../src/sandbox/google/index.js'

export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar'
export const REDIRECT_URI = 'http://127.0.0.1:9/oauth/google/callback'

export async function startGoogle(opts: GoogleEmulatorOptions = {}): Promise<GoogleEmulator> {
  const g = await createGoogleEmulator({
    notifier: { backoffMs: 10, timeoutMs: 1000, maxAttempts: 3 },
    ...opts,
  })
  await g.listen()
  return g
}

export function oauthClient(g: GoogleEmulator): OAuth2Client {
  const e = g.endpoints()
  return new OAuth2Client({
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    redirectUri: REDIRECT_URI,
    endpoints: {
      oauth2AuthBaseUrl: e.authUrl,
      oauth2TokenUrl: e.tokenUrl,
      oauth2RevokeUrl: e.revokeUrl,
      tokenInfoUrl: e.tokenInfoUrl,
    },
  })
}

export function calendarFor(g: GoogleEmulator, auth: OAuth2Client): calendar_v3.Calendar {
  return calendar({ version: 'v3', rootUrl: g.endpoints().rootUrl, auth })
}

/** A signed-in calendar client for `email` (tokens issued directly: these tests are not about OAuth). */
export function signedIn(
  g: GoogleEmulator,
  email: string,
): { cal: calendar_v3.Calendar; auth: OAuth2Client } {
  const t = g.oauth.issueTokens({ userEmail: email })
  const auth = oauthClient(g)
  auth.setCredentials({
    access_token: t.access_token,
    refresh_token: t.refresh_token,
    expiry_date: g.now() + t.expires_in * 1000,
  })
  return { cal: calendarFor(g, auth), auth }
}

export interface ApiErrorBody {
  error: {
    code: number
    message: string
    errors: Array<{
      domain: string
      reason: string
      message: string
      location?: string
      locationType?: string
    }>
  }
}

export interface OAuthErrorBody {
  error: string
  error_description: string
}

export interface Failure {
  status: number
  data: unknown
  /** The body read as a Calendar API error. */
  api: ApiErrorBody
  /** The body read as an OAuth error. */
  oauth: OAuthErrorBody
  headers: Record<string, string>
}

/** The status, body and headers of a rejected SDK call (a GaxiosError). */
export async function failure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p
  } catch (err) {
    const e = err as { status?: number; response?: { status: number; data: unknown; headers: unknown } }
    const raw = e.response?.headers
    const headers: Record<string, string> = {}
    // gaxios hands back a fetch Headers object, possibly from another realm than this global.
    if (raw && typeof (raw as Headers).entries === 'function') {
      for (const [k, v] of (raw as Headers).entries()) headers[k.toLowerCase()] = v
    } else if (raw && typeof raw === 'object')
      for (const [k, v] of Object.entries(raw)) headers[k.toLowerCase()] = String(v)
    const data = e.response?.data
    return {
      status: e.response?.status ?? e.status ?? 0,
      data,
      api: data as ApiErrorBody,
      oauth: data as OAuthErrorBody,
      headers,
    }
  }
  throw new Error('expected the call to fail')
}

export interface Received {
  method: string
  headers: IncomingHttpHeaders
  body: string
  at: number
}

/** A small webhook receiver; `respond` decides each answer's status (200 by default). */
export async function startReceiver(respond: (n: number) => number = () => 200): Promise<{
  url: string
  received: Received[]
  close(): Promise<void>
}> {
  const received: Received[] = []
  let n = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      })
      res.statusCode = respond(n++)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/webhooks/google`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export const ALICE = 'alice@sandbox.test'

/** A timed event body in Europe/Berlin, `dayOffset` days from a fixed Monday. */
export function timed(summary: string, day: number, hour: number, minutes = 60): calendar_v3.Schema$Event {
  const start = new Date(Date.UTC(2031, 2, 3 + day, hour - 1, 0))
  const end = new Date(start.getTime() + minutes * 60_000)
  return {
    summary,
    start: { dateTime: start.toISOString().replace('.000Z', 'Z'), timeZone: 'Europe/Berlin' },
    end: { dateTime: end.toISOString().replace('.000Z', 'Z'), timeZone: 'Europe/Berlin' },
  }
}

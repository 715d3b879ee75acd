// Browser-test harness: the app listening on a local port (fixed clock), Chromium via playwright-core, and a fresh
// client + meeting type + booking link per test so tests never share slots.
import { createServer } from 'node:net'
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core'
import { type AccountClient, createTestApp, type TestApp } from '../helpers/app.js'
import { assistantBody, clientBody, contactBody, meetingTypeBody } from '../helpers/factories.js'

// Monday 2026-06-01 08:00Z. Client Berlin 09–17 (07–15Z), assistant Lisbon 08–16 (07–15Z), 60 min notice:
// Monday's first slot is 09:00Z = 05:00 in New York = 11:00 in Berlin.
export const NOW = '2026-06-01T08:00:00Z'
export const FIRST_SLOT = '2026-06-01T09:00:00.000Z'

export const AXE_PATH = new URL('../../node_modules/axe-core/axe.min.js', import.meta.url).pathname

export interface Harness {
  t: TestApp
  account: AccountClient
  baseUrl: string
  browser: Browser
  assistantId: string
  /** A new client, meeting type and booking link; the link may be for a contact and may expire or be capped. */
  fresh(options?: FreshOptions): Promise<Fresh>
  page(options?: BrowserContextOptions): Promise<Page>
  close(): Promise<void>
}

export interface FreshOptions {
  clientName?: string
  meetingName?: string
  contact?: boolean
  expiresAt?: string
  maxUses?: number
}

export interface Fresh {
  clientId: string
  meetingTypeId: string
  linkId: string
  token: string
  url: string
  contact: { id: string; name: string; email: string } | null
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function ok<T>(res: { status: number; body: T; text: string }, status: number): T {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text}`)
  return res.body
}

export async function startHarness(): Promise<Harness> {
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const t = await createTestApp({
    now: NOW,
    config: { publicBaseUrl: baseUrl },
    overrides: { publicRateLimits: { perIp: 100_000, perToken: 100_000, writesPerToken: 10_000 } },
  })
  await t.app.listen({ port, host: '127.0.0.1' })
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  const account = await t.createAccount()
  const assistantId = ok(await account.post('/v1/assistants', assistantBody()), 201).id as string
  const contexts: { close(): Promise<void> }[] = []

  return {
    t,
    account,
    baseUrl,
    browser,
    assistantId,
    async fresh(options = {}) {
      const clientId = ok(
        await account.post(
          '/v1/clients',
          clientBody(assistantId, options.clientName ? { name: options.clientName } : {}),
        ),
        201,
      ).id as string
      const meetingTypeId = ok(
        await account.post(
          '/v1/meeting-types',
          meetingTypeBody(clientId, options.meetingName ? { name: options.meetingName } : {}),
        ),
        201,
      ).id as string
      let contact: Fresh['contact'] = null
      if (options.contact) {
        const body = contactBody({ timeZone: null })
        const created = ok(await account.post(`/v1/clients/${clientId}/contacts`, body), 201)
        contact = { id: created.id, name: body.name, email: body.email }
      }
      const link = ok(
        await account.post('/v1/booking-links', {
          meetingTypeId,
          ...(contact ? { contactId: contact.id } : {}),
          ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
          ...(options.maxUses ? { maxUses: options.maxUses } : {}),
        }),
        201,
      )
      return { clientId, meetingTypeId, linkId: link.id, token: link.token, url: link.url, contact }
    },
    async page(options = {}) {
      const context = await browser.newContext({
        locale: 'en-US',
        timezoneId: 'America/New_York',
        ...options,
      })
      contexts.push(context)
      const page = await context.newPage()
      page.on('pageerror', (error) => {
        throw error
      })
      return page
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {})
      await browser.close()
      await t.close()
    },
  }
}

/** Books through the public API, as the page would. */
export async function bookThroughApi(h: Harness, token: string, start: string) {
  const res = await h.t.app.inject({
    method: 'POST',
    url: `/public/v1/links/${token}/bookings`,
    payload: { start, name: 'Api Booker', email: 'api.booker@partner.example', timeZone: 'Europe/Berlin' },
  })
  if (res.statusCode !== 201) throw new Error(`booking failed: ${res.statusCode} ${res.body}`)
  return res.json() as { booking: { id: string; start: string }; manageToken: string; manageUrl: string }
}

/** Whitespace as Intl prints it (narrow no-break spaces before AM/PM) normalised to plain spaces. */
export function plain(text: string | null): string {
  return (text ?? '').replace(/[\s\u202f\u00a0]+/g, ' ').trim()
}

/** The id of the focused element (evaluated as a string: the tests compile without the DOM library). */
export async function activeId(page: Page): Promise<string> {
  return String(await page.evaluate('document.activeElement ? document.activeElement.id : ""'))
}

export async function activeClass(page: Page): Promise<string> {
  return String(await page.evaluate('document.activeElement ? document.activeElement.className : ""'))
}

export async function scrollWidth(page: Page): Promise<number> {
  return Number(await page.evaluate('document.documentElement.scrollWidth'))
}

export interface AxeViolation {
  id: string
  impact: string
  targets: string[]
}

/** Injects axe-core (the context must bypass the page's CSP) and returns serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.addScriptTag({ path: AXE_PATH })
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`)) as AxeViolation[]
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

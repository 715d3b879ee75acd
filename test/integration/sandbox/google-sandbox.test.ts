// Contract: startSandbox() brings up both emulators on free ports and tells how to point officehours at them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Sandbox, startSandbox } from '../../../src/sandbox/index.js'
import { calendarFor, oauthClient } from './google-harness.js'

let sandbox: Sandbox

beforeAll(async () => {
  sandbox = await startSandbox({ seed: true })
})
afterAll(async () => {
  await sandbox?.close()
})

describe('startSandbox', () => {
  it('serves a seeded Google calendar at the printed base URL, and Microsoft Graph alongside', async () => {
    expect(sandbox.env['GOOGLE_API_BASE_URL']).toBe(sandbox.google.baseUrl)
    expect(sandbox.env['GOOGLE_AUTH_URL']).toBe(`${sandbox.google.baseUrl}/o/oauth2/v2/auth`)
    expect(sandbox.env['GOOGLE_TOKEN_URL']).toBe(`${sandbox.google.baseUrl}/token`)
    expect(sandbox.env['MICROSOFT_GRAPH_BASE_URL']).toMatch(/^https?:\/\/127\.0\.0\.1:\d+\/v1\.0$/)
    expect(sandbox.env['MICROSOFT_AUTH_BASE_URL']).toMatch(/^https?:\/\/127\.0\.0\.1:\d+\//)

    const g = sandbox.google.emulator
    const t = g.oauth.issueTokens({ userEmail: 'alice@sandbox.test' })
    const auth = oauthClient(g)
    auth.setCredentials({ access_token: t.access_token, refresh_token: t.refresh_token })
    const cal = calendarFor(g, auth)
    const calendars = await cal.calendarList.list()
    expect(calendars.data.items?.map((c) => c.summary)).toEqual(['alice@sandbox.test', 'Team holidays'])
    const events = await cal.events.list({ calendarId: 'primary', singleEvents: true, maxResults: 2500 })
    const items = events.data.items ?? []
    expect(items.length).toBeGreaterThan(20)
    expect(items.some((e) => e.recurringEventId && e.summary === 'Team sync (weekly)')).toBe(true)
    expect(items.some((e) => e.start?.date)).toBe(true)
    expect(items.some((e) => e.transparency === 'transparent')).toBe(true)
    expect(items.some((e) => e.attendees?.some((a) => a.self && a.responseStatus === 'declined'))).toBe(true)
  })
})

// The real process: first start prints the admin token and an API key once, data survives a restart,
// SIGTERM shuts down cleanly, invalid configuration stops start-up naming the variable, and the CLI works.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, run } from '../../helpers/process.js'

const dataDir = mkdtempSync(join(tmpdir(), 'oh-server-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('the service process on the embedded database', () => {
  it('bootstraps once, keeps data across a restart and shuts down gracefully', async () => {
    const port = await freePort()
    const env = { DATA_DIR: dataDir, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }
    const base = `http://127.0.0.1:${port}`

    const first = run('src/server.ts', [], env)
    // A first start creates the embedded database (initdb in WebAssembly): seconds alone, over a minute on a
    // crowded machine. The limits below are for the latter, not a speed check.
    const [, adminToken] = await first.waitFor(/Admin token \(ADMIN_TOKEN for \/admin\/v1\): (\S+)/, 180_000)
    const [, apiKey] = await first.waitFor(/API key:\s+(\S+)/)
    const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }

    // Sandbox mode: no provider credentials, so the emulators run in-process and a demo is seeded with a
    // booking link; booking through it puts the event in the sandbox Google calendar.
    const [, linkUrl] = await first.waitFor(/Book a slot:\s+(\S+)/, 120_000)
    const [, eventsUrl] = await first.waitFor(/curl -s (\S+\/events)/)
    const token = String(linkUrl).split('/b/')[1]
    const from = new Date(Date.now() + 86_400_000).toISOString()
    const to = new Date(Date.now() + 15 * 86_400_000).toISOString()
    const slots = (await (
      await fetch(`${base}/public/v1/links/${token}/slots?from=${from}&to=${to}`)
    ).json()) as { slots: { start: string }[] }
    expect(slots.slots.length).toBeGreaterThan(0)
    const booked = await fetch(`${base}/public/v1/links/${token}/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start: slots.slots[0]!.start, name: 'Newcomer', email: 'new@example.com' }),
    })
    expect(booked.status).toBe(201)
    let written: { summary: string }[] = []
    for (let i = 0; i < 100 && written.length === 0; i++) {
      const events = (await (await fetch(String(eventsUrl))).json()) as { summary: string; status: string }[]
      written = events.filter((e) => e.summary === 'Intro call with Newcomer' && e.status !== 'cancelled')
      if (written.length === 0) await new Promise((r) => setTimeout(r, 100))
    }
    expect(written).toHaveLength(1)

    const created = await fetch(`${base}/v1/assistants`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        name: 'Persisted',
        email: 'p@example.com',
        timeZone: 'Europe/Vienna',
        officeHours: { weekly: [] },
      }),
    })
    expect(created.status).toBe(201)
    const assistant = (await created.json()) as { id: string }
    const account = await fetch(`${base}/admin/v1/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Second business' }),
    })
    expect(account.status).toBe(201)

    first.process.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    expect(first.output()).not.toContain('"level":50')

    const second = run('src/server.ts', [], env)
    await waitForHealth(base)
    const read = await fetch(`${base}/v1/assistants/${assistant.id}`, { headers: auth })
    expect(read.status).toBe(200)
    expect(((await read.json()) as { name: string }).name).toBe('Persisted')
    expect(second.output()).not.toContain('first start')
    expect(second.output()).not.toContain(String(apiKey))
    second.process.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 360_000)

  it('stops at start-up with a message naming every invalid variable', async () => {
    const child = run('src/server.ts', [], { DATA_DIR: dataDir, PORT: 'eighty', ROLE: 'boss' })
    expect(await child.exited).toBe(1)
    expect(child.output()).toMatch(/PORT: must be an integer/)
    expect(child.output()).toMatch(/ROLE: must be one of api, worker, all/)
    expect(child.output()).not.toMatch(/at .*\.ts:\d+/)
  })
})

describe('the CLI', () => {
  it('creates an account and prints its key once', async () => {
    const child = run('src/cli.ts', ['accounts', 'create', '--name', 'Acme Assistants'], {
      DATA_DIR: dataDir,
    })
    expect(await child.exited).toBe(0)
    expect(child.output()).toMatch(/Account "Acme Assistants" created: [0-9a-f-]{36}/)
    expect(child.output()).toMatch(/API key \(shown once, store it now\): oh_key_\S{43}/)
  })

  it('refuses a missing name and unknown commands with usage', async () => {
    const missing = run('src/cli.ts', ['accounts', 'create'], { DATA_DIR: dataDir })
    expect(await missing.exited).toBe(2)
    expect(missing.output()).toMatch(/needs --name/)
    const unknown = run('src/cli.ts', ['frobnicate'], { DATA_DIR: dataDir })
    expect(await unknown.exited).toBe(2)
    expect(unknown.output()).toMatch(/Usage:/)
  })
})

async function waitForHealth(base: string): Promise<void> {
  for (let i = 0; i < 1800; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('service did not become ready')
}

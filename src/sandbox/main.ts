// `npm run sandbox`: both emulators on fixed ports, seeded, printing how to point officehours at them.
import { startSandbox } from './index.js'

function port(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name} must be a port number (0-65535), got "${raw}"`)
    process.exit(1)
  }
  return n
}

const sandbox = await startSandbox({
  host: process.env['SANDBOX_HOST'] ?? '127.0.0.1',
  googlePort: port('SANDBOX_GOOGLE_PORT', 4010),
  microsoftPort: port('SANDBOX_MICROSOFT_PORT', 4020),
  seed: true,
})

const g = sandbox.google
console.log(`officehours sandbox providers are running.

  Google Calendar v3   ${g.baseUrl}/calendar/v3   (OAuth: ${g.authUrl})
  Microsoft Graph v1.0 ${sandbox.microsoft.graphBaseUrl}   (OAuth: ${sandbox.microsoft.authBaseUrl})

  Sign-in pages ask which sample user to use (alice@sandbox.test, bob@sandbox.test for Google).
  Admin APIs: ${g.baseUrl}/__admin and ${sandbox.microsoft.baseUrl}/__admin (docs/sandbox.md)

Point officehours at them with:

${Object.entries(sandbox.env)
  .map(([k, v]) => `  export ${k}=${v}`)
  .join('\n')}
`)

let closing = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return
    closing = true
    sandbox.close().finally(() => process.exit(0))
  })
}

// Push or polling: a real provider can only reach a public https PUBLIC_BASE_URL; the built-in emulators reach any.
import { describe, expect, it } from 'vitest'
import { type Config, testConfig } from '../../src/config.js'
import { pushReachable } from '../../src/sync/inbound.js'

/** Both providers with real credentials (no sandbox), serving at `publicBaseUrl`. */
function realProviders(publicBaseUrl: string): Readonly<Config> {
  const base = testConfig()
  return testConfig({
    publicBaseUrl,
    google: { ...base.google, clientId: 'google-client', clientSecret: 'google-secret' },
    microsoft: { ...base.microsoft, clientId: 'microsoft-client', clientSecret: 'microsoft-secret' },
  })
}

const reachable = (url: string) => ({
  google: pushReachable(realProviders(url), 'google'),
  microsoft: pushReachable(realProviders(url), 'microsoft'),
})

describe('pushReachable', () => {
  it('pushes to a public https origin', () => {
    for (const url of [
      'https://officehours.example.com',
      'https://officehours.example.com:8443/',
      'https://api.example.com/base/',
      'https://93.184.215.14',
      'https://[2606:4700::1111]',
      // Names that merely begin like IPv6 prefixes or private ranges are names.
      'https://fdic.example',
      'https://fcbarcelona.example',
      'https://fe80.example.com',
      'https://10.example.com',
      'https://localhost.example.com',
      'https://local.example.com',
      'https://172.32.0.1',
    ])
      expect(reachable(url), url).toEqual({ google: true, microsoft: true })
  })

  it('polls when the base URL is not https or not public', () => {
    for (const url of [
      'http://officehours.example.com',
      'https://localhost',
      'https://localhost:3000',
      'https://LOCALHOST.',
      'https://app.localhost',
      'https://127.0.0.1',
      'https://127.8.9.10:8443',
      'https://2130706433', // 127.0.0.1 written as one number
      'https://[::1]',
      'https://[::ffff:127.0.0.1]',
      'https://[::ffff:10.1.2.3]',
      'https://10.0.0.5',
      'https://172.16.0.1',
      'https://172.31.255.254',
      'https://192.168.1.10',
      'https://169.254.169.254',
      'https://[fc00::1]',
      'https://[fd12:3456::1]',
      'https://[fe80::1]',
      'https://[febf::1]',
      'https://printer.local',
      'https://printer.local.',
      'https://0.0.0.0',
      'not a url',
    ])
      expect(reachable(url), url).toEqual({ google: false, microsoft: false })
  })

  it('pushes to the built-in emulators whatever the base URL: they run next to us', () => {
    // No client id configured: that provider runs on the sandbox.
    const sandbox = testConfig({ publicBaseUrl: 'http://127.0.0.1:3000' })
    expect(pushReachable(sandbox, 'google')).toBe(true)
    expect(pushReachable(sandbox, 'microsoft')).toBe(true)
    // The exception is per provider: a real Google next to the Microsoft sandbox still needs a public origin.
    const mixed = testConfig({
      publicBaseUrl: 'http://127.0.0.1:3000',
      google: { ...sandbox.google, clientId: 'google-client', clientSecret: 'google-secret' },
    })
    expect(pushReachable(mixed, 'google')).toBe(false)
    expect(pushReachable(mixed, 'microsoft')).toBe(true)
  })
})

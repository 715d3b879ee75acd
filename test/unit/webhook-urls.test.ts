// Where app webhooks may go: literal addresses judged at registration, names judged on the resolved address.
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { DEFAULT_RETRY_DELAYS_SECONDS } from '../../src/services/webhook-delivery.js'
import { guardedLookup, isPrivateAddress, webhookUrlProblem } from '../../src/services/webhook-urls.js'
import { startWebhookReceiver } from '../helpers/webhook-receiver.js'

describe('webhook URLs', () => {
  it('judges addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
    ])
      expect(isPrivateAddress(ip), ip).toBe(true)
    for (const ip of ['::1', '::', 'fe80::1', 'fd12::1', '::ffff:10.0.0.1', '0.0.0.0', '255.255.255.255'])
      expect(isPrivateAddress(ip), ip).toBe(true)
    for (const ip of ['93.184.215.14', '8.8.8.8', '2606:4700::1111', '172.32.0.1'])
      expect(isPrivateAddress(ip), ip).toBe(false)
  })

  it('accepts public http(s) URLs and names (names are checked when delivering)', () => {
    expect(webhookUrlProblem('https://hooks.example.com/x', false)).toBeNull()
    expect(webhookUrlProblem('http://93.184.215.14:8080/x', false)).toBeNull()
    expect(webhookUrlProblem('http://127.0.0.1/x', false)).not.toBeNull()
    // IPv4-mapped IPv6, which URL writes in hex (::ffff:7f00:1): judged as the IPv4 it maps.
    expect(webhookUrlProblem('https://[::ffff:127.0.0.1]/x', false)).not.toBeNull()
    expect(webhookUrlProblem('https://[::ffff:a9fe:a9fe]/x', false)).not.toBeNull()
    expect(webhookUrlProblem('https://[::ffff:808:808]/x', false)).toBeNull()
    expect(webhookUrlProblem('http://127.0.0.1/x', true)).toBeNull()
    expect(webhookUrlProblem('file:///etc/passwd', true)).not.toBeNull()
  })

  it('refuses at delivery a name that resolves to a loopback address: the socket never connects', async () => {
    const receiver = await startWebhookReceiver()
    try {
      const port = new URL(receiver.url).port
      const attempt = (allowPrivate: boolean) =>
        new Promise<string>((resolve) => {
          const req = request(
            `http://localhost:${port}/hooks`,
            { method: 'POST', lookup: guardedLookup(allowPrivate), family: 4 },
            (res) => {
              res.resume()
              resolve(String(res.statusCode))
            },
          )
          req.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message))
          req.end('{}')
        })
      expect(await attempt(false)).toBe('EPRIVATEADDRESS')
      expect(receiver.received).toHaveLength(0)
      expect(await attempt(true)).toBe('200')
      expect(receiver.received).toHaveLength(1)
    } finally {
      await receiver.close()
    }
  })

  it('retries for at least 24 hours', () => {
    const total = DEFAULT_RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0)
    expect(total).toBeGreaterThanOrEqual(24 * 3600)
    expect(DEFAULT_RETRY_DELAYS_SECONDS).toHaveLength(33)
    expect(DEFAULT_RETRY_DELAYS_SECONDS.slice(0, 3)).toEqual([5, 10, 20])
    expect(Math.max(...DEFAULT_RETRY_DELAYS_SECONDS)).toBe(3600)
  })
})

// Secrets at rest: AES-256-GCM values, the signed state, and where the key comes from.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  decryptSecret,
  EncryptionKeyMissingError,
  encryptSecret,
  resolveEncryptionKey,
  signPayload,
  verifyPayload,
} from '../../../src/sync/crypto.js'

const key = Buffer.alloc(32, 7)
const dir = mkdtempSync(join(tmpdir(), 'oh-key-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('token encryption', () => {
  it('round-trips, uses a fresh IV per value and refuses altered ciphertext or another key', () => {
    const a = encryptSecret(key, 'ya29.secret')
    const b = encryptSecret(key, 'ya29.secret')
    expect(a).not.toBe(b)
    expect(a).not.toContain('secret')
    expect(decryptSecret(key, a)).toBe('ya29.secret')
    const [v, iv, tag, data] = a.split('.')
    const flipped = `${v}.${iv}.${tag}.${data!.slice(0, -2)}${data!.endsWith('A') ? 'B' : 'A'}${data!.slice(-1)}`
    expect(() => decryptSecret(key, flipped)).toThrow()
    expect(() => decryptSecret(Buffer.alloc(32, 8), a)).toThrow()
  })

  it('signs payloads; any change to payload or signature is refused', () => {
    const signed = signPayload(key, { a: 1 })
    expect(verifyPayload(key, signed)).toEqual({ a: 1 })
    expect(verifyPayload(Buffer.alloc(32, 1), signed)).toBeNull()
    expect(
      verifyPayload(key, `${Buffer.from('{"a":2}').toString('base64url')}.${signed.split('.')[1]}`),
    ).toBeNull()
    expect(verifyPayload(key, 'x')).toBeNull()
  })
})

describe('the encryption key', () => {
  it('is ENCRYPTION_KEY when set', () => {
    expect(
      resolveEncryptionKey({ encryptionKey: key, databaseUrl: 'postgres://x/y', dataDir: dir }, () => {}),
    ).toBe(key)
  })

  it('is refused with a clear error on PostgreSQL without ENCRYPTION_KEY', () => {
    expect(() =>
      resolveEncryptionKey({ encryptionKey: null, databaseUrl: 'postgres://x/y', dataDir: dir }, () => {}),
    ).toThrow(EncryptionKeyMissingError)
  })

  it('embedded: generated once into DATA_DIR/encryption.key, mode 0600, with a warning', () => {
    const warnings: string[] = []
    const source = { encryptionKey: null, databaseUrl: null, dataDir: join(dir, 'data') }
    const first = resolveEncryptionKey(source, (m) => warnings.push(m))
    const file = join(dir, 'data', 'encryption.key')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('hex'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('ENCRYPTION_KEY')
    expect(resolveEncryptionKey(source, (m) => warnings.push(m))).toEqual(first)
    expect(warnings).toHaveLength(1)
  })
})

// Secrets at rest and in flight for connections: AES-256-GCM for tokens and cursors, HMAC-signed OAuth state.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseEncryptionKey } from '../config.js'
import { DomainError } from '../errors.js'

const VERSION = 'v1'

/** `v1.<iv>.<tag>.<ciphertext>` (base64url), a fresh 96-bit IV per value, as GCM requires. */
export function encryptSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  const tag = cipher.getAuthTag()
  return [VERSION, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.')
}

export function decryptSecret(key: Buffer, value: string): string {
  const [version, iv, tag, data] = value.split('.')
  if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not an encrypted secret')
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8')
}

/** A sub-key for one purpose, so the token key never signs anything itself. */
export function deriveKey(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `officehours:${purpose}`, 32))
}

/** `<payload>.<signature>`, base64url, HMAC-SHA256. The payload is readable: it must hold no secret. */
export function signPayload(key: Buffer, payload: unknown): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')
  const sig = createHmac('sha256', key).update(body).digest('base64url')
  return `${body}.${sig}`
}

/** The payload of a signed value, or null when it was tampered with or is malformed. */
export function verifyPayload(key: Buffer, value: string): unknown {
  const [body, sig, extra] = value.split('.')
  if (!body || !sig || extra !== undefined) return null
  const expected = createHmac('sha256', key).update(body).digest()
  const given = Buffer.from(sig, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
  } catch {
    return null
  }
}

export class EncryptionKeyMissingError extends DomainError {
  constructor() {
    super(
      'encryption_key_missing',
      'Calendar connections need ENCRYPTION_KEY (64 hex characters, e.g. `openssl rand -hex 32`) when DATABASE_URL is set: ' +
        'every instance must share the key, so none is generated.',
    )
  }
}

interface KeySource {
  encryptionKey: Buffer | null
  databaseUrl: string | null
  dataDir: string
}

/**
 * The token key: ENCRYPTION_KEY; else, embedded (one process, data in DATA_DIR), a key file generated once in
 * DATA_DIR with mode 0600; else (PostgreSQL, possibly many instances) none: a per-instance key would make tokens
 * unreadable to the others.
 */
export function resolveEncryptionKey(source: KeySource, warn: (message: string) => void): Buffer {
  if (source.encryptionKey) return source.encryptionKey
  if (source.databaseUrl || source.dataDir.startsWith('memory://')) throw new EncryptionKeyMissingError()
  const dir = resolve(source.dataDir)
  const file = join(dir, 'encryption.key')
  if (existsSync(file)) return parseEncryptionKey(readFileSync(file, 'utf8').trim())
  mkdirSync(dir, { recursive: true })
  writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
  warn(
    `ENCRYPTION_KEY is not set: generated ${file} (mode 0600) to encrypt calendar tokens. Back it up with the data; ` +
      'losing it means reconnecting every calendar.',
  )
  return parseEncryptionKey(readFileSync(file, 'utf8').trim())
}

// Identifier helpers: Google's base32hex alphabet (lowercase a-v, 0-9) and opaque random tokens.
import { randomBytes } from 'node:crypto'

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv'

/** A random base32hex id (Google event ids; providers.md A3 "Client-supplied event IDs"). */
export function base32hexId(length = 26): string {
  const bytes = randomBytes(length)
  let out = ''
  for (let i = 0; i < length; i++) out += BASE32HEX[(bytes[i] ?? 0) & 31]
  return out
}

/** True for a valid Google event id: base32hex lowercase, 5 to 1024 characters. */
export function isBase32hexId(id: string): boolean {
  return /^[a-v0-9]{5,1024}$/.test(id)
}

/** An opaque url-safe random token with a readable prefix. */
export function randomToken(prefix = '', bytes = 24): string {
  return prefix + randomBytes(bytes).toString('base64url')
}

/** Encodes a JSON value as an opaque url-safe token (page and sync tokens). */
export function encodeOpaque(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')
}

/** Decodes a token made by encodeOpaque; null when it is not one. */
export function decodeOpaque<T>(token: string): T | null {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T
  } catch {
    return null
  }
}

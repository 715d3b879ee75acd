// Random tokens and their hashes. API keys, admin and link tokens carry ≥128 random bits, so a SHA-256 digest
// (not a slow password hash) is the right way to store them: there is nothing to brute-force.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** A token like `oh_key_<43 base64url chars>` (256 random bits). */
export function generateToken(kind: string, bytes = 32): string {
  return `oh_${kind}_${randomBytes(bytes).toString('base64url')}`
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url')
}

export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

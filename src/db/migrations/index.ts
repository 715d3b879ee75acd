// The list of migrations, in order. Listed by hand so the same code runs from src/ (tsx) and dist/ (node).
import type { Migration } from 'kysely'
import * as foundation from './2026-11-29-foundation.js'

export const migrations: Record<string, Migration> = {
  '2026-11-29-foundation': foundation,
}

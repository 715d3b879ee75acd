// Keyset pagination over (created_at, id): stable under inserts, opaque cursors.
import { type SelectQueryBuilder, sql } from 'kysely'
import { ValidationError } from '../errors.js'

export interface Page<T> {
  data: T[]
  nextCursor: string | null
}

export interface PageRequest {
  cursor?: string | undefined
  limit?: number | undefined
}

interface CursorPosition {
  createdAt: string
  id: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url')
}

export function decodeCursor(cursor: string): CursorPosition {
  const invalid = () =>
    new ValidationError([{ pointer: '/query/cursor', message: 'is not a cursor returned by this list' }])
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    typeof parsed[1] !== 'string' ||
    Number.isNaN(Date.parse(parsed[0])) ||
    !UUID.test(parsed[1])
  ) {
    throw invalid()
  }
  return { createdAt: parsed[0], id: parsed[1] }
}

export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 200

/**
 * Runs `query` (already filtered by account) one page at a time, oldest first.
 * `table` names the table whose created_at/id order the list.
 */
export async function paginate<DB, TB extends keyof DB & string, O extends { created_at: Date; id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  table: TB,
  request: PageRequest,
): Promise<Page<O>> {
  const limit = request.limit ?? DEFAULT_PAGE_SIZE
  let q = query
  if (request.cursor) {
    const position = decodeCursor(request.cursor)
    q = q.where(
      sql<boolean>`(${sql.ref(`${table}.created_at`)}, ${sql.ref(`${table}.id`)}) > (${position.createdAt}::timestamptz, ${position.id}::uuid)`,
    )
  }
  const rows = (await q
    .orderBy(sql.ref(`${table}.created_at`), 'asc')
    .orderBy(sql.ref(`${table}.id`), 'asc')
    .limit(limit + 1)
    .execute()) as O[]
  const data = rows.slice(0, limit)
  const last = data[data.length - 1]
  const nextCursor =
    rows.length > limit && last
      ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id })
      : null
  return { data, nextCursor }
}

// Keyset pagination by id: ids are UUIDv7 and sort in creation order, so pages are stable under inserts.
import type { SelectQueryBuilder } from 'kysely'
import { ValidationError } from '../errors.js'

export interface Page<T> {
  data: T[]
  nextCursor: string | null
}

export interface PageRequest {
  cursor?: string | undefined
  limit?: number | undefined
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function encodeCursor(lastId: string): string {
  return Buffer.from(`after:${lastId}`).toString('base64url')
}

export function decodeCursor(cursor: string): string {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : ''
  const id = decoded.startsWith('after:') ? decoded.slice(6) : ''
  if (!UUID.test(id)) {
    throw new ValidationError([
      { pointer: '/query/cursor', message: 'is not a cursor returned by this list' },
    ])
  }
  return id
}

export const DEFAULT_PAGE_SIZE = 50

/** Runs `query` (already filtered by account) one page at a time, oldest first. */
export async function paginate<DB, TB extends keyof DB & string, O extends { id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  table: TB,
  request: PageRequest,
): Promise<Page<O>> {
  const limit = request.limit ?? DEFAULT_PAGE_SIZE
  const idColumn = `${table}.id` as never
  let q = query
  if (request.cursor) q = q.where(idColumn, '>', decodeCursor(request.cursor) as never)
  const rows = (await q
    .orderBy(idColumn, 'asc')
    .limit(limit + 1)
    .execute()) as O[]
  const data = rows.slice(0, limit)
  const last = data[data.length - 1]
  return { data, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null }
}

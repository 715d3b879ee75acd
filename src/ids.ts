// Resource ids: UUIDv7, so ids sort in creation order (lists page by id alone) and index well.
import { v7 } from 'uuid'

export function newId(): string {
  return v7()
}

// In-memory log of the requests an emulator served, so tests can count attempts (client libraries retry by themselves).

export interface RequestLogEntry {
  method: string
  path: string
  /** The operation name, e.g. 'events.list' or 'token'. */
  route: string
  status: number
  /** Epoch milliseconds. */
  at: number
  headers?: Record<string, string>
}

export interface RequestLog {
  record(entry: RequestLogEntry): void
  list(filter?: { route?: string }): RequestLogEntry[]
  clear(): void
}

export function createRequestLog(limit = 5000): RequestLog {
  let entries: RequestLogEntry[] = []
  return {
    record(entry) {
      entries.push(entry)
      if (entries.length > limit) entries = entries.slice(entries.length - limit)
    },
    list(filter) {
      const route = filter?.route
      return route === undefined ? [...entries] : entries.filter((e) => e.route === route)
    },
    clear() {
      entries = []
    },
  }
}

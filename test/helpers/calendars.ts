// Fills the busy tables directly through the repository, as the calendar sync will.
import {
  type CalendarEventInput,
  insertConnection,
  type Owner,
  upsertCalendarEvents,
  upsertConnectionCalendar,
} from '../../src/db/repositories/calendars.js'
import { newId } from '../../src/ids.js'
import type { TestApp } from './app.js'

export type TestEvent = Partial<Omit<CalendarEventInput, 'start' | 'end'>> & {
  start: Date | string
  end: Date | string
}

export interface TestCalendar {
  connectionId: string
  calendarId: string
  addEvents(events: TestEvent[]): Promise<void>
}

export async function connectCalendar(
  t: TestApp,
  accountId: string,
  owner: Owner,
  options: { isBusy?: boolean; syncedAt?: Date; provider?: 'google' | 'microsoft' } = {},
): Promise<TestCalendar> {
  const connectionId = newId()
  const calendarId = `${owner.type}-${owner.id.slice(-6)}@calendar.example`
  await insertConnection(t.database.db, accountId, {
    id: connectionId,
    owner,
    provider: options.provider ?? 'google',
  })
  await upsertConnectionCalendar(t.database.db, accountId, connectionId, {
    calendarId,
    name: 'Primary',
    isPrimary: true,
    isBusy: options.isBusy ?? true,
    isDestination: true,
    syncedAt: options.syncedAt ?? new Date('2026-06-01T07:59:00Z'),
  })
  return {
    connectionId,
    calendarId,
    async addEvents(events) {
      await upsertCalendarEvents(
        t.database.db,
        accountId,
        connectionId,
        calendarId,
        events.map((e) => ({
          id: newId(),
          providerEventId: e.providerEventId ?? newId().replaceAll('-', ''),
          status: e.status ?? 'confirmed',
          showAs: e.showAs ?? 'busy',
          responseStatus: e.responseStatus ?? 'organizer',
          allDay: e.allDay ?? false,
          start: new Date(e.start),
          end: new Date(e.end),
        })),
        new Date(),
      )
    },
  }
}

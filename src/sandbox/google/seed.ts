// Realistic sample calendars: a few weeks of meetings, a weekly series with exceptions, all-day, free and declined events.
import { DateTime } from 'luxon'
import type { CalendarStore } from './store.js'

export const SEED_USERS = [
  { email: 'alice@sandbox.test', name: 'Alice Example', timeZone: 'Europe/Berlin' },
  { email: 'bob@sandbox.test', name: 'Bob Example', timeZone: 'America/New_York' },
] as const

const TOPICS = [
  'Client check-in',
  'Design review',
  'Planning',
  '1:1',
  'Vendor call',
  'Interview',
  'Budget review',
  'Customer demo',
]

/** Fills the store; `now` anchors the weeks so the data always surrounds today. */
export function seedStore(store: CalendarStore, now: number): void {
  // A fixed pseudo-random sequence keeps seeded calendars identical from run to run.
  let state = 42
  const rand = () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
  for (const u of SEED_USERS) {
    store.addUser(u)
    const cal = store.resolveCalendar(u.email, 'primary')
    const zone = u.timeZone
    const today = DateTime.fromMillis(now, { zone }).startOf('day')
    const monday = today.startOf('week')
    const at = (d: DateTime) => ({
      dateTime: d.toISO({ suppressMilliseconds: true }) as string,
      timeZone: zone,
    })
    for (let day = -7; day < 21; day++) {
      const date = monday.plus({ days: day })
      if (date.weekday > 5) continue
      const meetings = 1 + Math.floor(rand() * 3)
      for (let i = 0; i < meetings; i++) {
        const start = date.set({ hour: 9 + Math.floor(rand() * 8), minute: rand() < 0.5 ? 0 : 30 })
        const minutes = [30, 45, 60][Math.floor(rand() * 3)] ?? 30
        store.insertEvent(cal, {
          summary: TOPICS[Math.floor(rand() * TOPICS.length)] ?? 'Meeting',
          start: at(start),
          end: at(start.plus({ minutes })),
          attendees: [{ email: u.email, responseStatus: 'accepted' }, { email: 'guest@example.com' }],
        })
      }
    }
    const series = store.insertEvent(cal, {
      summary: 'Team sync (weekly)',
      start: at(monday.minus({ weeks: 2 }).set({ hour: 10 })),
      end: at(monday.minus({ weeks: 2 }).set({ hour: 10, minute: 30 })),
      recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12'],
    })
    // One occurrence moved to Tuesday, the next one cancelled, as an owner would in the Calendar app.
    const moved = monday.plus({ weeks: 1 }).set({ hour: 10 })
    store.patchEvent(cal, `${series.id}_${moved.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'")}`, {
      start: at(moved.plus({ days: 1, hours: 4 })),
      end: at(moved.plus({ days: 1, hours: 4, minutes: 30 })),
    })
    const cancelled = monday.plus({ weeks: 2 }).set({ hour: 10 })
    store.deleteEvent(cal, `${series.id}_${cancelled.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'")}`)
    store.insertEvent(cal, {
      summary: 'Company offsite',
      start: { date: monday.plus({ days: 10 }).toISODate() as string },
      end: { date: monday.plus({ days: 12 }).toISODate() as string },
    })
    store.insertEvent(cal, {
      summary: 'Focus time (shown as free)',
      transparency: 'transparent',
      start: at(today.plus({ days: 1 }).set({ hour: 8 })),
      end: at(today.plus({ days: 1 }).set({ hour: 9 })),
    })
    store.insertEvent(cal, {
      summary: 'Optional all-hands (declined)',
      start: at(today.plus({ days: 2 }).set({ hour: 17 })),
      end: at(today.plus({ days: 2 }).set({ hour: 18 })),
      attendees: [
        { email: u.email, responseStatus: 'declined' },
        { email: 'ceo@example.com', responseStatus: 'accepted' },
      ],
    })
  }
  const alice = SEED_USERS[0]
  const holidays = store.addCalendar({
    ownerEmail: alice.email,
    summary: 'Team holidays',
    timeZone: alice.timeZone,
  })
  const base = DateTime.fromMillis(now, { zone: alice.timeZone }).startOf('week')
  store.insertEvent(holidays, {
    summary: 'Public holiday',
    start: { date: base.plus({ days: 17 }).toISODate() as string },
    end: { date: base.plus({ days: 18 }).toISODate() as string },
  })
}

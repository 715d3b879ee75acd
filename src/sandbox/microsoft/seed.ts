// Realistic sample mailbox content: a few weeks of meetings around `now`, a weekly series and the showAs variety.
import { DateTime } from 'luxon'
import type { MailboxStore, MailboxUser } from './store.js'

const SUBJECTS = [
  'Design review',
  'Customer call: Northwind',
  'Sprint planning',
  'Hiring sync',
  'Roadmap walkthrough',
  '1:1 with Adele',
  'Budget check-in',
  'Interview: backend engineer',
]
const COLLEAGUES = [
  { name: 'Adele Vance', address: 'adelev@contoso.test' },
  { name: 'Alex Wilber', address: 'alexw@contoso.test' },
  { name: 'Lee Gu', address: 'leeg@contoso.test' },
]

/** Fills the user's default calendar (and one extra calendar) relative to `now`; deterministic for a given now. */
export function seedMailbox(store: MailboxStore, user: MailboxUser, now: number): void {
  const zone = 'Europe/Berlin'
  const tz = user.timeZone
  const cal = store.defaultCalendar(user.id).id
  const monday = DateTime.fromMillis(now, { zone }).startOf('week')
  const at = (d: DateTime, hour: number, minute = 0) =>
    ({ dateTime: d.set({ hour, minute }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: tz }) as const
  const day = (d: DateTime) => ({ dateTime: d.toFormat("yyyy-MM-dd'T'00:00:00"), timeZone: tz })
  let rnd = 7
  const next = () => {
    rnd = (rnd * 1103515245 + 12345) % 2147483648
    return rnd / 2147483648
  }

  for (let week = -1; week <= 3; week++) {
    for (let weekday = 0; weekday < 5; weekday++) {
      const d = monday.plus({ weeks: week, days: weekday })
      const count = 1 + Math.floor(next() * 2)
      for (let i = 0; i < count; i++) {
        const hour = [11, 14, 16][(weekday + i + week + 3) % 3] ?? 11
        const colleague = COLLEAGUES[Math.floor(next() * COLLEAGUES.length)] ?? COLLEAGUES[0]
        store.createEvent(user.id, cal, {
          subject: SUBJECTS[Math.floor(next() * SUBJECTS.length)],
          start: at(d, hour),
          end: at(d, hour, 45),
          location: { displayName: i === 0 ? 'Teams meeting' : 'Room 2.14' },
          attendees: colleague ? [{ emailAddress: colleague, type: 'required' }] : [],
          body: { contentType: 'html', content: '<p>Agenda in the shared notes.</p>' },
        })
      }
    }
  }

  store.createEvent(user.id, cal, {
    subject: 'Team sync',
    start: at(monday.minus({ weeks: 2 }), 10),
    end: at(monday.minus({ weeks: 2 }), 10, 30),
    recurrence: {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'monday' },
      range: { type: 'numbered', startDate: monday.minus({ weeks: 2 }).toISODate(), numberOfOccurrences: 12 },
    },
    attendees: COLLEAGUES.map((emailAddress) => ({ emailAddress, type: 'required' })),
  })
  const offsite = monday.plus({ weeks: 1, days: 2 })
  store.createEvent(user.id, cal, {
    subject: 'Team offsite',
    isAllDay: true,
    start: day(offsite),
    end: day(offsite.plus({ days: 1 })),
    showAs: 'busy',
  })
  const thursday = monday.plus({ days: 3 })
  store.createEvent(user.id, cal, {
    subject: 'Working from the Lisbon office',
    isAllDay: true,
    start: day(thursday.plus({ weeks: 1 })),
    end: day(thursday.plus({ weeks: 1, days: 1 })),
    showAs: 'workingElsewhere',
  })
  store.createEvent(user.id, cal, {
    subject: 'Lunch walk',
    start: at(monday.plus({ days: 1 }), 12, 30),
    end: at(monday.plus({ days: 1 }), 13, 15),
    showAs: 'free',
  })
  store.createEvent(user.id, cal, {
    subject: 'Dentist',
    start: at(monday.plus({ days: 4 }), 8),
    end: at(monday.plus({ days: 4 }), 9),
    showAs: 'oof',
    sensitivity: 'private',
  })
  store.createEvent(
    user.id,
    cal,
    {
      subject: 'Vendor pitch: Fabrikam analytics',
      start: at(monday.plus({ days: 2 }), 15),
      end: at(monday.plus({ days: 2 }), 16),
      attendees: [{ emailAddress: { name: user.displayName, address: user.mail }, type: 'optional' }],
    },
    { organizer: { name: 'Sales at Fabrikam', address: 'sales@fabrikam.test' }, responseStatus: 'declined' },
  )
  store.createEvent(
    user.id,
    cal,
    {
      subject: 'Architecture guild',
      start: at(monday.plus({ weeks: 1, days: 3 }), 16),
      end: at(monday.plus({ weeks: 1, days: 3 }), 17),
      showAs: 'tentative',
    },
    {
      organizer: COLLEAGUES[2] ?? { name: 'Lee Gu', address: 'leeg@contoso.test' },
      responseStatus: 'tentativelyAccepted',
    },
  )
  const team = store.addCalendar(user.id, { name: 'Team events', color: 'lightGreen' })
  store.createEvent(user.id, team.id, {
    subject: 'Quarterly demo day',
    start: at(monday.plus({ weeks: 2, days: 4 }), 13),
    end: at(monday.plus({ weeks: 2, days: 4 }), 17),
  })
}

// RFC 5545 files for bookings (ical-generator): a stable UID per booking and a SEQUENCE that rises on changes.
import ical, {
  ICalAttendeeRole,
  ICalAttendeeStatus,
  ICalCalendarMethod,
  ICalEventStatus,
} from 'ical-generator'
import type { Booking } from '../db/repositories/bookings.js'

export interface IcsParts {
  booking: Booking
  meetingName: string
  client: { name: string; email: string }
  contact: { name: string; email: string }
  manageUrl?: string | null
}

export function bookingUid(bookingId: string): string {
  return `${bookingId}@officehours`
}

export function bookingIcs(parts: IcsParts): string {
  const { booking } = parts
  const cancelled = booking.status === 'cancelled'
  const calendar = ical({
    prodId: { company: 'officehours', product: 'officehours', language: 'EN' },
    method: cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
  })
  const description = [booking.notes, parts.manageUrl ? `Reschedule or cancel: ${parts.manageUrl}` : null]
    .filter(Boolean)
    .join('\n\n')
  calendar.createEvent({
    id: bookingUid(booking.id),
    sequence: booking.sequence,
    start: booking.start,
    end: booking.end,
    stamp: booking.updatedAt,
    summary: `${parts.meetingName} with ${parts.contact.name}`,
    description: description || null,
    status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: { name: parts.client.name, email: parts.client.email },
    attendees: [
      {
        name: parts.contact.name,
        email: parts.contact.email,
        role: ICalAttendeeRole.REQ,
        status: cancelled ? ICalAttendeeStatus.DECLINED : ICalAttendeeStatus.ACCEPTED,
      },
    ],
    url: parts.manageUrl ?? null,
  })
  return calendar.toString()
}

// The newcomer's demo on a fresh sandbox install: an assistant, a client whose sandbox Google calendar is
// connected (through the real OAuth flow against the emulator), a meeting type and a booking link.
import type { Deps } from '../deps.js'
import { createBookingLink } from './booking-links.js'
import { completeConnection, startConnection } from './connections.js'
import { createMeetingType } from './meeting-types.js'
import { createAssistant, createClient } from './people.js'

export interface Demo {
  bookingLinkUrl: string
  clientId: string
  meetingTypeId: string
  /** The sandbox Google account whose primary calendar the client connected. */
  calendarEmail: string | null
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const

export async function seedDemo(deps: Deps, accountId: string): Promise<Demo> {
  const assistant = await createAssistant(deps, accountId, {
    name: 'Maya (your VA)',
    email: 'maya@va.example',
    timeZone: 'Europe/Lisbon',
    officeHours: { weekly: [{ days: [...WEEKDAYS], start: '08:00', end: '17:00' }] },
  })
  const client = await createClient(deps, accountId, {
    assistantId: assistant.id,
    name: 'Alice Example',
    email: 'alice@sandbox.test',
    timeZone: 'Europe/Berlin',
    businessHours: { weekly: [{ days: [...WEEKDAYS], start: '09:00', end: '17:00' }] },
  })
  const meetingType = await createMeetingType(deps, accountId, {
    clientId: client.id,
    name: 'Intro call',
    durationMinutes: 30,
  })
  // The same consent round trip a person makes in the browser, with the emulator consenting at once.
  const { authorizationUrl } = await startConnection(
    deps,
    accountId,
    { type: 'client', id: client.id },
    'google',
  )
  const consent = await fetch(`${authorizationUrl}&auto=1&login_hint=alice%40sandbox.test`, {
    redirect: 'manual',
  })
  const back = new URL(consent.headers.get('location') ?? '')
  const connected = await completeConnection(deps, 'google', {
    code: back.searchParams.get('code') ?? undefined,
    state: back.searchParams.get('state') ?? undefined,
  })
  const link = await createBookingLink(deps, accountId, { meetingTypeId: meetingType.id })
  return {
    bookingLinkUrl: link.url,
    clientId: client.id,
    meetingTypeId: meetingType.id,
    calendarEmail: connected.accountEmail,
  }
}

// An account with one of everything, made over HTTP against a live server: people, a meeting type, bookings (one
// through a booking link, so a manage token exists), a link, a webhook endpoint, a second API key and, when asked,
// a calendar connected through the emulator's OAuth.
import { randomUUID } from 'node:crypto'
import type { AccountIds } from './isolation-routes.js'
import type { HttpAccount, HttpResponse, LiveServer } from './live-server.js'
import { until } from './until.js'

export interface PopulatedAccount {
  ids: AccountIds
  linkToken: string
  manageToken: string
  /** The webhook endpoint's signing secret (`whsec_…`), shown once at creation. */
  webhookSecret: string
  /** The second API key, in clear. */
  secondKey: string
  /** Free slots of the meeting type over the next four weeks (two are booked). */
  slotStarts: string[]
  /** Every JSON answer the set-up got: where the account's names, emails, ids and tokens can be found. */
  answers: unknown[]
}

export interface PopulateOptions {
  /** Makes names and emails recognisable, e.g. `Aurelia` → "Aurelia assistant", aurelia.assistant@va.example. */
  label: string
  /** Connect the client's calendar through the emulator's OAuth. */
  provider?: 'google' | 'microsoft'
  /** The webhook endpoint's URL; with a worker running, waits for the first delivery and takes its id. */
  webhookUrl?: string
}

export async function populateAccount(
  server: LiveServer,
  account: HttpAccount,
  options: PopulateOptions,
): Promise<PopulatedAccount> {
  const answers: unknown[] = []
  const label = options.label
  const low = label.toLowerCase()
  const made = async (what: string, res: Promise<HttpResponse>) => {
    const r = await res
    if (r.status !== 201 && r.status !== 200) throw new Error(`${label} ${what}: ${r.status} ${r.text}`)
    answers.push(r.body)
    return r.body
  }
  const week = { weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }] }
  const assistant = await made(
    'assistant',
    account.post('/v1/assistants', {
      name: `${label} assistant`,
      email: `${low}.assistant@va.example`,
      timeZone: 'Europe/Berlin',
      officeHours: week,
    }),
  )
  const client = await made(
    'client',
    account.post('/v1/clients', {
      assistantId: assistant.id,
      name: `${label} client`,
      email: `${low}.client@exec.example`,
      timeZone: 'Europe/Berlin',
      businessHours: week,
    }),
  )
  const contact = await made(
    'contact',
    account.post(`/v1/clients/${client.id}/contacts`, {
      name: `${label} contact`,
      email: `${low}.contact@partner.example`,
      timeZone: 'America/New_York',
    }),
  )
  const meetingType = await made(
    'meeting type',
    account.post('/v1/meeting-types', {
      clientId: client.id,
      name: `${label} intro call`,
      minimumNoticeMinutes: 0,
    }),
  )
  const key = await made('api key', account.post('/v1/api-keys', { name: `${label} second key` }))
  const endpoint = await made(
    'webhook endpoint',
    account.post('/v1/webhook-endpoints', {
      url: options.webhookUrl ?? `https://${low}.hooks.example.com/in`,
      events: ['booking.created', 'booking.cancelled', 'booking.rescheduled'],
      description: `${label} CRM`,
    }),
  )
  const connection = options.provider
    ? await server.connect(account, `/v1/clients/${client.id}`, options.provider)
    : null
  if (connection) {
    await made('connection', account.get(`/v1/connections/${connection}`))
    await made('calendars', account.get(`/v1/connections/${connection}/calendars`))
  }

  const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)
  const slots = await made(
    'availability',
    account.get(
      `/v1/availability?meetingTypeId=${meetingType.id}&from=${day(2)}T00:00:00Z&to=${day(30)}T00:00:00Z`,
    ),
  )
  const slotStarts = (slots.slots as { start: string }[]).map((s) => s.start)
  if (slotStarts.length < 4) throw new Error(`${label}: too few slots (${slotStarts.length})`)
  const booking = await made(
    'booking',
    account.post('/v1/bookings', {
      meetingTypeId: meetingType.id,
      start: slotStarts[0],
      contactId: contact.id,
      notes: `${label} booking notes`,
    }),
  )
  const link = await made('link', account.post('/v1/booking-links', { meetingTypeId: meetingType.id }))
  const viaLink = await made(
    'booking through the link',
    server.request('POST', `/public/v1/links/${link.token}/bookings`, {
      json: {
        start: slotStarts[2],
        name: `${label} guest`,
        email: `${low}.guest@partner.example`,
        timeZone: 'Europe/Berlin',
      },
    }),
  )

  let webhookDelivery = randomUUID()
  if (options.webhookUrl) {
    const deliveries = await until(
      `${label}'s first webhook delivery`,
      async () => {
        const res = await account.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)
        return res.body?.data?.length > 0 ? res.body : null
      },
      30_000,
    )
    answers.push(deliveries)
    webhookDelivery = deliveries.data[0].id
  }

  return {
    ids: {
      assistant: assistant.id,
      client: client.id,
      contact: contact.id,
      meetingType: meetingType.id,
      apiKey: key.id,
      connection: connection ?? randomUUID(),
      booking: booking.id,
      bookingLink: link.id,
      webhookEndpoint: endpoint.id,
      webhookDelivery,
    },
    linkToken: link.token,
    manageToken: viaLink.manageToken,
    webhookSecret: endpoint.secret,
    secondKey: key.key,
    slotStarts,
    answers,
  }
}

export interface TwoAccounts {
  a: HttpAccount
  b: HttpAccount
  ofA: PopulatedAccount
  ofB: PopulatedAccount
}

/**
 * Two accounts with one of everything, told apart by their labels: A's client calendar in the Google emulator, B's in
 * the Microsoft one (so neither shares a calendar account with the other), webhooks to `${receiverUrl}/a` and `/b`.
 */
export async function populateTwoAccounts(
  server: LiveServer,
  receiverUrl: string,
  labels: [string, string],
): Promise<TwoAccounts> {
  const a = await server.createAccount(`${labels[0]} Assistants`)
  const b = await server.createAccount(`${labels[1]} Business`)
  const ofA = await populateAccount(server, a, {
    label: labels[0],
    provider: 'google',
    webhookUrl: `${receiverUrl}/a`,
  })
  const ofB = await populateAccount(server, b, {
    label: labels[1],
    provider: 'microsoft',
    webhookUrl: `${receiverUrl}/b`,
  })
  return { a, b, ofA, ofB }
}

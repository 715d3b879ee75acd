// Booking benchmark on PostgreSQL: throughput on distinct free slots, and 200 racers for one slot.
// The server runs in its own process (bench/server.ts); this process only sends requests.
import { api, type BenchServer, percentile, startBenchServer } from './server.js'

const CLIENTS = 20
const CONCURRENCY = 20
const RACERS = 200
const SLOT_MS = 15 * 60_000
const DAY = 86_400_000
const ALL_DAY = {
  weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }],
}

interface Seeded {
  meetingTypeId: string
  contactId: string
}

async function seed(server: BenchServer): Promise<Seeded[]> {
  const assistant = await api<{ id: string }>(server.base, server.key, '/v1/assistants', {
    name: 'Maya',
    email: 'maya@va.example',
    timeZone: 'Europe/Lisbon',
    officeHours: ALL_DAY,
  })
  const seeded: Seeded[] = []
  for (let i = 0; i < CLIENTS; i++) {
    const client = await api<{ id: string }>(server.base, server.key, '/v1/clients', {
      assistantId: assistant.id,
      name: `Client ${i}`,
      email: `client${i}@exec.example`,
      timeZone: 'Europe/Berlin',
      businessHours: ALL_DAY,
    })
    const meetingType = await api<{ id: string }>(server.base, server.key, '/v1/meeting-types', {
      clientId: client.id,
      name: 'Quick call',
      durationMinutes: 15,
      slotIntervalMinutes: 15,
      minimumNoticeMinutes: 0,
      horizonDays: 730,
      requireAssistantHours: false,
    })
    const contact = await api<{ id: string }>(server.base, server.key, `/v1/clients/${client.id}/contacts`, {
      name: `Contact ${i}`,
      email: `contact${i}@partner.example`,
    })
    seeded.push({ meetingTypeId: meetingType.id, contactId: contact.id })
  }
  return seeded
}

async function book(server: BenchServer, body: object): Promise<{ status: number; ms: number }> {
  const started = performance.now()
  const res = await fetch(`${server.base}/v1/bookings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  await res.arrayBuffer()
  return { status: res.status, ms: performance.now() - started }
}

export interface BookingBenchResult {
  throughput: Record<string, unknown>
  contention: Record<string, unknown>
}

export default async function runBookingBench(): Promise<BookingBenchResult> {
  const total = Number(process.env.BENCH_BOOKINGS ?? 3000)
  const server = await startBenchServer(
    process.env.BENCH_CPU_PROF
      ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] }
      : {},
  )
  try {
    const seeded = await seed(server)
    const firstDay = Math.ceil((Date.now() + DAY) / DAY) * DAY
    let next = 0
    const slotOf = (n: number) => {
      // Round-robin over the clients, so concurrent requests mostly touch different clients (as a VA team's do).
      const target = seeded[n % CLIENTS]!
      const start = new Date(firstDay + Math.floor(n / CLIENTS) * SLOT_MS).toISOString()
      return { meetingTypeId: target.meetingTypeId, contactId: target.contactId, start }
    }
    // Warm-up on the last day of the horizon, away from the measured slots.
    for (let i = 0; i < 100; i++)
      await book(server, { ...slotOf(i), start: new Date(firstDay + 700 * DAY + i * SLOT_MS).toISOString() })

    const latencies: number[] = []
    let errors = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < total) {
          const n = next++
          const { status, ms } = await book(server, slotOf(n))
          latencies.push(ms)
          if (status !== 201) errors++
        }
      }),
    )
    const elapsedMs = performance.now() - started
    latencies.sort((a, b) => a - b)
    const throughput = {
      bench: 'bookings-throughput',
      database: 'postgres',
      bookings: total,
      clients: CLIENTS,
      concurrency: CONCURRENCY,
      bookingsPerSec: Math.round((total / elapsedMs) * 1000),
      p50Ms: Number(percentile(latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(latencies, 99).toFixed(1)),
      non201: errors,
    }
    console.log(JSON.stringify(throughput))

    // Contention: everyone wants the same slot of one client at once.
    const slot = { ...slotOf(0), start: new Date(firstDay + 600 * DAY).toISOString() }
    const raceStart = performance.now()
    const answers = await Promise.all(Array.from({ length: RACERS }, () => book(server, slot)))
    const contention = {
      bench: 'bookings-contention',
      database: 'postgres',
      racers: RACERS,
      created: answers.filter((a) => a.status === 201).length,
      conflicts: answers.filter((a) => a.status === 409).length,
      other: answers.filter((a) => a.status !== 201 && a.status !== 409).length,
      allAnsweredMs: Math.round(performance.now() - raceStart),
    }
    console.log(JSON.stringify(contention))
    if (throughput.non201 > 0 || contention.created !== 1 || contention.other > 0) process.exitCode = 1
    return { throughput, contention }
  } finally {
    await server.stop()
  }
}

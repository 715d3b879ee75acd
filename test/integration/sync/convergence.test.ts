// The randomized convergence run of issue 7: for each provider, a few hundred seeded random edits by the calendar's
// owner in the emulator (single events created, moved, deleted and made free; series created, shifted, moved (also
// wholly out of the sync window), reshaped and deleted; single instances moved and cancelled) while the emulator
// drops notifications and fails list/delta calls with 503 and 429 + Retry-After. Once the faults stop and one last
// incremental sync ran, the calendar's events in officehours must be exactly what the emulator itself shows inside
// the sync window, by its own recurrence expansion.
//
// CI runs the seeds in CI_SEEDS. Locally: CONVERGENCE_SEEDS=20 runs seeds 1..20, CONVERGENCE_SEED=7 only seed 7,
// CONVERGENCE_EDITS=500 changes the number of edits per seed.
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mulberry32 } from '../../../bench/random.js'
import { testConfig } from '../../../src/config.js'
import { runCalendarSync } from '../../../src/sync/inbound.js'
import { type ProviderName, syncWindow } from '../../../src/sync/provider.js'
import { createProviders } from '../../../src/sync/providers.js'
import { startWorker, type Worker } from '../../../src/worker.js'
import type { AccountClient, TestApp } from '../../helpers/app.js'
import { until } from '../../helpers/until.js'
import { type Emulators, GOOGLE_USER, startListeningSetup } from './harness.js'

const CI_SEEDS = [1]

function seedsToRun(): number[] {
  if (process.env.CONVERGENCE_SEED) return [Number(process.env.CONVERGENCE_SEED)]
  const n = Number(process.env.CONVERGENCE_SEEDS ?? 0)
  return n > 0 ? Array.from({ length: n }, (_, i) => i + 1) : CI_SEEDS
}
const SEEDS = seedsToRun()
const EDITS = Number(process.env.CONVERGENCE_EDITS ?? 300)
const DROP_RATE = 0.25
const ZONE = 'Europe/Berlin'

/** Picks edits: the same seed gives the same edit sequence. */
function prng(seed: number) {
  const next = mulberry32(seed)
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  return {
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
  }
}
type Rng = ReturnType<typeof prng>

/** One instance as the owner sees it: a single event, an occurrence or an exception of a series. */
interface Instance {
  id: string
  seriesId: string | null
  start: number
  end: number
  busy: boolean
}

interface SeriesRule {
  freq: 'daily' | 'weekly'
  interval: number
  /** Null: no end. */
  count: number | null
  /** Weekly only: 0 = Monday. */
  days: number[]
}

/** The owner's hands in one emulator, in the vocabulary of the run, and what the emulator counted. */
interface OwnerCalendar {
  createSingle(start: DateTime, minutes: number, busy: boolean): string
  /** Moves a single event or one instance of a series (an instance becomes an exception). */
  move(id: string, start: DateTime, minutes: number): void
  setBusy(id: string, busy: boolean): void
  /** Deletes a single event, a whole series (its master id) or one instance. */
  remove(id: string): void
  createSeries(start: DateTime, minutes: number, rule: SeriesRule, busy: boolean): string
  shiftSeries(id: string, hours: number): void
  /** Moves a whole series to a new first instance at `start`, another day too; its rule and length kept. */
  moveSeries(id: string, start: DateTime): void
  reshapeSeries(id: string, rule: SeriesRule): void
  /** Takes the recurrence off a series: its master stays as a single event. */
  endSeries(id: string): void
  /** The emulator's truth: what it expands for the owner, overlapping [from, to); or one series only. */
  instances(from: number, to: number, seriesId?: string): Instance[]
  expireCursors(): void
  faults(on: boolean): void
  setDropRate(rate: number): void
  settle(): Promise<void>
  /** Notifications lost to the drop rate, and list/delta calls answered with an error, since `since`. */
  counters(since: number): { notifications: number; dropped: number; failedCalls: number; listCalls: number }
  now(): number
}

const GOOGLE_DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU']
const GRAPH_DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']

function googleCalendar(em: Emulators): OwnerCalendar {
  const g = em.google
  const cal = GOOGLE_USER
  const at = (d: DateTime) => ({
    dateTime: d.setZone(ZONE).toISO({ suppressMilliseconds: true }),
    timeZone: ZONE,
  })
  const times = (start: DateTime, minutes: number) => ({ start: at(start), end: at(start.plus({ minutes })) })
  const rrule = (r: SeriesRule) =>
    `RRULE:FREQ=${r.freq === 'daily' ? 'DAILY' : 'WEEKLY'};INTERVAL=${r.interval}` +
    (r.freq === 'weekly' ? `;BYDAY=${r.days.map((d) => GOOGLE_DAYS[d]).join(',')}` : '') +
    (r.count !== null ? `;COUNT=${r.count}` : '')
  const instant = (t: { dateTime?: string }) => DateTime.fromISO(String(t.dateTime), { setZone: true })
  return {
    createSingle: (start, minutes, busy) =>
      String(
        g.owner.createEvent(cal, {
          summary: 'Owner event',
          ...times(start, minutes),
          ...(busy ? {} : { transparency: 'transparent' }),
        }).id,
      ),
    move: (id, start, minutes) => {
      g.owner.updateEvent(cal, id, times(start, minutes))
    },
    setBusy: (id, busy) => {
      g.owner.updateEvent(cal, id, { transparency: busy ? 'opaque' : 'transparent' })
    },
    remove: (id) => g.owner.deleteEvent(cal, id),
    createSeries: (start, minutes, rule, busy) =>
      String(
        g.owner.createEvent(cal, {
          summary: 'Owner series',
          ...times(start, minutes),
          recurrence: [rrule(rule)],
          ...(busy ? {} : { transparency: 'transparent' }),
        }).id,
      ),
    shiftSeries: (id, hours) => {
      const master = g.owner.getEvent(cal, id) as { start: { dateTime: string }; end: { dateTime: string } }
      g.owner.updateEvent(cal, id, {
        start: at(instant(master.start).plus({ hours })),
        end: at(instant(master.end).plus({ hours })),
      })
    },
    moveSeries: (id, start) => {
      const master = g.owner.getEvent(cal, id) as { start: { dateTime: string }; end: { dateTime: string } }
      const minutes = instant(master.end).diff(instant(master.start), 'minutes').minutes
      g.owner.updateEvent(cal, id, times(start, minutes))
    },
    reshapeSeries: (id, rule) => {
      g.owner.updateEvent(cal, id, { recurrence: [rrule(rule)] })
    },
    endSeries: (id) => {
      g.owner.updateEvent(cal, id, { recurrence: [] })
    },
    instances: (from, to, seriesId) =>
      g.owner.listInstances(cal, from, to, seriesId).map((e) => {
        const ev = e as {
          id: string
          recurringEventId?: string
          start: { dateTime?: string }
          end: { dateTime?: string }
          transparency?: string
        }
        return {
          id: ev.id,
          seriesId: ev.recurringEventId ?? null,
          start: instant(ev.start).toMillis(),
          end: instant(ev.end).toMillis(),
          busy: ev.transparency !== 'transparent',
        }
      }),
    expireCursors: () => g.sync.invalidateTokens(),
    faults: (on) => {
      g.faults.clear()
      if (!on) return
      g.addFault({ route: 'events.list', status: 503, errorRate: 0.15 })
      g.addFault({ route: 'events.list', status: 429, errorRate: 0.12, retryAfterSeconds: 1 })
    },
    setDropRate: (rate) => g.notifier.setDropRate(rate),
    settle: () => g.notifier.settle(),
    counters: (since) => {
      const sent = g.channels.deliveries().filter((d) => d.at >= since && d.state === 'exists')
      const calls = g.requests.list({ route: 'events.list' }).filter((r) => r.at >= since)
      return {
        notifications: sent.length,
        dropped: sent.filter((d) => d.result?.dropped).length,
        failedCalls: calls.filter((r) => r.status >= 400).length,
        listCalls: calls.length,
      }
    },
    now: () => g.now(),
  }
}

function microsoftCalendar(em: Emulators): OwnerCalendar {
  const m = em.microsoft
  const calendarId = m.listCalendars().find((c) => c.isDefaultCalendar)?.id ?? ''
  const wall = (d: DateTime) => ({
    dateTime: d.setZone(ZONE).toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    timeZone: ZONE,
  })
  const times = (start: DateTime, minutes: number) => ({
    start: wall(start),
    end: wall(start.plus({ minutes })),
  })
  // Outlook's variety of free/busy: tentative and out-of-office block time, working elsewhere does not.
  const showAs = (busy: boolean, id: number) =>
    busy ? (['busy', 'tentative', 'oof'][id % 3] as string) : id % 2 ? 'free' : 'workingElsewhere'
  let n = 0
  const recurrence = (rule: SeriesRule, start: DateTime) => ({
    pattern: {
      type: rule.freq,
      interval: rule.interval,
      ...(rule.freq === 'weekly' ? { daysOfWeek: rule.days.map((d) => GRAPH_DAYS[d]) } : {}),
    },
    range: {
      type: rule.count === null ? 'noEnd' : 'numbered',
      startDate: start.setZone(ZONE).toISODate(),
      ...(rule.count === null ? {} : { numberOfOccurrences: rule.count }),
    },
  })
  const utc = (t: { dateTime: string }) => DateTime.fromISO(t.dateTime, { zone: 'UTC' })
  const master = (id: string) => {
    const ev = m.getEvent(id) as { start: { dateTime: string }; end: { dateTime: string } } | null
    if (!ev) throw new Error(`no event ${id}`)
    return { start: utc(ev.start), end: utc(ev.end) }
  }
  return {
    createSingle: (start, minutes, busy) =>
      String(
        m.createEvent({
          calendarId,
          subject: 'Owner event',
          ...times(start, minutes),
          showAs: showAs(busy, n++),
        }).id,
      ),
    move: (id, start, minutes) => {
      m.updateEvent(id, times(start, minutes))
    },
    setBusy: (id, busy) => {
      m.updateEvent(id, { showAs: showAs(busy, n++) })
    },
    remove: (id) => m.deleteEvent(id),
    createSeries: (start, minutes, rule, busy) =>
      String(
        m.createEvent({
          calendarId,
          subject: 'Owner series',
          ...times(start, minutes),
          showAs: showAs(busy, n++),
          recurrence: recurrence(rule, start),
        }).id,
      ),
    shiftSeries: (id, hours) => {
      const { start, end } = master(id)
      m.updateEvent(id, { start: wall(start.plus({ hours })), end: wall(end.plus({ hours })) })
    },
    moveSeries: (id, start) => {
      // A Graph series starts on its range's startDate, whatever the master's start says: both move.
      const { start: from, end } = master(id)
      const { recurrence: current } = m.getEvent(id) as { recurrence: { range: Record<string, unknown> } }
      m.updateEvent(id, {
        ...times(start, end.diff(from, 'minutes').minutes),
        recurrence: { ...current, range: { ...current.range, startDate: start.setZone(ZONE).toISODate() } },
      })
    },
    reshapeSeries: (id, rule) => {
      m.updateEvent(id, { recurrence: recurrence(rule, master(id).start) })
    },
    endSeries: (id) => {
      m.updateEvent(id, { recurrence: null })
    },
    instances: (from, to, seriesId) =>
      m
        .listInstances({ from, to, calendarId, ...(seriesId ? { seriesMasterId: seriesId } : {}) })
        .map((e) => {
          const ev = e as {
            id: string
            seriesMasterId: string | null
            start: { dateTime: string }
            end: { dateTime: string }
            showAs: string
            isCancelled: boolean
            responseStatus: { response: string }
          }
          return {
            id: ev.id,
            seriesId: ev.seriesMasterId,
            start: utc(ev.start).toMillis(),
            end: utc(ev.end).toMillis(),
            busy:
              ev.showAs !== 'free' &&
              ev.showAs !== 'workingElsewhere' &&
              !ev.isCancelled &&
              ev.responseStatus.response !== 'declined',
          }
        }),
    expireCursors: () => {
      m.invalidateDeltaTokens()
    },
    faults: (on) => {
      m.faults.clear()
      if (!on) return
      m.faults.add({ route: 'delta', status: 503, errorRate: 0.15 })
      m.faults.add({ route: 'delta', status: 429, errorRate: 0.12, retryAfterSeconds: 1 })
    },
    setDropRate: (rate) => m.setNotificationDropRate(rate),
    settle: () => m.settle(),
    counters: (since) => {
      const sent = m.notifications().filter((d) => d.at >= since && d.kind === 'change')
      const calls = m.requestLog.list({ route: 'delta' }).filter((r) => r.at >= since)
      return {
        notifications: sent.length,
        dropped: sent.filter((d) => d.dropped).length,
        failedCalls: calls.filter((r) => r.status >= 400).length,
        listCalls: calls.length,
      }
    },
    now: () => Date.now(),
  }
}

const KINDS = {
  createSingle: 20,
  moveSingle: 14,
  deleteSingle: 8,
  toggleFree: 6,
  createSeries: 8,
  moveInstance: 12,
  cancelInstance: 9,
  shiftSeries: 5,
  moveSeries: 4,
  reshapeSeries: 4,
  endSeries: 2,
  toggleSeriesFree: 3,
  deleteSeries: 4,
  expireCursor: 1,
} as const
type Kind = keyof typeof KINDS

function pickKind(rng: Rng): Kind {
  const total = Object.values(KINDS).reduce((a, b) => a + b, 0)
  let roll = rng.int(0, total - 1)
  for (const [kind, weight] of Object.entries(KINDS) as Array<[Kind, number]>) {
    if (roll < weight) return kind
    roll -= weight
  }
  return 'createSingle'
}

/** Edits land from 5 days before the sync window to 5 days after it, so some leave and enter the window. */
function randomStart(rng: Rng, window: { start: Date; end: Date }): DateTime {
  const first = DateTime.fromJSDate(window.start, { zone: ZONE }).minus({ days: 5 }).startOf('day')
  const days = Math.round(
    DateTime.fromJSDate(window.end, { zone: ZONE }).diff(
      DateTime.fromJSDate(window.start, { zone: ZONE }),
      'days',
    ).days,
  )
  return first
    .plus({ days: rng.int(0, days + 10) })
    .set({ hour: rng.int(6, 19), minute: rng.pick([0, 15, 30, 45]) })
}

/**
 * Where a whole series is moved to: anywhere an edit lands, or so that none of its instances fall in the sync
 * window: after it, or long enough before it that a series with an end is over before the window starts.
 */
function seriesStart(rng: Rng, window: { start: Date; end: Date }): DateTime {
  const roll = rng.int(0, 9)
  if (roll < 4) return randomStart(rng, window)
  const hour = { hour: rng.int(6, 19), minute: rng.pick([0, 15, 30, 45]) }
  if (roll < 7)
    return DateTime.fromJSDate(window.end, { zone: ZONE })
      .plus({ days: rng.int(1, 30) })
      .set(hour)
  return DateTime.fromJSDate(window.start, { zone: ZONE })
    .minus({ days: rng.int(400, 430) })
    .set(hour)
}

function randomRule(rng: Rng): SeriesRule {
  const weekly = rng.chance(0.5)
  const days = [...new Set([rng.int(0, 6), rng.int(0, 6), rng.int(0, 6)].slice(0, rng.int(1, 3)))].sort()
  return {
    freq: weekly ? 'weekly' : 'daily',
    interval: rng.int(1, weekly ? 2 : 3),
    // Open-ended only weekly: a daily series without end would be most of the calendar.
    count: weekly && rng.chance(0.25) ? null : rng.int(2, weekly ? 12 : 15),
    days,
  }
}

const minutesOf = (rng: Rng) => rng.pick([15, 30, 45, 60, 90, 120, 180, 240])
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.each<ProviderName>(['google', 'microsoft'])('randomized convergence with %s', (provider) => {
  let em: Emulators
  let t: TestApp
  let account: AccountClient
  let owner: OwnerCalendar
  let worker: Worker | undefined
  let job: { accountId: string; connectionId: string; calendarId: string }

  const startTheWorker = async () => {
    worker = await startWorker(t.app.deps, {
      jobTimeoutSeconds: 10,
      dispatchIntervalMs: 50,
      inbound: { channelIntervalMs: 200 },
    })
  }

  const stopTheWorker = async () => {
    await worker?.stop()
    worker = undefined
  }

  /** Our copy of the calendar inside the window, in the same shape as the emulator's truth. */
  const ours = async (window: { start: Date; end: Date }): Promise<Instance[]> => {
    const rows = await t.app.deps.db
      .selectFrom('calendar_events')
      .select([
        'provider_event_id',
        'recurring_event_id',
        'starts_at',
        'ends_at',
        'status',
        'show_as',
        'response_status',
      ])
      .where('account_id', '=', job.accountId)
      .where('connection_id', '=', job.connectionId)
      .where('calendar_id', '=', job.calendarId)
      .where('ends_at', '>', window.start)
      .where('starts_at', '<', window.end)
      .execute()
    return rows.map((r) => ({
      id: r.provider_event_id,
      seriesId: r.recurring_event_id,
      start: r.starts_at.getTime(),
      end: r.ends_at.getTime(),
      // The availability engine's definition of busy (src/services/availability.ts).
      busy:
        r.status !== 'cancelled' &&
        r.show_as !== 'free' &&
        r.show_as !== 'working_elsewhere' &&
        r.response_status !== 'declined',
    }))
  }

  beforeAll(async () => {
    // Pages small enough to page, big enough that a full resync under faults is not hopeless.
    let connectionId: string
    ;({ em, t, account, connectionId } = await startListeningSetup(provider, (config) =>
      createProviders(testConfig(config), {
        googlePageSize: 25,
        microsoftPageSize: 25,
        microsoftRetry: { delaySeconds: 0, maxRetries: 1 },
      }),
    ))
    const calendarId = (await account.get(`/v1/connections/${connectionId}/calendars`)).body.data.find(
      (c: { busy: boolean }) => c.busy,
    ).id
    job = { accountId: account.accountId, connectionId, calendarId }
    owner = provider === 'google' ? googleCalendar(em) : microsoftCalendar(em)
    await startTheWorker()
    await until('push channel', async () => {
      const c = (await account.get(`/v1/connections/${job.connectionId}`)).body
      return c.syncMode === 'push' && c.channelExpiresAt
    })
  })
  afterAll(async () => {
    await worker?.stop()
    await t?.close()
    await em?.close()
  })

  it.each(SEEDS)(
    'seed %i: busy data equals the emulator after the dust settles',
    async (seed) => {
      const started = Date.now()
      const window = syncWindow(t.app.deps.clock.now())
      const wide = {
        from: window.start.getTime() - 30 * 86_400_000,
        to: window.end.getTime() + 30 * 86_400_000,
      }
      const rng = prng(seed)

      // A clean calendar, synced, with the worker stopped: every seed starts from the same place.
      await stopTheWorker()
      const leftovers = new Set(owner.instances(wide.from, wide.to).map((i) => i.seriesId ?? i.id))
      for (const id of leftovers) owner.remove(id)
      await owner.settle()
      await runCalendarSync(t.app.deps, job)
      const left = await ours(window)
      // A failure here is reported, and a full resync clears the way for the next seed.
      if (left.length > 0) await runCalendarSync(t.app.deps, { ...job, full: true })
      expect(left).toEqual([])
      await startTheWorker()

      const singles: string[] = []
      const series: string[] = []
      const counts = Object.fromEntries(Object.keys(KINDS).map((k) => [k, 0])) as Record<Kind, number>
      const since = owner.now()
      const editsStarted = Date.now()
      owner.faults(true)
      owner.setDropRate(DROP_RATE)
      let cursorsExpired = false
      for (let i = 0; i < EDITS; i++) {
        let kind = pickKind(rng)
        if (
          (kind === 'moveSingle' || kind === 'deleteSingle' || kind === 'toggleFree') &&
          singles.length === 0
        )
          kind = 'createSingle'
        if (
          (kind === 'shiftSeries' ||
            kind === 'moveSeries' ||
            kind === 'reshapeSeries' ||
            kind === 'endSeries' ||
            kind === 'toggleSeriesFree' ||
            kind === 'deleteSeries') &&
          series.length === 0
        )
          kind = 'createSeries'
        const instances =
          (kind === 'moveInstance' || kind === 'cancelInstance') && series.length > 0
            ? owner.instances(wide.from, wide.to, rng.pick(series))
            : []
        if ((kind === 'moveInstance' || kind === 'cancelInstance') && instances.length === 0)
          kind = 'createSeries'

        switch (kind) {
          case 'createSingle':
            singles.push(owner.createSingle(randomStart(rng, window), minutesOf(rng), !rng.chance(0.2)))
            break
          case 'moveSingle':
            owner.move(rng.pick(singles), randomStart(rng, window), minutesOf(rng))
            break
          case 'deleteSingle': {
            const id = rng.pick(singles)
            singles.splice(singles.indexOf(id), 1)
            owner.remove(id)
            break
          }
          case 'toggleFree':
            owner.setBusy(rng.pick(singles), rng.chance(0.5))
            break
          case 'createSeries':
            series.push(
              owner.createSeries(randomStart(rng, window), minutesOf(rng), randomRule(rng), !rng.chance(0.2)),
            )
            break
          case 'moveInstance': {
            const inst = rng.pick(instances)
            // Mostly a nearby move (same week), sometimes anywhere.
            const start = rng.chance(0.7)
              ? DateTime.fromMillis(inst.start, { zone: ZONE }).plus({ hours: rng.int(-72, 72) })
              : randomStart(rng, window)
            owner.move(inst.id, start, minutesOf(rng))
            break
          }
          case 'cancelInstance':
            owner.remove(rng.pick(instances).id)
            break
          case 'shiftSeries':
            owner.shiftSeries(rng.pick(series), rng.pick([-3, -2, -1, 1, 2, 3]))
            break
          case 'moveSeries':
            owner.moveSeries(rng.pick(series), seriesStart(rng, window))
            break
          case 'reshapeSeries':
            owner.reshapeSeries(rng.pick(series), randomRule(rng))
            break
          case 'endSeries': {
            // The master lives on as a single event: moved, toggled and deleted as one from here on.
            const id = rng.pick(series)
            series.splice(series.indexOf(id), 1)
            singles.push(id)
            owner.endSeries(id)
            break
          }
          case 'toggleSeriesFree':
            owner.setBusy(rng.pick(series), rng.chance(0.5))
            break
          case 'deleteSeries': {
            const id = rng.pick(series)
            series.splice(series.indexOf(id), 1)
            owner.remove(id)
            break
          }
          case 'expireCursor':
            cursorsExpired = true
            owner.expireCursors()
            break
        }
        counts[kind] += 1
        // Let the worker run between edits, so syncs interleave with them.
        await sleep(rng.int(0, 12))
      }

      // The dust settles: faults off, the last notifications delivered, the worker stopped, one last sync.
      owner.faults(false)
      owner.setDropRate(0)
      await owner.settle()
      const counters = owner.counters(since)
      const editsMs = Date.now() - editsStarted
      await stopTheWorker()
      const final = await runCalendarSync(t.app.deps, job)

      const truth = owner.instances(window.start.getTime(), window.end.getTime())
      const mine = await ours(window)
      const busyIntervals = (xs: Instance[]) =>
        xs
          .filter((x) => x.busy)
          .map((x) => `${new Date(x.start).toISOString()}/${new Date(x.end).toISOString()}`)
          .sort()
      const byId = (xs: Instance[]) =>
        Object.fromEntries(
          xs.map((x) => [
            x.id,
            `${new Date(x.start).toISOString()}/${new Date(x.end).toISOString()} busy=${x.busy}`,
          ]),
        )
      const expected = byId(truth)
      const actual = byId(mine)
      const differences = [
        ...Object.keys(expected)
          .filter((id) => actual[id] !== expected[id])
          .map((id) => `${id}: emulator ${expected[id]}, officehours ${actual[id] ?? 'missing'}`),
        ...Object.keys(actual)
          .filter((id) => !(id in expected))
          .map((id) => `${id}: emulator has none, officehours ${actual[id]}`),
      ]
      const converged = differences.length === 0
      const kinds = Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')
      console.log(
        `[convergence] ${provider} seed ${seed}: ${EDITS} edits (${kinds}); ` +
          `${counters.dropped} of ${counters.notifications} notifications dropped; ` +
          `${counters.failedCalls} of ${counters.listCalls} ${provider === 'google' ? 'events.list' : 'delta'} calls failed; ` +
          `final sync ${final?.full ? 'full' : 'incremental'}${cursorsExpired ? ' (cursors expired during the run)' : ''}; ` +
          `${truth.length} instances, ${busyIntervals(truth).length} busy in the window; ` +
          `${converged ? 'CONVERGED' : `DIVERGED in ${differences.length} instances`} in ${Date.now() - started} ms (edits ${editsMs} ms)`,
      )
      if (!converged) console.log(differences.slice(0, 20).join('\n'))
      expect(busyIntervals(mine)).toEqual(busyIntervals(truth))
      expect(differences).toEqual([])
      // Faults and drops really happened (with a few hundred edits, none is vanishingly unlikely).
      expect(counters.dropped).toBeGreaterThan(0)
      expect(counters.failedCalls).toBeGreaterThan(0)
    },
    120_000,
  )
})

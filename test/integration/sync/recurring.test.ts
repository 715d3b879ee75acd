// Recurring events coming in (SPEC 2.3), both providers through the emulators: a series in the owner's calendar, one
// instance moved and one cancelled, the whole series shifted, and a series deleted after one of its instances had
// been moved into the sync window from outside it. Availability must show exactly what the calendar shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProviderName } from '../../../src/sync/provider.js'
import type { Worker } from '../../../src/worker.js'
import type { AccountClient, TestApp } from '../../helpers/app.js'
import { meetingTypeBody } from '../../helpers/factories.js'
import { until } from '../../helpers/until.js'
import {
  busyOf,
  type Emulators,
  type OwnerHands,
  type People,
  startListeningSetup,
  startPushWorker,
} from './harness.js'

describe.each<ProviderName>(['google', 'microsoft'])('recurring events coming in from %s', (provider) => {
  let em: Emulators
  let t: TestApp
  let account: AccountClient
  let people: People
  let owner: OwnerHands
  let worker: Worker
  let meetingTypeId: string

  const busy = async (from: string, to: string) =>
    ((await busyOf(account, people.clientId, from, to)).busy as Array<{ start: string; end: string }>).map(
      (b) => `${b.start}/${b.end}`,
    )
  /** Waits until the client's busy intervals in [from, to) are exactly `expected`. */
  const busyBecomes = async (what: string, from: string, to: string, expected: string[]) => {
    let last: string[] = []
    try {
      await until(what, async () => {
        last = await busy(from, to)
        return JSON.stringify(last) === JSON.stringify(expected)
      })
    } catch (err) {
      // Show what availability holds instead of a bare timeout.
      expect(last).toEqual(expected)
      throw err
    }
  }
  const slots = async (day: string) => {
    const res = await account.get(
      `/v1/availability?meetingTypeId=${meetingTypeId}&from=${day}T00:00:00Z&to=${day}T23:59:00Z`,
    )
    expect(res.status).toBe(200)
    return res.body.slots.map((s: { start: string }) => s.start) as string[]
  }

  beforeAll(async () => {
    let connectionId: string
    ;({ em, t, account, people, owner, connectionId } = await startListeningSetup(provider))
    meetingTypeId = (
      await account.post(
        '/v1/meeting-types',
        meetingTypeBody(people.clientId, { durationMinutes: 60, minimumNoticeMinutes: 0 }),
      )
    ).body.id
    worker = await startPushWorker({ t, account, connectionId })
  })
  afterAll(async () => {
    await worker?.stop()
    await t?.close()
    await em?.close()
  })

  it('one instance moved and one cancelled in the calendar: availability shows exactly that', async () => {
    // Monday 8 to Friday 12 June, 10:00–11:00 in Berlin.
    const series = owner.createDailySeries('2026-06-08T08:00:00Z', '2026-06-08T09:00:00Z', 5)
    const week = ['2026-06-08T00:00:00Z', '2026-06-13T00:00:00Z'] as const
    const daily = ['08', '09', '10', '11', '12'].map(
      (d) => `2026-06-${d}T08:00:00.000Z/2026-06-${d}T09:00:00.000Z`,
    )
    await busyBecomes('the series', ...week, daily)

    const [, , wednesday, thursday] = owner.instancesOf(series)
    owner.moveEvent(wednesday!.id, '2026-06-10T12:00:00Z', '2026-06-10T13:00:00Z')
    owner.deleteEvent(thursday!.id)
    await busyBecomes('one moved, one cancelled', ...week, [
      daily[0]!,
      daily[1]!,
      '2026-06-10T12:00:00.000Z/2026-06-10T13:00:00.000Z',
      daily[4]!,
    ])
    // The emulator agrees, and bookable times follow: Wednesday 10:00 is free and 14:00 taken, Thursday free.
    expect(owner.instancesOf(series).map((i) => i.start)).toEqual([
      '2026-06-08T08:00:00.000Z',
      '2026-06-09T08:00:00.000Z',
      '2026-06-10T12:00:00.000Z',
      '2026-06-12T08:00:00.000Z',
    ])
    const wed = await slots('2026-06-10')
    expect(wed).toContain('2026-06-10T08:00:00.000Z')
    expect(wed).not.toContain('2026-06-10T12:00:00.000Z')
    expect(await slots('2026-06-11')).toContain('2026-06-11T08:00:00.000Z')
    expect(await slots('2026-06-12')).not.toContain('2026-06-12T08:00:00.000Z')
  })

  it('the whole series shifted by its owner leaves no instance at the old times', async () => {
    const series = owner.createDailySeries('2026-06-15T08:00:00Z', '2026-06-15T09:00:00Z', 3)
    const days = ['15', '16', '17']
    const week = ['2026-06-15T00:00:00Z', '2026-06-20T00:00:00Z'] as const
    await busyBecomes(
      'the series',
      ...week,
      days.map((d) => `2026-06-${d}T08:00:00.000Z/2026-06-${d}T09:00:00.000Z`),
    )
    // Moving the series' master moves every instance: new instance ids at Google, new occurrences at Graph.
    owner.moveEvent(series, '2026-06-15T11:00:00Z', '2026-06-15T12:00:00Z')
    await busyBecomes(
      'the shifted series',
      ...week,
      days.map((d) => `2026-06-${d}T11:00:00.000Z/2026-06-${d}T12:00:00.000Z`),
    )
  })

  it('a series moved so that none of its instances fall in the sync window leaves none behind', async () => {
    // The window is 2026-05-02T08:00Z to 2026-11-28T08:00Z (test clock 2026-06-01T08:00Z). One series is moved to
    // January 2027, after it; another to April 2026, before it. Neither then has an instance in the window, so a
    // round of changes lists no instance of either: the old ones must still go.
    const ahead = owner.createDailySeries('2026-06-22T08:00:00Z', '2026-06-22T09:00:00Z', 3)
    const back = owner.createDailySeries('2026-06-22T13:00:00Z', '2026-06-22T14:00:00Z', 3)
    const days = ['22', '23', '24']
    const week = ['2026-06-22T00:00:00Z', '2026-06-27T00:00:00Z'] as const
    await busyBecomes(
      'the two series',
      ...week,
      days.flatMap((d) => [
        `2026-06-${d}T08:00:00.000Z/2026-06-${d}T09:00:00.000Z`,
        `2026-06-${d}T13:00:00.000Z/2026-06-${d}T14:00:00.000Z`,
      ]),
    )
    owner.moveSeries(ahead, '2027-01-04T08:00:00Z', '2027-01-04T09:00:00Z')
    await busyBecomes(
      'one series moved past the window',
      ...week,
      days.map((d) => `2026-06-${d}T13:00:00.000Z/2026-06-${d}T14:00:00.000Z`),
    )
    owner.moveSeries(back, '2026-04-06T13:00:00Z', '2026-04-06T14:00:00Z')
    await busyBecomes('the other moved before the window', ...week, [])
    expect(owner.instancesOf(ahead)[0]?.start).toBe('2027-01-04T08:00:00.000Z')
    expect(owner.instancesOf(back).at(-1)?.start).toBe('2026-04-08T13:00:00.000Z')
  })

  it('a series made a single event by its owner leaves only that event', async () => {
    const series = owner.createDailySeries('2026-06-29T08:00:00Z', '2026-06-29T09:00:00Z', 3)
    const week = ['2026-06-29T00:00:00Z', '2026-07-04T00:00:00Z'] as const
    await busyBecomes(
      'the series',
      ...week,
      ['29', '30']
        .map((d) => `2026-06-${d}T08:00:00.000Z/2026-06-${d}T09:00:00.000Z`)
        .concat('2026-07-01T08:00:00.000Z/2026-07-01T09:00:00.000Z'),
    )
    owner.endSeries(series)
    await busyBecomes('the single event', ...week, ['2026-06-29T08:00:00.000Z/2026-06-29T09:00:00.000Z'])
  })

  it('a deleted series takes along an instance that had been moved into the sync window from outside it', async () => {
    // The window ends 180 days after the test clock's now: 2026-11-28T08:00Z. Instances on 27 (inside), 28 and
    // 29 November (outside); the last one is moved to the afternoon of the 27th, inside.
    const series = owner.createDailySeries('2026-11-27T09:00:00Z', '2026-11-27T09:30:00Z', 3)
    const span = ['2026-11-26T00:00:00Z', '2026-11-30T00:00:00Z'] as const
    await busyBecomes('the series', ...span, ['2026-11-27T09:00:00.000Z/2026-11-27T09:30:00.000Z'])
    const last = owner.instancesOf(series).at(-1)
    expect(last?.start).toBe('2026-11-29T09:00:00.000Z')
    owner.moveEvent(last!.id, '2026-11-27T14:00:00Z', '2026-11-27T14:30:00Z')
    await busyBecomes('moved into the window', ...span, [
      '2026-11-27T09:00:00.000Z/2026-11-27T09:30:00.000Z',
      '2026-11-27T14:00:00.000Z/2026-11-27T14:30:00.000Z',
    ])
    owner.deleteEvent(series)
    await busyBecomes('the series deleted', ...span, [])
  })
})

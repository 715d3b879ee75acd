// explainSlot: every rule of SPEC 1.2 that a given start fails, with its reason code; [] means bookable.
import { DateTime } from 'luxon'
import { DAY_MS, formatWall, MINUTE_MS } from './civil.js'
import { intersectIntervals, overlapsSet, uncovered } from './intervals.js'
import { clockFor, compileSchedule, dayRange, everyDaySchedule, expandCompiled } from './schedule.js'
import { countPerDay, nonNegative, onGrid } from './slots.js'
import type { AvailabilityInput, Interval, Reason, ReasonCode, Schedule } from './types.js'

function iso(at: number): string {
  return DateTime.fromMillis(at, { zone: 'utc' }).toISO() ?? String(at)
}

function hoursReasons(
  schedule: Schedule,
  slot: Interval,
  outsideCode: ReasonCode,
  whose: string,
  reasons: Reason[],
): void {
  const around = { start: slot.start - DAY_MS, end: slot.end + DAY_MS }
  const clock = clockFor(schedule.timeZone, around)
  const [firstDay, lastDay] = dayRange(clock, around)
  const layers = expandCompiled(compileSchedule(schedule), clock, firstDay, lastDay, true)
  const local = `${formatWall(clock.wallOf(slot.start))}–${formatWall(clock.wallOf(slot.end)).slice(11)} (${schedule.timeZone})`
  let outside = false
  let timeOff = false
  for (const part of uncovered(layers.dated, slot.start, slot.end)) {
    // Time the weekly hours would give but the date's override does not: the override took it away.
    if (overlapsSet(layers.weekly, part.start, part.end)) timeOff = true
    if (uncovered(layers.weekly, part.start, part.end).length > 0) outside = true
  }
  if (outside) reasons.push({ code: outsideCode, detail: `${local} is outside ${whose}` })
  if (timeOff) reasons.push({ code: 'time_off', detail: `${local} falls in time off of ${whose}` })
  if (overlapsSet(intersectIntervals(layers.dated, layers.blocked), slot.start, slot.end)) {
    reasons.push({ code: 'blocked', detail: `${local} overlaps a recurring block of ${whose}` })
  }
}

/**
 * Why the slot starting at `start` is not offered: one reason per failing rule (one per overlapping busy
 * event or booking). The window is not a rule and is ignored: for a start whose slot lies inside the
 * window, explainSlot returns [] exactly when computeSlots offers it.
 */
export function explainSlot(input: AvailabilityInput, start: number): Reason[] {
  const { rules, now } = input
  const duration = rules.durationMinutes * MINUTE_MS
  const step = rules.slotIntervalMinutes * MINUTE_MS
  if (!(duration > 0) || !(step > 0)) {
    return [{ code: 'misaligned', detail: 'the meeting type has no positive duration and slot interval' }]
  }
  const slot = { start, end: start + duration }
  const reasons: Reason[] = []
  const clientClock = clockFor(input.clientSchedule.timeZone, { start: start - DAY_MS, end: start + DAY_MS })

  hoursReasons(input.clientSchedule, slot, 'outside_business_hours', "the client's business hours", reasons)
  if (rules.requireAssistantHours && input.assistantSchedule) {
    hoursReasons(
      input.assistantSchedule,
      slot,
      'outside_office_hours',
      "the assistant's office hours",
      reasons,
    )
  }
  if (rules.contactHours && input.contactTimeZone) {
    const contact = everyDaySchedule(input.contactTimeZone, rules.contactHours)
    const contactReasons: Reason[] = []
    hoursReasons(contact, slot, 'outside_contact_hours', "the contact's hours", contactReasons)
    if (contactReasons.length > 0) {
      reasons.push({
        code: 'outside_contact_hours',
        detail: `outside the contact's hours ${rules.contactHours.start}–${rules.contactHours.end} (${input.contactTimeZone})`,
      })
    }
  }

  const before = nonNegative(rules.bufferBeforeMinutes)
  const after = nonNegative(rules.bufferAfterMinutes)
  for (const b of input.busy) {
    if (!(b.start < b.end) || !(start - before < b.end && slot.end + after > b.start)) continue
    const reason: Reason = {
      code: 'calendar_busy',
      detail: `busy ${iso(b.start)}–${iso(b.end)} in a connected calendar`,
      start: b.start,
      end: b.end,
    }
    if (b.connectionId !== undefined) reason.connectionId = b.connectionId
    if (b.calendarId !== undefined) reason.calendarId = b.calendarId
    reasons.push(reason)
  }
  for (const b of input.bookings) {
    if (!(b.start < b.end)) continue
    const bb = nonNegative(b.bufferBeforeMinutes)
    const ba = nonNegative(b.bufferAfterMinutes)
    if (!(start < b.end + Math.max(before, ba) && slot.end > b.start - Math.max(after, bb))) continue
    const reason: Reason = {
      code: 'booking_conflict',
      detail: `conflicts with a booking ${iso(b.start)}–${iso(b.end)} and its buffers`,
      start: b.start,
      end: b.end,
    }
    if (b.bookingId !== undefined) reason.bookingId = b.bookingId
    reasons.push(reason)
  }

  const notice = now + nonNegative(rules.minimumNoticeMinutes)
  if (start < notice) {
    reasons.push({ code: 'minimum_notice', detail: `starts before the minimum notice (${iso(notice)})` })
  }
  const horizon = now + rules.horizonDays * DAY_MS
  if (start >= horizon) {
    reasons.push({ code: 'beyond_horizon', detail: `starts after the booking horizon (${iso(horizon)})` })
  }
  if (rules.maxPerDay !== null) {
    const day = clientClock.dayOf(start)
    const count = countPerDay(input.sameTypeBookingStarts, clientClock).get(day) ?? 0
    if (count >= rules.maxPerDay) {
      reasons.push({
        code: 'daily_limit',
        detail: `${count} bookings of this meeting type already on ${formatWall(day * DAY_MS).slice(0, 10)} (limit ${rules.maxPerDay})`,
      })
    }
  }
  if (!onGrid(clientClock, start, step)) {
    reasons.push({
      code: 'misaligned',
      detail: `not on the ${rules.slotIntervalMinutes}-minute grid of the client's clock (${input.clientSchedule.timeZone})`,
    })
  }
  return reasons
}

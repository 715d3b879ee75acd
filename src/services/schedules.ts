// Schedule input: defaults filled in, then checked by the engine's own validator so the API and engine agree.
import { validateSchedule } from '../availability/index.js'
import type { LocalInterval, Schedule } from '../availability/types.js'
import { type FieldProblem, ValidationError } from '../errors.js'

export interface ScheduleInput {
  timeZone?: string | undefined
  weekly: Schedule['weekly']
  overrides?: Schedule['overrides'] | undefined
  blocks?: Schedule['blocks'] | undefined
}

/** The schedule with its zone (defaulting to the person's) and empty lists filled in. */
export function normalizeSchedule(input: ScheduleInput, personTimeZone: string): Schedule {
  return {
    timeZone: input.timeZone ?? personTimeZone,
    weekly: input.weekly,
    overrides: input.overrides ?? [],
    blocks: input.blocks ?? [],
  }
}

export function scheduleProblems(schedule: Schedule, pointer: string): FieldProblem[] {
  return validateSchedule(schedule).map((p) => ({ pointer: `${pointer}${p.pointer}`, message: p.message }))
}

export function localIntervalProblems(interval: LocalInterval, pointer: string): FieldProblem[] {
  return interval.start < interval.end ? [] : [{ pointer: `${pointer}/end`, message: 'must be after start' }]
}

export function throwIfProblems(problems: FieldProblem[]): void {
  if (problems.length > 0)
    throw new ValidationError(problems, problems.map((p) => `${p.pointer} ${p.message}`).join('; '))
}

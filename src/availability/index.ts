// The availability engine's public face: pure functions from one input object to slots, reasons and checks.
export { explainSlot } from './explain.js'
export { intersectIntervals, mergeIntervals, subtractIntervals } from './intervals.js'
export { expandSchedule, InvalidScheduleError } from './schedule.js'
export { computeSlots } from './slots.js'
export type * from './types.js'
export { isValidTimeZone, validateSchedule } from './validate.js'

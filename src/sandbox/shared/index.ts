// Pieces both emulators share: fault injection, the request log, outbound notifications and ids.
export * from './faults.js'
export * from './ids.js'
export * from './notifier.js'
export * from './request-log.js'

// Request bodies for the resources, with sensible defaults and overrides.
export function scheduleBody(overrides: Record<string, unknown> = {}) {
  return {
    weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }],
    ...overrides,
  }
}

let counter = 0
const unique = () => ++counter

export function assistantBody(overrides: Record<string, unknown> = {}) {
  const n = unique()
  return {
    name: `Assistant ${n}`,
    email: `assistant${n}@va.example`,
    timeZone: 'Europe/Lisbon',
    officeHours: scheduleBody(),
    ...overrides,
  }
}

export function clientBody(assistantId: string, overrides: Record<string, unknown> = {}) {
  const n = unique()
  return {
    assistantId,
    name: `Client ${n}`,
    email: `client${n}@exec.example`,
    timeZone: 'Europe/Berlin',
    businessHours: scheduleBody(),
    ...overrides,
  }
}

export function contactBody(overrides: Record<string, unknown> = {}) {
  const n = unique()
  return { name: `Contact ${n}`, email: `contact${n}@partner.example`, ...overrides }
}

export function meetingTypeBody(clientId: string, overrides: Record<string, unknown> = {}) {
  return { clientId, name: 'Intro call', ...overrides }
}

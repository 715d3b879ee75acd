// Domain errors with machine codes. No HTTP here: plugins/problem.ts maps codes to statuses.

export interface FieldProblem {
  /** JSON pointer into the request as `{ body, query, params, headers }`, e.g. `/body/weekly/0/end`. */
  pointer: string
  message: string
}

export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** The resource does not exist for this account (another account's resource looks the same). */
export class NotFoundError extends DomainError {
  constructor(resource: string) {
    super('not_found', `${resource} not found`)
  }
}

/** Input that is well-formed JSON but breaks a rule; each problem names its field. */
export class ValidationError extends DomainError {
  constructor(
    readonly problems: FieldProblem[],
    message = 'The request has invalid fields.',
  ) {
    super('validation_failed', message)
  }
}

/** The request conflicts with the current state (a slot taken, a duplicate, a resource in use). */
export class ConflictError extends DomainError {}

export class UnauthorizedError extends DomainError {
  constructor(message = 'A valid API key is required: Authorization: Bearer <key>.') {
    super('unauthorized', message)
  }
}

/** A well-formed request that cannot be processed (e.g. an idempotency key reused with another body). */
export class UnprocessableError extends DomainError {}

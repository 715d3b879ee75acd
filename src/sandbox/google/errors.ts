// Google-shaped API errors: `{ error: { errors: [...], code, message } }` (providers.md A4) and OAuth errors (A5).

export interface GoogleErrorItem {
  domain: string
  reason: string
  message: string
  locationType?: string
  location?: string
}

/** An error of the Calendar API, rendered with Google's body. */
export class GoogleApiError extends Error {
  readonly status: number
  readonly item: GoogleErrorItem
  readonly headers: Record<string, string>
  readonly extra: Record<string, unknown>

  constructor(
    status: number,
    item: GoogleErrorItem,
    opts: { headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
  ) {
    super(item.message)
    this.status = status
    this.item = item
    this.headers = opts.headers ?? {}
    this.extra = opts.extra ?? {}
  }

  body(): unknown {
    return { error: { errors: [this.item], code: this.status, message: this.item.message, ...this.extra } }
  }
}

/** An error of the OAuth endpoints: `{ error, error_description }`. */
export class OAuthError extends Error {
  readonly status: number
  readonly error: string
  readonly description: string

  constructor(status: number, error: string, description: string) {
    super(`${error}: ${description}`)
    this.status = status
    this.error = error
    this.description = description
  }

  body(): unknown {
    return { error: this.error, error_description: this.description }
  }
}

export const errors = {
  notFound: () => new GoogleApiError(404, { domain: 'global', reason: 'notFound', message: 'Not Found' }),
  duplicate: () =>
    new GoogleApiError(409, {
      domain: 'global',
      reason: 'duplicate',
      message: 'The requested identifier already exists.',
    }),
  conditionNotMet: () =>
    new GoogleApiError(412, {
      domain: 'global',
      reason: 'conditionNotMet',
      message: 'Precondition Failed',
      locationType: 'header',
      location: 'If-Match',
    }),
  deleted: () =>
    new GoogleApiError(410, { domain: 'global', reason: 'deleted', message: 'Resource has been deleted' }),
  fullSyncRequired: () =>
    new GoogleApiError(410, {
      domain: 'calendar',
      reason: 'fullSyncRequired',
      message: 'Sync token is no longer valid, a full sync is required.',
      locationType: 'parameter',
      location: 'syncToken',
    }),
  updatedMinTooLongAgo: () =>
    new GoogleApiError(410, {
      domain: 'calendar',
      reason: 'updatedMinTooLongAgo',
      message: 'The requested minimum modification time lies too far in the past.',
      locationType: 'parameter',
      location: 'updatedMin',
    }),
  timeRangeEmpty: (location = 'timeMax') =>
    new GoogleApiError(400, {
      domain: 'calendar',
      reason: 'timeRangeEmpty',
      message: 'The specified time range is empty.',
      locationType: 'parameter',
      location,
    }),
  // ⚠ providers.md A1: the exact body for forbidden syncToken combinations is unverified; this is the documented general shape.
  invalid: (message: string, location?: string, locationType = 'parameter') =>
    new GoogleApiError(400, {
      domain: 'global',
      reason: 'invalid',
      message,
      ...(location !== undefined ? { locationType, location } : {}),
    }),
  required: (message: string, location?: string) =>
    new GoogleApiError(400, {
      domain: 'global',
      reason: 'required',
      message,
      ...(location !== undefined ? { locationType: 'parameter', location } : {}),
    }),
  badRequest: (reason: string, message: string) =>
    new GoogleApiError(400, { domain: 'global', reason, message }),
  parseError: () =>
    new GoogleApiError(400, { domain: 'global', reason: 'parseError', message: 'Parse Error' }),
  loginRequired: () =>
    new GoogleApiError(
      401,
      {
        domain: 'global',
        reason: 'required',
        message: 'Login Required.',
        locationType: 'header',
        location: 'Authorization',
      },
      {
        headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
        extra: { status: 'UNAUTHENTICATED' },
      },
    ),
  authError: () =>
    new GoogleApiError(
      401,
      {
        domain: 'global',
        reason: 'authError',
        message: 'Invalid Credentials',
        locationType: 'header',
        location: 'Authorization',
      },
      {
        headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
        extra: { status: 'UNAUTHENTICATED' },
      },
    ),
  insufficientPermissions: () =>
    new GoogleApiError(
      403,
      { domain: 'global', reason: 'insufficientPermissions', message: 'Insufficient Permission' },
      { extra: { status: 'PERMISSION_DENIED' } },
    ),
  forbidden: (message = 'Forbidden') =>
    new GoogleApiError(403, { domain: 'global', reason: 'forbidden', message }),
  backendError: () =>
    new GoogleApiError(500, { domain: 'global', reason: 'backendError', message: 'Backend Error' }),
}

/** The error a forced fault renders as, with the body Google sends for that status (providers.md A4). */
export function faultError(status: number, retryAfterSeconds?: number): GoogleApiError {
  const headers: Record<string, string> =
    retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}
  const make = (item: GoogleErrorItem) => new GoogleApiError(status, item, { headers })
  switch (status) {
    case 401:
      return new GoogleApiError(401, errors.authError().item, {
        headers: { ...errors.authError().headers, ...headers },
      })
    case 403:
      return make({ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' })
    case 404:
      return make(errors.notFound().item)
    case 409:
      return make(errors.duplicate().item)
    case 410:
      return make(errors.fullSyncRequired().item)
    case 412:
      return make(errors.conditionNotMet().item)
    case 429:
      return make({ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' })
    case 503:
      return make({
        domain: 'global',
        reason: 'backendError',
        message: 'The service is currently unavailable.',
      })
    default:
      if (status >= 500) return make({ domain: 'global', reason: 'backendError', message: 'Backend Error' })
      return make({ domain: 'global', reason: 'invalid', message: 'Bad Request' })
  }
}

/** The OAuth-shaped body of a forced fault on /token or /revoke. */
export function oauthFaultError(status: number): OAuthError {
  if (status === 429) return new OAuthError(429, 'rate_limit_exceeded', 'Rate Limit Exceeded')
  if (status >= 500) return new OAuthError(status, 'internal_failure', 'Backend Error')
  if (status === 401) return new OAuthError(401, 'invalid_client', 'Unauthorized')
  return new OAuthError(status, 'invalid_grant', 'Token has been expired or revoked.')
}

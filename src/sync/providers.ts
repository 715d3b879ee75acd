// Builds both provider adapters from the configuration; without credentials, the built-in sandbox clients.
import type { Config } from '../config.js'
import { DEFAULT_CLIENT as GOOGLE_SANDBOX_CLIENT } from '../sandbox/google/oauth.js'
import { createGoogleAdapter } from './google.js'
import { createMicrosoftAdapter } from './microsoft.js'
import type { Providers } from './provider.js'

/** The Microsoft emulator accepts any client with a non-empty secret; these name ours in its logs. */
export const MICROSOFT_SANDBOX_CLIENT = {
  clientId: 'officehours-sandbox',
  clientSecret: 'sandbox-client-secret',
} as const

export interface ProviderTuning {
  /** Page sizes (tests use small ones to exercise paging). */
  googlePageSize?: number
  microsoftPageSize?: number
  /** The Graph SDK's retry of 429/503/504 (tests shorten it). */
  microsoftRetry?: { maxRetries?: number; delaySeconds?: number }
}

/** Which providers run on the sandbox credentials (no client id configured). */
export function sandboxProviders(config: Readonly<Config>): { google: boolean; microsoft: boolean } {
  return { google: config.google.clientId === null, microsoft: config.microsoft.clientId === null }
}

export function createProviders(config: Readonly<Config>, tuning: ProviderTuning = {}): Providers {
  const google = config.google.clientId
    ? { clientId: config.google.clientId, clientSecret: config.google.clientSecret ?? '' }
    : GOOGLE_SANDBOX_CLIENT
  const microsoft = config.microsoft.clientId
    ? { clientId: config.microsoft.clientId, clientSecret: config.microsoft.clientSecret ?? '' }
    : MICROSOFT_SANDBOX_CLIENT
  return {
    google: createGoogleAdapter({
      ...google,
      apiBaseUrl: config.google.apiBaseUrl,
      authUrl: config.google.authUrl,
      tokenUrl: config.google.tokenUrl,
      ...(tuning.googlePageSize ? { pageSize: tuning.googlePageSize } : {}),
    }),
    microsoft: createMicrosoftAdapter({
      ...microsoft,
      graphBaseUrl: config.microsoft.graphBaseUrl,
      authBaseUrl: config.microsoft.authBaseUrl,
      ...(tuning.microsoftPageSize ? { pageSize: tuning.microsoftPageSize } : {}),
      ...(tuning.microsoftRetry ? { retry: tuning.microsoftRetry } : {}),
    }),
  }
}

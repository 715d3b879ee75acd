// Starts both provider emulators (Google Calendar v3 and Microsoft Graph v1.0) on local ports, in-process.
import {
  createGoogleEmulator,
  DEFAULT_CLIENT,
  type GoogleEmulator,
  type GoogleEmulatorOptions,
} from './google/index.js'
import { createMicrosoftEmulator, type MicrosoftEmulator } from './microsoft/index.js'

export interface SandboxOptions {
  host?: string
  /** 0 (the default) picks a free port. */
  googlePort?: number
  microsoftPort?: number
  seed?: boolean
  /**
   * Where officehours receives webhooks; informational only (returned as `notifyBaseUrl`), since the emulators
   * post to whatever address a watch channel or subscription names.
   */
  notifyBaseUrl?: string
  /** Extra options for the Google emulator (clock, consent mode, token lifetime...). */
  google?: Omit<GoogleEmulatorOptions, 'seed'>
}

export interface Sandbox {
  google: {
    /** The `rootUrl` origin for @googleapis/calendar: GOOGLE_API_BASE_URL. */
    baseUrl: string
    /** GOOGLE_AUTH_URL. */
    authUrl: string
    /** GOOGLE_TOKEN_URL. */
    tokenUrl: string
    clientId: string
    clientSecret: string
    emulator: GoogleEmulator
  }
  microsoft: {
    /** The origin the emulator listens on. */
    baseUrl: string
    /** MICROSOFT_GRAPH_BASE_URL. */
    graphBaseUrl: string
    /** MICROSOFT_AUTH_BASE_URL. */
    authBaseUrl: string
    emulator: MicrosoftEmulator
  }
  notifyBaseUrl?: string
  /** The environment that points officehours at these emulators. */
  env: Record<string, string>
  close(): Promise<void>
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1'
  const seed = opts.seed ?? false
  const google = await createGoogleEmulator({ ...opts.google, seed })
  const googleBase = await google.listen({ host, port: opts.googlePort ?? 0 })
  let microsoft: MicrosoftEmulator | undefined
  try {
    microsoft = await createMicrosoftEmulator({ seed })
    await microsoft.app.listen({ host, port: opts.microsoftPort ?? 0 })
    const addr = microsoft.app.server.address()
    const port = typeof addr === 'object' && addr !== null ? addr.port : opts.microsoftPort
    microsoft.setBaseUrl(`http://${host.includes(':') ? `[${host}]` : host}:${port}`)
  } catch (err) {
    await microsoft?.close().catch(() => undefined)
    await google.close()
    throw err
  }
  const ms = microsoft
  const g = google.endpoints()
  const msBase = (ms.graphBaseUrl ?? '').replace(/\/v1\.0$/, '')
  const env = {
    GOOGLE_API_BASE_URL: googleBase,
    GOOGLE_AUTH_URL: g.authUrl,
    GOOGLE_TOKEN_URL: g.tokenUrl,
    GOOGLE_CLIENT_ID: DEFAULT_CLIENT.clientId,
    GOOGLE_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
    MICROSOFT_GRAPH_BASE_URL: ms.graphBaseUrl ?? '',
    MICROSOFT_AUTH_BASE_URL: ms.authBaseUrl ?? '',
  }
  return {
    google: {
      baseUrl: googleBase,
      authUrl: g.authUrl,
      tokenUrl: g.tokenUrl,
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
      emulator: google,
    },
    microsoft: {
      baseUrl: msBase,
      graphBaseUrl: ms.graphBaseUrl ?? '',
      authBaseUrl: ms.authBaseUrl ?? '',
      emulator: ms,
    },
    env,
    ...(opts.notifyBaseUrl !== undefined ? { notifyBaseUrl: opts.notifyBaseUrl } : {}),
    async close() {
      await Promise.allSettled([google.close(), ms.close()])
    },
  }
}

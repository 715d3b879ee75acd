// Builds the Graph SDK client for a configurable base URL (real Graph or the sandbox) and follows @odata links.
import {
  Client,
  type Context,
  HTTPMessageHandler,
  type Middleware,
  RetryHandler,
  RetryHandlerOptions,
} from '@microsoft/microsoft-graph-client'
import { ProviderError } from './provider.js'

export interface GraphClientOptions {
  /** Graph root including the version, e.g. https://graph.microsoft.com/v1.0 or http://127.0.0.1:4020/v1.0. */
  baseUrl: string
  /** Called before every request (retries included), so a refreshed token is picked up. */
  getAccessToken: () => Promise<string>
  retry?: {
    /** Retries of 429/503/504 (SDK default 3, cap 10). */
    maxRetries?: number
    /** Seconds to wait when the response has no Retry-After (SDK default 3). */
    delaySeconds?: number
  }
}

/**
 * Attaches the bearer token to every request. The SDK's own AuthenticationHandler only does that for https URLs on
 * Graph or `customHosts` and strips it otherwise (providers.md §0.1, stack.md), which rules out a plain-http
 * emulator; this chain (auth → RetryHandler → HTTPMessageHandler) works for both.
 */
class BearerMiddleware implements Middleware {
  private next: Middleware | undefined

  constructor(private readonly getAccessToken: () => Promise<string>) {}

  async execute(context: Context): Promise<void> {
    const token = await this.getAccessToken()
    const options = context.options ?? {}
    const headers = new Headers((options.headers ?? {}) as ConstructorParameters<typeof Headers>[0])
    headers.set('Authorization', `Bearer ${token}`)
    context.options = { ...options, headers: Object.fromEntries(headers.entries()) }
    if (!this.next) throw new Error('BearerMiddleware must not be the last middleware')
    await this.next.execute(context)
  }

  setNext(next: Middleware): void {
    this.next = next
  }
}

/** Splits `https://host/prefix/v1.0` into the SDK's `baseUrl` (origin + prefix) and `defaultVersion`. */
function splitBase(baseUrl: string): { host: string; version: string } {
  const url = new URL(baseUrl)
  const segments = url.pathname.split('/').filter(Boolean)
  const version = segments.pop() ?? 'v1.0'
  return { host: `${url.origin}${segments.length ? `/${segments.join('/')}` : ''}`, version }
}

export function createGraphClient(opts: GraphClientOptions): Client {
  const { host, version } = splitBase(opts.baseUrl)
  const retry = new RetryHandler(
    new RetryHandlerOptions(opts.retry?.delaySeconds ?? 3, opts.retry?.maxRetries ?? 3),
  )
  return Client.initWithMiddleware({
    baseUrl: host,
    defaultVersion: version,
    middleware: [new BearerMiddleware(opts.getAccessToken), retry, new HTTPMessageHandler()],
  })
}

/**
 * The path (after the version) of an @odata.nextLink / @odata.deltaLink, to pass to `client.api()`.
 * The SDK only parses absolute https links (GraphRequest.parsePath); an http link would be glued onto the base URL
 * (providers.md §0.2). A link to another origin is refused, so the token never goes anywhere unexpected.
 */
export function graphPathFromLink(link: string, baseUrl: string): string {
  const base = new URL(baseUrl)
  const target = new URL(link, base)
  if (target.origin !== base.origin)
    throw new ProviderError(
      'microsoft',
      'invalid',
      `refusing to follow a Graph link to another origin: ${target.origin}`,
    )
  const { host, version } = splitBase(baseUrl)
  const prefix = `${new URL(host).pathname.replace(/\/+$/, '')}/${version}`
  const path = target.pathname.startsWith(`${prefix}/`)
    ? target.pathname.slice(prefix.length)
    : target.pathname
  return `${path}${target.search}`
}

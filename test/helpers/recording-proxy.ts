// An HTTP proxy in front of one origin that records every exchange in full: put between the server and a provider
// emulator, it shows what secrets (OAuth codes and tokens, channel tokens, clientState) went over the wire.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Exchange {
  method: string
  path: string
  requestHeaders: IncomingHttpHeaders
  requestBody: string
  status: number
  responseHeaders: Record<string, string>
  responseBody: string
}

export interface RecordingProxy {
  /** The proxy's origin, e.g. http://127.0.0.1:41234; paths are passed on unchanged. */
  origin: string
  exchanges: Exchange[]
  close(): Promise<void>
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const requestBody = Buffer.concat(chunks)
      const headers = new Headers()
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined || k === 'host' || k === 'connection' || k === 'content-length') continue
        headers.set(k, Array.isArray(v) ? v.join(', ') : v)
      }
      try {
        const method = req.method ?? 'GET'
        const answer = await fetch(`${target}${req.url}`, {
          method,
          headers,
          body: method === 'GET' || method === 'HEAD' ? undefined : requestBody,
          redirect: 'manual',
        })
        // Absolute links to the origin (Graph's @odata.nextLink and deltaLink) are made to point back here.
        const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        const body = Buffer.from(
          Buffer.from(await answer.arrayBuffer())
            .toString('utf8')
            .replaceAll(target, origin),
        )
        const responseHeaders: Record<string, string> = {}
        answer.headers.forEach((v, k) => {
          if (k !== 'content-encoding' && k !== 'content-length' && k !== 'transfer-encoding')
            responseHeaders[k] = v
        })
        exchanges.push({
          method,
          path: req.url ?? '',
          requestHeaders: req.headers,
          requestBody: requestBody.toString('utf8'),
          status: answer.status,
          responseHeaders,
          responseBody: body.toString('utf8'),
        })
        res.writeHead(answer.status, responseHeaders)
        res.end(body)
      } catch (err) {
        res.writeHead(502)
        res.end(String(err))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

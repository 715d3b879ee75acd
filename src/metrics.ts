// Domain metrics an operator needs (bookings, calendar writes, queue depth, app webhook deliveries), on the same
// prom-client registry as the HTTP metrics so one /metrics shows them all.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Gauge, type Registry } from 'prom-client'
import { createMetricsRegistry } from './plugins/metrics.js'

export interface DomainMetrics {
  registry: Registry
  /** Committed booking changes, counted once each when the outbox hands them on. */
  bookingEvents: Counter<'type' | 'source'>
  calendarWrites: Counter<'provider' | 'outcome'>
  queueDepth: Gauge<'queue'>
  webhookDeliveries: Counter<'outcome'>
}

export function createDomainMetrics(registry: Registry = createMetricsRegistry()): DomainMetrics {
  return {
    registry,
    bookingEvents: new Counter({
      name: 'officehours_booking_events_total',
      help: 'Bookings created, rescheduled and cancelled, by type and source (api, link, calendar).',
      labelNames: ['type', 'source'],
      registers: [registry],
    }),
    calendarWrites: new Counter({
      name: 'officehours_calendar_writes_total',
      help: 'Attempts to write a booking to a calendar, by provider and outcome (synced, retry, failed).',
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'officehours_queue_depth',
      help: 'Jobs waiting in each background queue (sampled by the worker every few seconds).',
      labelNames: ['queue'],
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'officehours_webhook_deliveries_total',
      help: 'App webhook delivery attempts by outcome (delivered, retry, failed).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  }
}

/**
 * A bare /metrics listener for a ROLE=worker process, which serves no API: the worker counts the domain metrics,
 * so without it they would be invisible when API and workers run apart.
 */
export async function serveMetrics(
  registry: Registry,
  host: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end()
      return
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

// Domain metrics an operator needs (bookings, calendar writes, calendar syncs and provider notifications, queue depth,
// app webhook deliveries), on the same prom-client registry as the HTTP metrics so one /metrics shows them all.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { createMetricsRegistry } from './plugins/metrics.js'

export interface DomainMetrics {
  registry: Registry
  /** Committed booking changes, counted once each when the outbox hands them on. */
  bookingEvents: Counter<'type' | 'source'>
  calendarWrites: Counter<'provider' | 'outcome'>
  /**
   * Inbound sync runs of one calendar, by what ran (incremental or full) and outcome: the worker's sync jobs, and
   * the import after the OAuth callback, POST /v1/connections/{id}/sync and calendars made busy by PATCH (counted
   * in src/services/connections.ts, where a failed request counts once, whatever the number of its calendars).
   */
  calendarSyncs: Counter<'provider' | 'kind' | 'outcome'>
  /** From the webhook route accepting a notification (the earliest still pending) to the end of its sync. */
  notificationSyncLag: Histogram<'provider'>
  /** Notifications posted to /webhooks/*, counted by the API process that answered them. */
  providerNotifications: Counter<'provider' | 'outcome'>
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
    calendarSyncs: new Counter({
      name: 'officehours_calendar_syncs_total',
      help: 'Inbound syncs of one calendar (worker jobs, imports, API syncs), by provider, kind (incremental, full) and outcome (ok, failed).',
      labelNames: ['provider', 'kind', 'outcome'],
      registers: [registry],
    }),
    notificationSyncLag: new Histogram({
      name: 'officehours_notification_sync_lag_seconds',
      help: 'Seconds from a provider notification being accepted to the end of the sync that covers it.',
      labelNames: ['provider'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    providerNotifications: new Counter({
      name: 'officehours_provider_notifications_total',
      help: 'Provider notifications received on /webhooks/*, by provider and outcome (accepted, rejected).',
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

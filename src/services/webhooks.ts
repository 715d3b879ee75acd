// App webhook endpoints (SPEC 1.7): register, update, rotate the secret, list deliveries, redeliver by hand.
// The API only writes rows; the worker delivers (src/services/webhook-delivery.ts), so delivery never blocks it.
import { randomBytes } from 'node:crypto'
import type { PageRequest } from '../db/pagination.js'
import * as repo from '../db/repositories/webhooks.js'
import type { WebhookDeliveryStatus } from '../db/schema.js'
import type { Deps } from '../deps.js'
import { NotFoundError, ValidationError } from '../errors.js'
import { newId } from '../ids.js'
import { encryptSecret } from '../sync/crypto.js'
import { webhookUrlProblem } from './webhook-urls.js'

export const WEBHOOK_EVENTS = [
  'booking.created',
  'booking.rescheduled',
  'booking.cancelled',
  'booking.conflict',
  'booking.sync_failed',
  'connection.reauth_required',
] as const
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]

/** `whsec_` + base64 of 32 random bytes: the form the Standard Webhooks libraries take as is. */
/** What routes show: no secret, and the stored event names typed (only valid ones are ever stored). */
function view(e: repo.StoredWebhookEndpoint) {
  return { ...repo.publicEndpoint(e), events: e.events as WebhookEvent[] }
}

function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

function checkUrl(deps: Deps, url: string): void {
  const problem = webhookUrlProblem(url, deps.config.webhookAllowPrivateUrls)
  if (problem) throw new ValidationError([{ pointer: '/body/url', message: problem }])
}

export interface CreateEndpointInput {
  url: string
  events: WebhookEvent[]
  description?: string | undefined
}

export async function createEndpoint(deps: Deps, accountId: string, input: CreateEndpointInput) {
  checkUrl(deps, input.url)
  const secret = generateWebhookSecret()
  const endpoint = await repo.insertEndpoint(
    deps.db,
    accountId,
    {
      id: newId(),
      url: input.url,
      events: [...new Set(input.events)],
      description: input.description ?? null,
      secretEnc: encryptSecret(deps.encryptionKey(), secret),
    },
    deps.clock.now(),
  )
  return { ...view(endpoint), secret }
}

export async function getEndpoint(deps: Deps, accountId: string, id: string) {
  const endpoint = await repo.findEndpoint(deps.db, accountId, id)
  if (!endpoint) throw new NotFoundError('Webhook endpoint')
  return view(endpoint)
}

export async function listEndpoints(deps: Deps, accountId: string, page: PageRequest) {
  const result = await repo.listEndpoints(deps.db, accountId, page)
  return { data: result.data.map((e) => view(e)), nextCursor: result.nextCursor }
}

export interface UpdateEndpointInput {
  url?: string | undefined
  events?: WebhookEvent[] | undefined
  description?: string | null | undefined
  enabled?: boolean | undefined
}

export async function updateEndpoint(deps: Deps, accountId: string, id: string, input: UpdateEndpointInput) {
  if (input.url !== undefined) checkUrl(deps, input.url)
  const updated = await repo.updateEndpoint(
    deps.db,
    accountId,
    id,
    { ...input, events: input.events ? [...new Set(input.events)] : undefined },
    deps.clock.now(),
  )
  if (!updated) throw new NotFoundError('Webhook endpoint')
  return view(updated)
}

export async function deleteEndpoint(deps: Deps, accountId: string, id: string): Promise<void> {
  if (!(await repo.deleteEndpoint(deps.db, accountId, id))) throw new NotFoundError('Webhook endpoint')
}

/** A new secret, shown once; the old one stops signing at once (deliveries from now on use the new one). */
export async function rotateSecret(deps: Deps, accountId: string, id: string) {
  const secret = generateWebhookSecret()
  const updated = await repo.updateEndpoint(
    deps.db,
    accountId,
    id,
    { secretEnc: encryptSecret(deps.encryptionKey(), secret) },
    deps.clock.now(),
  )
  if (!updated) throw new NotFoundError('Webhook endpoint')
  return { ...view(updated), secret }
}

function publicDelivery(d: repo.StoredWebhookDelivery) {
  const { payload: _payload, ...rest } = d
  return { ...rest, eventType: d.eventType as WebhookEvent }
}

export async function listDeliveries(
  deps: Deps,
  accountId: string,
  endpointId: string,
  filter: { status?: WebhookDeliveryStatus | undefined },
  page: PageRequest,
) {
  await getEndpoint(deps, accountId, endpointId)
  const result = await repo.listDeliveries(deps.db, accountId, endpointId, filter, page)
  return { data: result.data.map(publicDelivery), nextCursor: result.nextCursor }
}

/** Queues a fresh round of attempts with the same `webhook-id`; the worker picks it up within a moment. */
export async function redeliver(deps: Deps, accountId: string, endpointId: string, deliveryId: string) {
  const reset = await repo.resetDelivery(deps.db, accountId, endpointId, deliveryId, deps.clock.now())
  if (!reset) throw new NotFoundError('Webhook delivery')
  return publicDelivery(reset)
}

// The manage page /m/{token} in Chromium (reschedule, cancel, a phone, axe), and the pages for unusable links.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bookThroughApi,
  FIRST_SLOT,
  type Harness,
  NOW,
  plain,
  scrollWidth,
  seriousViolations,
  startHarness,
} from './harness.js'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.close())

describe('GET /m/{token}', () => {
  it('reschedules and then cancels a booking, with the changes visible through the API', async () => {
    const link = await h.fresh({ meetingName: 'Quarterly review' })
    const booked = await bookThroughApi(h, link.token, FIRST_SLOT)
    const page = await h.page()
    const response = await page.goto(booked.manageUrl)
    expect(response?.status()).toBe(200)
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
    expect(await page.locator('h1').textContent()).toBe('Quarterly review')
    await expect
      .poll(async () => plain(await page.locator('#when').textContent()))
      .toBe('Monday, June 1, 2026 at 5:00 AM EDT')
    expect(await page.locator('#booking-status').textContent()).toBe('Confirmed')
    expect(await page.locator('#ics-link').getAttribute('href')).toBe(
      `/public/v1/manage/${booked.manageToken}/booking.ics`,
    )

    await page.getByRole('button', { name: 'Reschedule' }).click()
    await page.locator('#picker').waitFor()
    // The booking's own time stays offered for its move; move it to Tuesday's first slot.
    await page.locator(`button.slot[data-start="${FIRST_SLOT}"]`).waitFor()
    const tuesday = page.locator('.day').nth(1).locator('button.slot').first()
    const target = (await tuesday.getAttribute('data-start')) ?? ''
    expect(target.startsWith('2026-06-02')).toBe(true)
    await tuesday.click()
    expect(plain(await page.locator('#move-heading').textContent())).toMatch(/^Move to Tuesday, June 2, 2026/)
    await page.locator('#confirm-move').click()
    await expect
      .poll(async () => plain(await page.locator('#status').textContent()))
      .toMatch(/^Your booking was moved to Tuesday, June 2, 2026/)
    expect(plain(await page.locator('#when').textContent())).toMatch(/^Tuesday, June 2, 2026/)
    expect(await page.locator('#picker').isHidden()).toBe(true)
    const moved = await h.account.get(`/v1/bookings/${booked.booking.id}`)
    expect(moved.body).toMatchObject({ start: target, status: 'confirmed', source: 'link' })

    await page.getByRole('button', { name: 'Cancel booking' }).click()
    await page.locator('#cancel-panel').waitFor()
    // The confirmation step can be backed out of.
    await page.getByRole('button', { name: 'Keep the booking' }).click()
    expect(await page.locator('#cancel-panel').isHidden()).toBe(true)
    expect((await h.account.get(`/v1/bookings/${booked.booking.id}`)).body.status).toBe('confirmed')
    await page.getByRole('button', { name: 'Cancel booking' }).click()
    await page.getByLabel('Reason (optional)').fill('Travelling that week')
    await page.getByRole('button', { name: 'Yes, cancel it' }).click()
    await expect.poll(() => page.locator('#booking-status').textContent()).toBe('Cancelled')
    expect(await page.locator('#status').textContent()).toBe('Your booking was cancelled.')
    expect(await page.locator('#manage-actions').isHidden()).toBe(true)
    const cancelled = await h.account.get(`/v1/bookings/${booked.booking.id}`)
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: 'Travelling that week' })

    // Coming back later: cancelled, no actions.
    await page.reload()
    expect(await page.locator('#booking-status').textContent()).toBe('Cancelled')
    expect(await page.locator('#cancelled-note').isVisible()).toBe(true)
    expect(await page.locator('#manage-actions').isHidden()).toBe(true)
    expect(await page.getByRole('button', { name: 'Reschedule' }).count()).toBe(0)
  })

  it('is German for a German browser, fits a phone, and has no serious axe violations', async () => {
    const link = await h.fresh()
    const booked = await bookThroughApi(h, link.token, FIRST_SLOT)
    const page = await h.page({
      locale: 'de-DE',
      timezoneId: 'Europe/Berlin',
      viewport: { width: 375, height: 667 },
      isMobile: true,
      bypassCSP: true, // for the inline axe script only
    })
    await page.goto(booked.manageUrl)
    expect(await page.locator('#booking-status').textContent()).toBe('Bestätigt')
    expect(plain(await page.locator('#when').textContent())).toBe('Montag, 1. Juni 2026 um 11:00 MESZ')
    expect(await scrollWidth(page)).toBeLessThanOrEqual(375)
    expect(await seriousViolations(page)).toEqual([])
    await page.getByRole('button', { name: 'Verschieben' }).click()
    await page.locator('button.slot').first().waitFor()
    expect(await scrollWidth(page)).toBeLessThanOrEqual(375)
    expect(await seriousViolations(page)).toEqual([])
    await page.getByRole('button', { name: 'Termin absagen' }).click()
    await page.locator('#cancel-panel').waitFor()
    expect(await seriousViolations(page)).toEqual([])
    // The scan does see problems: an unlabelled field is one.
    await page.evaluate('document.body.appendChild(document.createElement("input"))')
    expect((await seriousViolations(page)).map((v) => v.id)).toContain('label')
  })

  it('answers 404 with a page for an unknown manage token', async () => {
    const page = await h.page()
    const response = await page.goto(`${h.baseUrl}/m/manage_unknown_token_0123456789`)
    expect(response?.status()).toBe(404)
    expect(await page.locator('h1').textContent()).toBe('Booking not found')
  })
})

describe('links that cannot be used', () => {
  it('answers 404 for an unknown link and 410 for an expired, used-up or revoked one, in both languages', async () => {
    const page = await h.page()
    let response = await page.goto(`${h.baseUrl}/b/link_this_token_does_not_exist`)
    expect(response?.status()).toBe(404)
    expect(await page.locator('h1').textContent()).toBe('Link not found')
    response = await page.goto(`${h.baseUrl}/b/short`)
    expect(response?.status()).toBe(404)

    const usedUp = await h.fresh({ maxUses: 1 })
    await bookThroughApi(h, usedUp.token, FIRST_SLOT)
    response = await page.goto(usedUp.url)
    expect(response?.status()).toBe(410)
    expect(await page.locator('h1').textContent()).toBe('This link has already been used')

    const revoked = await h.fresh()
    expect((await h.account.delete(`/v1/booking-links/${revoked.linkId}`)).status).toBe(204)
    response = await page.goto(revoked.url)
    expect(response?.status()).toBe(410)
    expect(await page.locator('h1').textContent()).toBe('This link was withdrawn')

    const expiring = await h.fresh({ expiresAt: '2026-06-01T09:00:00Z' })
    response = await page.goto(expiring.url)
    expect(response?.status()).toBe(200)
    h.t.clock.set('2026-06-01T10:00:00Z')
    try {
      response = await page.goto(expiring.url)
      expect(response?.status()).toBe(410)
      expect(await page.locator('h1').textContent()).toBe('This link has expired')
      expect(await page.locator('.notice').textContent()).toBe(
        'Please ask the person who sent it to you for a new link.',
      )
      response = await page.goto(`${expiring.url}?lang=de`)
      expect(response?.status()).toBe(410)
      expect(await page.locator('h1').textContent()).toBe('Dieser Link ist abgelaufen')
    } finally {
      h.t.clock.set(NOW)
    }
  })

  it('says so on the page when the link expires between loading and booking', async () => {
    const link = await h.fresh({ expiresAt: '2026-06-01T09:00:00Z' })
    const page = await h.page()
    await page.goto(link.url)
    await page.locator('button.slot').first().click()
    await page.getByLabel('Name').fill('Slow Sam')
    await page.getByLabel('Email').fill('sam@partner.example')
    h.t.clock.set('2026-06-01T10:00:00Z')
    try {
      await page.getByRole('button', { name: 'Book this time' }).click()
      await expect
        .poll(() => page.locator('#status').textContent())
        .toBe('This booking link can no longer be used.')
      expect(await page.locator('#picker').isHidden()).toBe(true)
    } finally {
      h.t.clock.set(NOW)
    }
  })
})

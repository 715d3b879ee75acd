// The booking page /b/{token} in Chromium: booking end to end, zones, weeks, the slot-taken path, German, a phone,
// keyboard only, and an axe scan.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  activeClass,
  activeId,
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

const firstSlot = (page: import('playwright-core').Page) => page.locator('button.slot').first()

describe('GET /b/{token}', () => {
  it('books a slot end to end, in the browser’s zone, with escaped names and a strict CSP', async () => {
    const link = await h.fresh({ clientName: 'Dr. <b>Ada</b> & Co', meetingName: 'Intro "call"' })
    const page = await h.page({ viewport: { width: 900, height: 1000 } })
    const response = await page.goto(link.url)
    expect(response?.status()).toBe(200)
    const csp = response?.headers()['content-security-policy'] ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')

    await expect.poll(() => page.locator('.eyebrow').textContent()).toBe('Dr. <b>Ada</b> & Co')
    expect(await page.locator('.eyebrow b').count()).toBe(0)
    expect(await page.locator('h1').textContent()).toBe('Intro "call"')
    expect(await page.locator('.duration').textContent()).toBe('30 minutes')
    expect(await page.locator('#zone').inputValue()).toBe('America/New_York')

    await firstSlot(page).waitFor()
    expect(plain(await page.locator('#week-label').textContent())).toBe('Week of June 1, 2026')
    expect(plain(await page.locator('.day h4').first().textContent())).toBe('Monday, June 1')
    expect(plain(await firstSlot(page).textContent())).toBe('5:00 AM')
    expect(await firstSlot(page).getAttribute('data-start')).toBe(FIRST_SLOT)

    await firstSlot(page).click()
    await expect.poll(() => page.locator('#details').isVisible()).toBe(true)
    expect(await activeId(page)).toBe('name')
    await page.getByLabel('Name').fill('Grace Hopper')
    await page.getByLabel('Email').fill('grace@partner.example')
    await page.getByLabel('Notes (optional)').fill('About the <script>alert(1)</script> project')
    await page.getByRole('button', { name: 'Book this time' }).click()

    await page.locator('#done').waitFor()
    expect(await page.locator('#done-heading').textContent()).toBe('You’re booked')
    expect(plain(await page.locator('#done-when').textContent())).toBe(
      'Intro "call" with Dr. <b>Ada</b> & Co on Monday, June 1, 2026 at 5:00 AM EDT.',
    )
    const manageHref = await page.locator('#manage-link').getAttribute('href')
    expect(manageHref).toMatch(new RegExp(`^${h.baseUrl}/m/[A-Za-z0-9_-]+$`))
    const icsHref = (await page.locator('#ics-link').getAttribute('href')) ?? ''
    expect(icsHref).toMatch(new RegExp(`^${h.baseUrl}/public/v1/manage/[A-Za-z0-9_-]+/booking\\.ics$`))
    const ics = await fetch(icsHref)
    expect(ics.status).toBe(200)
    expect(await ics.text()).toContain('DTSTART')

    const list = await h.account.get(`/v1/bookings?clientId=${link.clientId}`)
    expect(list.body.data).toHaveLength(1)
    expect(list.body.data[0]).toMatchObject({
      start: FIRST_SLOT,
      status: 'confirmed',
      source: 'link',
      bookingLinkId: link.linkId,
      notes: 'About the <script>alert(1)</script> project',
    })
  })

  it('switches zones and weeks; the first week is the server’s, not the browser’s', async () => {
    const link = await h.fresh({ clientName: 'Dr. Ada Lovelace', meetingName: 'Intro call' })
    const page = await h.page({ viewport: { width: 900, height: 900 } })
    await page.goto(link.url)
    await firstSlot(page).waitFor()
    expect(await page.locator('#prev-week').isDisabled()).toBe(true)
    await page.screenshot({ path: 'docs/booking-page.png' })

    await page.locator('#zone').selectOption('Asia/Tokyo')
    await expect.poll(async () => plain(await firstSlot(page).textContent())).toBe('6:00 PM')
    expect(plain(await page.locator('.day h4').first().textContent())).toBe('Monday, June 1')

    const slotsRequest = page.waitForRequest((r) => r.url().includes('/slots?'))
    await page.getByRole('button', { name: /Next week/ }).click()
    const url = new URL((await slotsRequest).url())
    // Monday 2026-06-08 00:00 in Tokyo.
    expect(url.searchParams.get('from')).toBe('2026-06-07T15:00:00.000Z')
    expect(url.searchParams.get('timeZone')).toBe('Asia/Tokyo')
    await expect
      .poll(async () => plain(await page.locator('#week-label').textContent()))
      .toBe('Week of June 8, 2026')
    await firstSlot(page).waitFor()
    expect(plain(await page.locator('.day h4').first().textContent())).toBe('Monday, June 8')
    expect(await page.locator('#prev-week').isDisabled()).toBe(false)
    // By keyboard: the Previous button disables itself on the first week and hands the focus on.
    await page.getByRole('button', { name: /Previous week/ }).focus()
    await page.keyboard.press('Enter')
    await expect
      .poll(async () => plain(await page.locator('#week-label').textContent()))
      .toBe('Week of June 1, 2026')
    expect(await activeId(page)).toBe('next-week')
  })

  it('says the slot was taken and refreshes the list when someone else booked it meanwhile', async () => {
    const link = await h.fresh()
    const page = await h.page()
    await page.goto(link.url)
    await firstSlot(page).click()
    await page.getByLabel('Name').fill('Late Larry')
    await page.getByLabel('Email').fill('larry@partner.example')

    await bookThroughApi(h, link.token, FIRST_SLOT)
    await page.getByRole('button', { name: 'Book this time' }).click()

    await expect
      .poll(() => page.locator('#status').textContent())
      .toBe('That time was just taken — please pick another.')
    expect(await page.locator('#details').isHidden()).toBe(true)
    await expect.poll(() => page.locator(`button.slot[data-start="${FIRST_SLOT}"]`).count()).toBe(0)
    expect(await page.locator('button.slot').count()).toBeGreaterThan(0)
    const list = await h.account.get(`/v1/bookings?clientId=${link.clientId}`)
    expect(list.body.data).toHaveLength(1)
  })

  it('speaks German from Accept-Language, English with ?lang=en, and pre-fills a known contact', async () => {
    const link = await h.fresh({ contact: true })
    const page = await h.page({ locale: 'de-DE', timezoneId: 'Europe/Berlin' })
    await page.goto(link.url)
    expect(await page.locator('html').getAttribute('lang')).toBe('de')
    expect(await page.locator('#picker-heading').textContent()).toBe('Wählen Sie einen Termin')
    await firstSlot(page).waitFor()
    expect(plain(await page.locator('#week-label').textContent())).toBe('Woche ab 1. Juni 2026')
    expect(plain(await page.locator('.day h4').first().textContent())).toBe('Montag, 1. Juni')
    expect(plain(await firstSlot(page).textContent())).toBe('11:00')
    await firstSlot(page).click()
    expect(await page.getByLabel('E-Mail').inputValue()).toBe(link.contact?.email)
    expect(await page.getByLabel('Name').inputValue()).toBe(link.contact?.name)
    await page.getByRole('button', { name: 'Diesen Termin buchen' }).click()
    await page.locator('#done').waitFor()
    expect(await page.locator('#done-heading').textContent()).toBe('Ihr Termin ist gebucht')
    expect(plain(await page.locator('#done-when').textContent())).toContain(
      'Montag, 1. Juni 2026 um 11:00 MESZ',
    )

    await page.goto(`${link.url}?lang=en`)
    expect(await page.locator('#picker-heading').textContent()).toBe('Choose a time')
  })

  it('fits a 375 px phone without horizontal scrolling', async () => {
    const link = await h.fresh({ clientName: 'Maximilian Alexander von Habsburg-Lothringen Consulting GmbH' })
    const page = await h.page({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true })
    await page.goto(link.url)
    await firstSlot(page).waitFor()
    expect(await scrollWidth(page)).toBeLessThanOrEqual(375)
    await firstSlot(page).click()
    await page.locator('#details').waitFor()
    expect(await scrollWidth(page)).toBeLessThanOrEqual(375)
    await page.getByLabel('Name').fill('Phone Phil')
    await page.getByLabel('Email').fill('phil@partner.example')
    await page.getByRole('button', { name: 'Book this time' }).click()
    await page.locator('#done').waitFor()
    expect(await scrollWidth(page)).toBeLessThanOrEqual(375)
  })

  it('books with the keyboard only', async () => {
    const link = await h.fresh()
    const page = await h.page()
    await page.goto(link.url)
    await firstSlot(page).waitFor()
    let tabs = 0
    while ((await activeClass(page)) !== 'slot') {
      await page.keyboard.press('Tab')
      if (++tabs > 20) throw new Error('no slot reachable by Tab')
    }
    await page.keyboard.press('Enter')
    expect(await activeId(page)).toBe('name')
    await page.keyboard.type('Keyboard Kim')
    await page.keyboard.press('Tab')
    await page.keyboard.type('kim@partner.example')
    await page.keyboard.press('Tab')
    expect(await activeId(page)).toBe('notes')
    await page.keyboard.press('Tab')
    expect(await activeId(page)).toBe('book-button')
    await page.keyboard.press('Enter')
    await page.locator('#done').waitFor()
    expect(await activeId(page)).toBe('done-heading')
    const list = await h.account.get(`/v1/bookings?clientId=${link.clientId}`)
    expect(list.body.data[0]).toMatchObject({ start: FIRST_SLOT, status: 'confirmed' })
  })

  it('has no serious or critical axe violations (slots, form and confirmation)', async () => {
    const link = await h.fresh()
    // axe is injected inline, which the page's CSP forbids: bypass it for the scan only.
    const page = await h.page({ bypassCSP: true })
    await page.goto(link.url)
    await firstSlot(page).click()
    await page.locator('#details').waitFor()
    expect(await seriousViolations(page)).toEqual([])
    await page.getByLabel('Name').fill('Axe Ada')
    await page.getByLabel('Email').fill('ada@partner.example')
    await page.getByRole('button', { name: 'Book this time' }).click()
    await page.locator('#done').waitFor()
    expect(await seriousViolations(page)).toEqual([])
  })

  it('keeps the server clock: the page data carries the server’s now', async () => {
    const link = await h.fresh()
    const res = await h.t.app.inject({ method: 'GET', url: `/b/${link.token}` })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    const json = /<script type="application\/json" id="page-data">(.*?)<\/script>/s.exec(res.body)?.[1]
    expect(JSON.parse(json ?? '{}').now).toBe(new Date(NOW).toISOString())
    expect(res.body).not.toMatch(/<script>(?!<)/)
  })
})

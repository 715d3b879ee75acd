// Server-rendered HTML of the booking, manage and error pages. Everything user-supplied is escaped here.
import { format, type Lang, STRINGS, type Strings } from './i18n.js'

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(value: string | number): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

/** JSON safe inside a `<script type="application/json">` block (no `</script>`, no `<!--`). */
function scriptJson(data: unknown): string {
  return JSON.stringify(data)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029')
}

/** The Content-Security-Policy of every page: our own script and style only, nothing inline. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Zones offered in the switcher; the browser's own zone is added by the script when missing. */
export const COMMON_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Lisbon',
  'Europe/Dublin',
  'Europe/Berlin',
  'Europe/Paris',
  'Europe/Madrid',
  'Europe/Amsterdam',
  'Europe/Zurich',
  'Europe/Vienna',
  'Europe/Warsaw',
  'Europe/Athens',
  'Europe/Istanbul',
  'Africa/Johannesburg',
  'Asia/Dubai',
  'Asia/Kolkata',
  'Asia/Singapore',
  'Asia/Shanghai',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Pacific/Auckland',
  'America/Sao_Paulo',
  'America/Mexico_City',
  'America/New_York',
  'America/Toronto',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Anchorage',
  'Pacific/Honolulu',
]

interface Shell {
  lang: Lang
  title: string
  body: string
  data?: unknown
  /** The path without query, for the language links. */
  path: string
}

function languageNav(lang: Lang, path: string): string {
  const s = STRINGS[lang]
  const link = (to: Lang, label: string) =>
    to === lang
      ? `<a href="${escapeHtml(path)}?lang=${to}" lang="${to}" hreflang="${to}" aria-current="true">${label}</a>`
      : `<a href="${escapeHtml(path)}?lang=${to}" lang="${to}" hreflang="${to}">${label}</a>`
  return `<nav class="lang" aria-label="${escapeHtml(s.language)}">${link('en', 'English')} ${link('de', 'Deutsch')}</nav>`
}

function shell({ lang, title, body, data, path }: Shell): string {
  const script =
    data === undefined
      ? ''
      : `<script type="application/json" id="page-data">${scriptJson(data)}</script>
<script src="/assets/booking.js" defer></script>`
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/booking.css">
${script}
</head>
<body>
<main class="card">
${languageNav(lang, path)}
${body}
</main>
</body>
</html>
`
}

function zoneOptions(extra: (string | null | undefined)[]): string {
  const zones = [...new Set([...extra.filter((z): z is string => !!z), ...COMMON_ZONES])]
  return zones
    .map((z) => `<option value="${escapeHtml(z)}">${escapeHtml(z.replaceAll('_', ' '))}</option>`)
    .join('')
}

function picker(s: Strings, zones: (string | null | undefined)[], hidden: boolean): string {
  return `<section id="picker" class="picker" aria-labelledby="picker-heading"${hidden ? ' hidden' : ''}>
<h2 id="picker-heading" tabindex="-1">${escapeHtml(s.chooseTime)}</h2>
<div class="field zone">
<label for="zone">${escapeHtml(s.timeZone)}</label>
<select id="zone" name="zone">${zoneOptions(zones)}</select>
</div>
<div class="week-nav">
<button type="button" id="prev-week" class="secondary">‹ ${escapeHtml(s.prevWeek)}</button>
<h3 id="week-label"></h3>
<button type="button" id="next-week" class="secondary">${escapeHtml(s.nextWeek)} ›</button>
</div>
<div id="slots" class="slots" aria-busy="true"><p>${escapeHtml(s.loading)}</p></div>
<noscript><p class="notice error">${escapeHtml(s.noscript)}</p></noscript>
</section>`
}

export interface LinkView {
  meeting: { name: string; durationMinutes: number }
  client: { name: string; timeZone: string }
  contact: { name: string; email: string; timeZone: string | null } | null
  horizonDays: number
}

export function bookingPage(lang: Lang, token: string, link: LinkView, now: Date): string {
  const s = STRINGS[lang]
  const readonly = link.contact ? ' readonly' : ''
  const body = `<header class="intro">
<p class="eyebrow">${escapeHtml(link.client.name)}</p>
<h1>${escapeHtml(link.meeting.name)}</h1>
<p class="meta"><span class="duration">${escapeHtml(format(s.minutes, { n: link.meeting.durationMinutes }))}</span></p>
</header>
<div id="status" class="status" role="status" aria-live="polite"></div>
${picker(s, [link.contact?.timeZone], false)}
<section id="details" class="details" aria-labelledby="details-heading" hidden>
<h2 id="details-heading" tabindex="-1">${escapeHtml(s.yourDetails)}</h2>
<p id="chosen" class="chosen"></p>
<form id="book-form" method="post" action="#">
${link.contact ? `<p class="hint">${escapeHtml(s.prefilled)}</p>` : ''}
<div class="field"><label for="name">${escapeHtml(s.name)}</label>
<input id="name" name="name" type="text" autocomplete="name" required maxlength="200" value="${escapeHtml(link.contact?.name ?? '')}"${readonly}></div>
<div class="field"><label for="email">${escapeHtml(s.email)}</label>
<input id="email" name="email" type="email" autocomplete="email" required maxlength="320" value="${escapeHtml(link.contact?.email ?? '')}"${readonly}></div>
<div class="field"><label for="notes">${escapeHtml(s.notes)}</label>
<textarea id="notes" name="notes" rows="3" maxlength="5000"></textarea></div>
<div class="actions">
<button type="submit" id="book-button">${escapeHtml(s.book)}</button>
<button type="button" id="change-time" class="secondary">${escapeHtml(s.changeTime)}</button>
</div>
</form>
</section>
<section id="done" class="done" aria-labelledby="done-heading" hidden>
<h2 id="done-heading" tabindex="-1">${escapeHtml(s.booked)}</h2>
<p id="done-when"></p>
<p><a id="ics-link" class="button" href="#" download>${escapeHtml(s.addToCalendar)}</a></p>
<p><a id="manage-link" href="#">${escapeHtml(s.manageLink)}</a></p>
<p id="manage-url" class="url"></p>
<p class="hint">${escapeHtml(s.manageHint)}</p>
</section>`
  return shell({
    lang,
    title: format(s.bookTitle, { client: link.client.name }),
    path: `/b/${token}`,
    body,
    data: {
      kind: 'booking',
      lang,
      token,
      now: now.toISOString(),
      horizonDays: link.horizonDays,
      meeting: link.meeting,
      client: link.client,
      strings: s,
    },
  })
}

export interface BookingView {
  status: 'confirmed' | 'cancelled'
  start: Date | string
  end: Date | string
  meeting: { name: string; durationMinutes: number }
  client: { name: string; timeZone: string }
  contact: { timeZone: string | null }
}

/** A date and time for the server-rendered page (the script re-renders it in the browser's zone). */
export function formatWhen(lang: Lang, iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(lang, {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(iso))
}

export function managePage(lang: Lang, token: string, booking: BookingView, now: Date): string {
  const s = STRINGS[lang]
  const cancelled = booking.status === 'cancelled'
  const zone = booking.contact.timeZone ?? booking.client.timeZone
  const icsUrl = `/public/v1/manage/${token}/booking.ics`
  const start = new Date(booking.start).toISOString()
  const end = new Date(booking.end).toISOString()
  const body = `<header class="intro">
<p class="eyebrow">${escapeHtml(booking.client.name)}</p>
<h1>${escapeHtml(booking.meeting.name)}</h1>
<p class="meta"><span class="duration">${escapeHtml(format(s.minutes, { n: booking.meeting.durationMinutes }))}</span></p>
</header>
<div id="status" class="status" role="status" aria-live="polite"></div>
<dl class="booking">
<div><dt>${escapeHtml(s.with)}</dt><dd>${escapeHtml(booking.client.name)}</dd></div>
<div><dt>${escapeHtml(s.when)}</dt><dd><time id="when" datetime="${escapeHtml(start)}">${escapeHtml(formatWhen(lang, start, zone))}</time></dd></div>
<div><dt>${escapeHtml(s.status)}</dt><dd id="booking-status" class="${cancelled ? 'cancelled' : 'confirmed'}">${escapeHtml(cancelled ? s.cancelled : s.confirmed)}</dd></div>
</dl>
<p id="cancelled-note" class="notice" tabindex="-1"${cancelled ? '' : ' hidden'}>${escapeHtml(s.cancelledNote)}</p>
<div id="manage-actions" class="actions"${cancelled ? ' hidden' : ''}>
<button type="button" id="reschedule-button">${escapeHtml(s.reschedule)}</button>
<button type="button" id="cancel-button" class="secondary">${escapeHtml(s.cancel)}</button>
<a id="ics-link" class="button secondary" href="${escapeHtml(icsUrl)}" download>${escapeHtml(s.addToCalendar)}</a>
</div>
<section id="cancel-panel" class="details" aria-labelledby="cancel-heading" hidden>
<h2 id="cancel-heading" tabindex="-1">${escapeHtml(s.cancelQuestion)}</h2>
<form id="cancel-form" method="post" action="#">
<div class="field"><label for="reason">${escapeHtml(s.reason)}</label>
<textarea id="reason" name="reason" rows="3" maxlength="2000"></textarea></div>
<div class="actions">
<button type="submit" id="confirm-cancel" class="danger">${escapeHtml(s.confirmCancel)}</button>
<button type="button" id="keep-booking" class="secondary">${escapeHtml(s.keep)}</button>
</div>
</form>
</section>
${picker(s, [booking.contact.timeZone], true)}
<section id="move-panel" class="details" aria-labelledby="move-heading" hidden>
<h2 id="move-heading" tabindex="-1"></h2>
<div class="actions">
<button type="button" id="confirm-move">${escapeHtml(s.reschedule)}</button>
<button type="button" id="move-back" class="secondary">${escapeHtml(s.changeTime)}</button>
</div>
</section>`
  return shell({
    lang,
    title: format(s.manageTitle, { client: booking.client.name }),
    path: `/m/${token}`,
    body,
    data: {
      kind: 'manage',
      lang,
      token,
      now: now.toISOString(),
      horizonDays: 730,
      booking: {
        status: booking.status,
        start,
        end,
        meeting: booking.meeting,
        client: booking.client,
        timeZone: booking.contact.timeZone,
      },
      strings: s,
    },
  })
}

export type ErrorKind =
  | 'link_not_found'
  | 'link_expired'
  | 'link_used_up'
  | 'link_revoked'
  | 'manage_not_found'

export function errorPage(lang: Lang, kind: ErrorKind, path: string): string {
  const s = STRINGS[lang]
  const texts: Record<ErrorKind, [string, string]> = {
    link_not_found: [s.notFoundTitle, s.notFoundText],
    manage_not_found: [s.manageNotFoundTitle, s.manageNotFoundText],
    link_expired: [s.expiredTitle, s.goneText],
    link_used_up: [s.usedUpTitle, s.goneText],
    link_revoked: [s.revokedTitle, s.goneText],
  }
  const [title, text] = texts[kind]
  return shell({
    lang,
    title,
    path,
    body: `<h1>${escapeHtml(title)}</h1>\n<p class="notice">${escapeHtml(text)}</p>`,
  })
}

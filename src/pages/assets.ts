// The pages' one script and one style sheet, served as static strings (no build step). The script reads its data
// from the server-rendered <script type="application/json" id="page-data"> block and builds DOM with textContent only.

export const BOOKING_JS = String.raw`(function () {
  'use strict'
  var dataEl = document.getElementById('page-data')
  if (!dataEl) return
  var data = JSON.parse(dataEl.textContent)
  var S = data.strings
  var lang = data.lang
  var DAY = 86400000
  var now = Date.parse(data.now)
  var WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

  function $(id) { return document.getElementById(id) }
  function show(el, on) { el.hidden = !on }
  function t(key, vars) {
    return String(S[key] || key).replace(/\{(\w+)\}/g, function (whole, k) {
      return vars && Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : whole
    })
  }
  function el(tag, className, text) {
    var node = document.createElement(tag)
    if (className) node.className = className
    if (text !== undefined) node.textContent = text
    return node
  }
  function enc(value) { return encodeURIComponent(value) }
  function iso(ms) { return new Date(ms).toISOString() }

  var statusEl = $('status')
  function say(message, kind) {
    statusEl.className = 'status' + (kind ? ' ' + kind : '')
    statusEl.textContent = message || ''
  }

  // Time zones without a library: wall-clock parts of an instant, and the instant of a local midnight.
  var partsFormats = {}
  function parts(ms, zone) {
    var f = partsFormats[zone] || (partsFormats[zone] = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: 'numeric',
      day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric'
    }))
    var o = {}
    f.formatToParts(new Date(ms)).forEach(function (p) { o[p.type] = p.value })
    return { y: +o.year, m: +o.month, d: +o.day, h: +o.hour % 24, mi: +o.minute, s: +o.second, wd: WEEKDAYS.indexOf(o.weekday) }
  }
  function offset(ms, zone) {
    var p = parts(ms, zone)
    return Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - (ms - (ms % 1000))
  }
  function midnight(y, m, d, zone) {
    var guess = Date.UTC(y, m - 1, d)
    return guess - offset(guess - offset(guess, zone), zone)
  }
  /** Monday 00:00 (in zone) of the week k weeks after the one containing the server's "now". */
  function weekStart(k, zone) {
    var p = parts(now, zone)
    var monday = new Date(Date.UTC(p.y, p.m - 1, p.d - ((p.wd + 6) % 7) + 7 * k))
    return midnight(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), zone)
  }
  function fmt(ms, zone, options) {
    options.timeZone = zone
    return new Intl.DateTimeFormat(lang, options).format(new Date(ms))
  }
  function dayLabel(ms, zone) { return fmt(ms, zone, { weekday: 'long', day: 'numeric', month: 'long' }) }
  function timeLabel(ms, zone) { return fmt(ms, zone, { hour: 'numeric', minute: '2-digit' }) }
  function fullLabel(ms, zone) {
    return fmt(ms, zone, {
      weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
      hour: 'numeric', minute: '2-digit', timeZoneName: 'short'
    })
  }

  var zoneSelect = $('zone')
  function zone() { return zoneSelect.value }
  ;(function detectZone() {
    var detected = 'UTC'
    try { detected = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' } catch (e) { /* keep UTC */ }
    var known = Array.prototype.some.call(zoneSelect.options, function (o) { return o.value === detected })
    if (!known) {
      var option = el('option', null, detected.replace(/_/g, ' '))
      option.value = detected
      zoneSelect.insertBefore(option, zoneSelect.firstChild)
    }
    zoneSelect.value = detected
  })()

  async function api(method, url, body) {
    var init = { method: method, headers: { accept: 'application/json' } }
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    var res
    try { res = await fetch(url, init) } catch (e) { return { ok: false, status: 0, body: null } }
    var json = null
    try { json = await res.json() } catch (e) { /* not JSON */ }
    return { ok: res.ok, status: res.status, body: json }
  }
  function codeOf(r) { return r.body && r.body.code }
  function problemMessage(r, invalid) {
    var code = codeOf(r)
    if (code === 'slot_unavailable') return S.slotTaken
    if (r.status === 410) return S.linkGone
    if (r.status === 429) return S.rateLimited
    if (r.status === 400 && invalid) return invalid
    return S.failed
  }

  /** The week-by-week slot list: slots are buttons, grouped by day in the chosen zone. */
  function Picker(slotsUrl, onChoose) {
    var week = 0
    var seq = 0
    var chosen = null
    var slotsEl = $('slots')
    var label = $('week-label')
    var prev = $('prev-week')
    var next = $('next-week')
    prev.addEventListener('click', function () { if (week > 0) { week -= 1; load() } })
    next.addEventListener('click', function () { week += 1; load() })

    function mark() {
      Array.prototype.forEach.call(slotsEl.querySelectorAll('button.slot'), function (b) {
        b.setAttribute('aria-pressed', String(b.dataset.start === chosen))
      })
    }
    function render(slots, z) {
      slotsEl.replaceChildren()
      if (!slots.length) { slotsEl.appendChild(el('p', 'empty', S.noSlots)); return }
      var groups = []
      var byDay = {}
      slots.forEach(function (s) {
        var ms = Date.parse(s.start)
        var p = parts(ms, z)
        var key = p.y + '-' + p.m + '-' + p.d
        if (!byDay[key]) { byDay[key] = { ms: ms, items: [] }; groups.push(byDay[key]) }
        byDay[key].items.push({ start: s.start, ms: ms })
      })
      groups.forEach(function (g, i) {
        var day = el('div', 'day')
        var heading = el('h4', null, dayLabel(g.ms, z))
        heading.id = 'day-' + i
        var list = el('ul', 'times')
        list.setAttribute('aria-labelledby', heading.id)
        g.items.forEach(function (item) {
          var li = el('li')
          var b = el('button', 'slot', timeLabel(item.ms, z))
          b.type = 'button'
          b.dataset.start = item.start
          b.setAttribute('aria-label', dayLabel(item.ms, z) + ', ' + timeLabel(item.ms, z))
          b.setAttribute('aria-pressed', String(item.start === chosen))
          b.addEventListener('click', function () { chosen = item.start; mark(); onChoose(item.start, item.ms) })
          li.appendChild(b)
          list.appendChild(li)
        })
        day.appendChild(heading)
        day.appendChild(list)
        slotsEl.appendChild(day)
      })
    }
    async function load() {
      var z = zone()
      var from = weekStart(week, z)
      var to = weekStart(week + 1, z)
      label.textContent = t('weekOf', { date: fmt(from, z, { day: 'numeric', month: 'long', year: 'numeric' }) })
      var focused = document.activeElement
      prev.disabled = week <= 0
      next.disabled = to >= now + data.horizonDays * DAY
      // A week button that just became disabled would drop the keyboard focus to the page: hand it over.
      if (focused === prev && prev.disabled) next.focus()
      if (focused === next && next.disabled) prev.focus()
      slotsEl.setAttribute('aria-busy', 'true')
      slotsEl.replaceChildren(el('p', 'loading', S.loading))
      var mine = ++seq
      var r = await api('GET', slotsUrl + '?from=' + enc(iso(from)) + '&to=' + enc(iso(to)) + '&timeZone=' + enc(z))
      if (mine !== seq) return false
      slotsEl.setAttribute('aria-busy', 'false')
      if (!r.ok) { slotsEl.replaceChildren(); say(problemMessage(r), 'error'); return false }
      render(r.body.slots, z)
      return true
    }
    return { load: load, clear: function () { chosen = null; mark() } }
  }

  function bookingPage() {
    var details = $('details')
    var picked = null
    var picker = Picker('/public/v1/links/' + enc(data.token) + '/slots', function (start, ms) {
      picked = start
      $('chosen').textContent = t('chosen', { time: fullLabel(ms, zone()) })
      show(details, true)
      say('')
      var name = $('name')
      ;(name.readOnly ? $('notes') : name).focus()
    })
    function closeDetails() { picked = null; show(details, false); picker.clear() }
    $('change-time').addEventListener('click', function () { closeDetails(); $('picker-heading').focus() })
    zoneSelect.addEventListener('change', function () { closeDetails(); picker.load() })
    $('book-form').addEventListener('submit', async function (event) {
      event.preventDefault()
      if (!picked) return
      var button = $('book-button')
      button.disabled = true
      button.textContent = S.booking
      var body = { start: picked, name: $('name').value.trim(), email: $('email').value.trim(), timeZone: zone() }
      var notes = $('notes').value.trim()
      if (notes) body.notes = notes
      var r = await api('POST', '/public/v1/links/' + enc(data.token) + '/bookings', body)
      button.disabled = false
      button.textContent = S.book
      if (r.ok) {
        var booked = r.body
        show($('picker'), false)
        show(details, false)
        $('done-when').textContent = t('bookedWhen', {
          meeting: data.meeting.name, client: data.client.name, time: fullLabel(Date.parse(booked.booking.start), zone())
        })
        $('ics-link').href = booked.icsUrl
        $('manage-link').href = booked.manageUrl
        $('manage-url').textContent = booked.manageUrl
        say('')
        show($('done'), true)
        $('done-heading').focus()
        return
      }
      if (codeOf(r) === 'slot_unavailable') {
        closeDetails()
        say(S.slotTaken, 'error')
        await picker.load()
        $('picker-heading').focus()
        return
      }
      say(problemMessage(r, S.invalid), 'error')
      if (r.status === 410) { show($('picker'), false); show(details, false) }
    })
    picker.load()
  }

  function managePage() {
    var booking = data.booking
    var whenEl = $('when')
    var target = null
    function renderWhen() {
      whenEl.setAttribute('datetime', booking.start)
      whenEl.textContent = fullLabel(Date.parse(booking.start), zone())
    }
    var picker = Picker('/public/v1/manage/' + enc(data.token) + '/slots', function (start, ms) {
      target = start
      $('move-heading').textContent = t('moveTo', { time: fullLabel(ms, zone()) })
      show($('move-panel'), true)
      say('')
      $('confirm-move').focus()
    })
    var loaded = false
    function closeMove() { target = null; show($('move-panel'), false); picker.clear() }
    $('reschedule-button').addEventListener('click', function () {
      show($('cancel-panel'), false)
      show($('picker'), true)
      if (!loaded) { loaded = true; picker.load() }
      $('picker-heading').focus()
    })
    $('cancel-button').addEventListener('click', function () {
      show($('picker'), false)
      closeMove()
      show($('cancel-panel'), true)
      $('cancel-heading').focus()
    })
    $('keep-booking').addEventListener('click', function () {
      show($('cancel-panel'), false)
      $('cancel-button').focus()
    })
    $('move-back').addEventListener('click', function () { closeMove(); $('picker-heading').focus() })
    zoneSelect.addEventListener('change', function () { closeMove(); renderWhen(); picker.load() })
    $('confirm-move').addEventListener('click', async function () {
      if (!target) return
      var button = $('confirm-move')
      button.disabled = true
      var r = await api('POST', '/public/v1/manage/' + enc(data.token) + '/reschedule', { start: target })
      button.disabled = false
      if (r.ok) {
        booking = r.body
        renderWhen()
        closeMove()
        show($('picker'), false)
        loaded = false
        say(t('moved', { time: fullLabel(Date.parse(booking.start), zone()) }), 'success')
        $('reschedule-button').focus()
        return
      }
      closeMove()
      say(problemMessage(r), 'error')
      if (codeOf(r) === 'slot_unavailable') { await picker.load(); $('picker-heading').focus() }
    })
    $('cancel-form').addEventListener('submit', async function (event) {
      event.preventDefault()
      var button = $('confirm-cancel')
      button.disabled = true
      var reason = $('reason').value.trim()
      var r = await api('POST', '/public/v1/manage/' + enc(data.token) + '/cancel', reason ? { reason: reason } : {})
      button.disabled = false
      if (!r.ok) { say(problemMessage(r), 'error'); return }
      booking = r.body
      var status = $('booking-status')
      status.textContent = S.cancelled
      status.className = 'cancelled'
      show($('cancel-panel'), false)
      show($('manage-actions'), false)
      show($('cancelled-note'), true)
      say(S.cancelDone, 'success')
      $('cancelled-note').focus()
    })
    renderWhen()
  }

  if (data.kind === 'booking') bookingPage()
  else if (data.kind === 'manage') managePage()
})()
`

export const BOOKING_CSS = `:root {
  --text: #1f2328;
  --muted: #4b5563;
  --bg: #f3f4f6;
  --card: #ffffff;
  --line: #d1d5db;
  --primary: #1d4ed8;
  --primary-dark: #1e3a8a;
  --primary-soft: #eff6ff;
  --danger: #b91c1c;
  --error-bg: #fef2f2;
  --error-text: #991b1b;
  --ok-bg: #f0fdf4;
  --ok-text: #166534;
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  overflow-wrap: anywhere;
}
.card {
  max-width: 44rem;
  margin: 0 auto;
  padding: 1rem;
  background: var(--card);
  min-height: 100vh;
}
@media (min-width: 48rem) {
  .card { margin: 2rem auto; min-height: 0; padding: 2rem; border-radius: 12px; box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); }
}
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.25rem 0; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 0.75rem; }
h3 { font-size: 1rem; margin: 0; text-align: center; flex: 1 1 12rem; }
h4 { font-size: 1rem; margin: 1rem 0 0.5rem; }
a { color: var(--primary); }
a:hover { color: var(--primary-dark); }
.lang { text-align: right; font-size: 0.9rem; }
.lang a { padding: 0.25rem; }
.lang a[aria-current] { font-weight: 600; color: var(--text); text-decoration: none; }
.eyebrow { margin: 0; color: var(--muted); font-weight: 600; }
.meta { margin: 0; color: var(--muted); }
.hint { color: var(--muted); font-size: 0.95rem; }
.url { font-family: ui-monospace, monospace; font-size: 0.85rem; color: var(--muted); }
.status:not(:empty) { margin: 1rem 0; padding: 0.75rem 1rem; border-radius: 8px; border-left: 4px solid var(--primary); background: var(--primary-soft); }
.status.error { background: var(--error-bg); color: var(--error-text); border-left-color: var(--danger); }
.status.success { background: var(--ok-bg); color: var(--ok-text); border-left-color: var(--ok-text); }
.notice { padding: 0.75rem 1rem; border-radius: 8px; background: var(--bg); }
.field { margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
input, select, textarea {
  width: 100%;
  max-width: 100%;
  font: inherit;
  color: inherit;
  padding: 0.6rem 0.7rem;
  border: 1px solid #6b7280;
  border-radius: 8px;
  background: #fff;
}
input[readonly] { background: var(--bg); }
.zone select { max-width: 24rem; }
button, .button {
  display: inline-block;
  font: inherit;
  font-weight: 600;
  min-height: 44px;
  padding: 0.55rem 1rem;
  border-radius: 8px;
  border: 2px solid var(--primary);
  background: var(--primary);
  color: #fff;
  cursor: pointer;
  text-decoration: none;
  text-align: center;
}
button:hover, .button:hover { background: var(--primary-dark); border-color: var(--primary-dark); color: #fff; }
button.secondary, .button.secondary { background: #fff; color: var(--primary); }
button.secondary:hover, .button.secondary:hover { background: var(--primary-soft); color: var(--primary-dark); }
button.danger { background: var(--danger); border-color: var(--danger); }
button:disabled { opacity: 1; background: #e5e7eb; border-color: #9ca3af; color: #374151; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--primary); outline-offset: 2px; }
button:focus-visible, .button:focus-visible { outline-color: #111827; }
h2:focus, p:focus { outline: none; }
h2:focus-visible { outline: 3px solid var(--primary); }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 1rem 0; }
.week-nav { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; margin: 1rem 0; }
.week-nav h3 { order: -1; flex-basis: 100%; }
.week-nav button { flex: 1 1 8rem; }
@media (min-width: 36rem) {
  .week-nav h3 { order: 0; flex-basis: auto; }
  .week-nav button { flex: 0 0 auto; }
}
.times { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(6.25rem, 1fr)); gap: 0.5rem; }
button.slot { width: 100%; background: #fff; color: var(--primary); padding: 0.5rem 0.25rem; white-space: nowrap; }
button.slot:hover { background: var(--primary-soft); color: var(--primary-dark); }
button.slot[aria-pressed="true"] { background: var(--primary); color: #fff; }
.booking { margin: 1rem 0; }
.booking div { display: flex; flex-wrap: wrap; gap: 0 1rem; padding: 0.5rem 0; border-bottom: 1px solid var(--line); }
.booking dt { font-weight: 600; min-width: 6rem; }
.booking dd { margin: 0; }
.booking dd.cancelled { color: var(--danger); font-weight: 600; }
.done h2 { color: var(--ok-text); }
`

// Strings of the booking and manage pages in English and German, and the choice of language per request.

export type Lang = 'en' | 'de'

const en = {
  bookTitle: 'Book a meeting with {client}',
  manageTitle: 'Your booking with {client}',
  minutes: '{n} minutes',
  language: 'Language',
  timeZone: 'Your time zone',
  chooseTime: 'Choose a time',
  prevWeek: 'Previous week',
  nextWeek: 'Next week',
  weekOf: 'Week of {date}',
  loading: 'Loading free times…',
  noSlots: 'No free times this week. Try the next week.',
  yourDetails: 'Your details',
  chosen: 'Selected time: {time}',
  changeTime: 'Choose another time',
  name: 'Name',
  email: 'Email',
  notes: 'Notes (optional)',
  prefilled: 'This link was sent to you personally, so your name and email are already filled in.',
  book: 'Book this time',
  booking: 'Booking…',
  booked: 'You’re booked',
  bookedWhen: '{meeting} with {client} on {time}.',
  addToCalendar: 'Add to your calendar (.ics)',
  manageLink: 'Reschedule or cancel this booking',
  manageHint: 'Keep this link: it is the only way to change your booking.',
  slotTaken: 'That time was just taken — please pick another.',
  linkGone: 'This booking link can no longer be used.',
  rateLimited: 'Too many attempts — please wait a minute and try again.',
  invalid: 'Please check your name and email address.',
  failed: 'Something went wrong. Please try again.',
  noscript: 'This page needs JavaScript to show the free times.',
  meeting: 'Meeting',
  with: 'With',
  when: 'When',
  status: 'Status',
  confirmed: 'Confirmed',
  cancelled: 'Cancelled',
  cancelledNote: 'This booking was cancelled.',
  reschedule: 'Reschedule',
  cancel: 'Cancel booking',
  cancelQuestion: 'Cancel this booking?',
  reason: 'Reason (optional)',
  confirmCancel: 'Yes, cancel it',
  keep: 'Keep the booking',
  moveTo: 'Move to {time}',
  moved: 'Your booking was moved to {time}.',
  cancelDone: 'Your booking was cancelled.',
  back: 'Back',
  notFoundTitle: 'Link not found',
  notFoundText: 'This booking link does not exist. Please check the address, or ask for a new link.',
  manageNotFoundTitle: 'Booking not found',
  manageNotFoundText: 'There is no booking behind this link. Please check the address.',
  expiredTitle: 'This link has expired',
  usedUpTitle: 'This link has already been used',
  revokedTitle: 'This link was withdrawn',
  goneText: 'Please ask the person who sent it to you for a new link.',
}

export type Strings = typeof en

const de: Strings = {
  bookTitle: 'Termin mit {client} buchen',
  manageTitle: 'Ihr Termin mit {client}',
  minutes: '{n} Minuten',
  language: 'Sprache',
  timeZone: 'Ihre Zeitzone',
  chooseTime: 'Wählen Sie einen Termin',
  prevWeek: 'Vorherige Woche',
  nextWeek: 'Nächste Woche',
  weekOf: 'Woche ab {date}',
  loading: 'Freie Termine werden geladen …',
  noSlots: 'In dieser Woche gibt es keine freien Termine. Versuchen Sie die nächste Woche.',
  yourDetails: 'Ihre Angaben',
  chosen: 'Gewählter Termin: {time}',
  changeTime: 'Anderen Termin wählen',
  name: 'Name',
  email: 'E-Mail',
  notes: 'Notizen (optional)',
  prefilled: 'Dieser Link wurde persönlich an Sie geschickt, daher sind Name und E-Mail schon eingetragen.',
  book: 'Diesen Termin buchen',
  booking: 'Wird gebucht …',
  booked: 'Ihr Termin ist gebucht',
  bookedWhen: '{meeting} mit {client} am {time}.',
  addToCalendar: 'Zum Kalender hinzufügen (.ics)',
  manageLink: 'Diesen Termin verschieben oder absagen',
  manageHint: 'Bewahren Sie diesen Link auf: Nur damit können Sie den Termin ändern.',
  slotTaken: 'Dieser Termin wurde gerade vergeben – bitte wählen Sie einen anderen.',
  linkGone: 'Dieser Buchungslink kann nicht mehr verwendet werden.',
  rateLimited: 'Zu viele Versuche – bitte warten Sie eine Minute und versuchen Sie es erneut.',
  invalid: 'Bitte prüfen Sie Ihren Namen und Ihre E-Mail-Adresse.',
  failed: 'Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.',
  noscript: 'Diese Seite benötigt JavaScript, um die freien Termine anzuzeigen.',
  meeting: 'Termin',
  with: 'Mit',
  when: 'Wann',
  status: 'Status',
  confirmed: 'Bestätigt',
  cancelled: 'Abgesagt',
  cancelledNote: 'Dieser Termin wurde abgesagt.',
  reschedule: 'Verschieben',
  cancel: 'Termin absagen',
  cancelQuestion: 'Diesen Termin absagen?',
  reason: 'Grund (optional)',
  confirmCancel: 'Ja, absagen',
  keep: 'Termin behalten',
  moveTo: 'Auf {time} verschieben',
  moved: 'Ihr Termin wurde auf {time} verschoben.',
  cancelDone: 'Ihr Termin wurde abgesagt.',
  back: 'Zurück',
  notFoundTitle: 'Link nicht gefunden',
  notFoundText:
    'Diesen Buchungslink gibt es nicht. Bitte prüfen Sie die Adresse oder bitten Sie um einen neuen Link.',
  manageNotFoundTitle: 'Termin nicht gefunden',
  manageNotFoundText: 'Zu diesem Link gibt es keinen Termin. Bitte prüfen Sie die Adresse.',
  expiredTitle: 'Dieser Link ist abgelaufen',
  usedUpTitle: 'Dieser Link wurde bereits verwendet',
  revokedTitle: 'Dieser Link wurde zurückgezogen',
  goneText: 'Bitte bitten Sie die Person, die ihn Ihnen geschickt hat, um einen neuen Link.',
}

export const STRINGS: Record<Lang, Strings> = { en, de }

/** `?lang=` wins; otherwise the best of `Accept-Language` (q-values honoured); English by default. */
export function pickLanguage(acceptLanguage: string | undefined, override: unknown): Lang {
  if (override === 'de' || override === 'en') return override
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';')
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      return { base: tag.split('-')[0] ?? '', q: q ? Number(q.slice(2)) : 1, index }
    })
    .filter((entry) => entry.q > 0 && (entry.base === 'de' || entry.base === 'en'))
    .sort((a, b) => b.q - a.q || a.index - b.index)
  return ranked[0]?.base === 'de' ? 'de' : 'en'
}

/** Fills `{name}` placeholders. */
export function format(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in vars ? String(vars[key]) : whole))
}

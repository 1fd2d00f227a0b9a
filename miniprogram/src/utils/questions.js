// Registration questions (报名问题, issue 12): what an activity asks when booking — level,
// instrument, experience. Pure helpers: the booking page keeps `answers` (one array of strings
// per question, by position, as the service stores them, D124), renders them with `view`,
// changes them with `choose` / `write`, checks them with `check` before submitting and sends
// `payload`. The service checks again (`invalid_answers`, details.position / details.reason).
const i18n = require('./i18n')

const MAX_ANSWER = 200

function empty(questions) {
  return (questions || []).map(function () {
    return []
  })
}

// The answers after the activity was loaded again: kept for every question that is still the
// same at its position, empty for a new or changed one.
function carry(oldQuestions, answers, questions) {
  return (questions || []).map(function (q, i) {
    const same = oldQuestions[i] && JSON.stringify(oldQuestions[i]) === JSON.stringify(q)
    return same && answers[i] ? answers[i].slice() : []
  })
}

// Tapping an option: a single choice takes it (tapping it again clears it), a multiple
// choice adds or removes it.
function choose(questions, answers, index, option) {
  const q = questions[index]
  const out = answers.map(function (a) {
    return a.slice()
  })
  const cur = out[index] || []
  if (q.kind === 'single') {
    out[index] = cur[0] === option ? [] : [option]
  } else {
    out[index] = cur.indexOf(option) >= 0
      ? cur.filter(function (o) { return o !== option })
      : q.options.filter(function (o) { return o === option || cur.indexOf(o) >= 0 })
  }
  return out
}

function write(answers, index, value) {
  const out = answers.map(function (a) {
    return a.slice()
  })
  out[index] = [String(value || '')]
  return out
}

function given(a) {
  return (a || []).map(function (s) { return String(s).trim() }).filter(function (s) { return s })
}

// The first problem, as the service would name it: { position (1-based), reason, message }.
function check(questions, answers) {
  for (let i = 0; i < (questions || []).length; i++) {
    const q = questions[i]
    const a = given(answers[i])
    if (!a.length) {
      if (q.required) return { position: i + 1, reason: 'missing', message: i18n.t('aq_missing', { q: q.text }) }
      continue
    }
    if (q.kind === 'text' && a[0].length > MAX_ANSWER) {
      return { position: i + 1, reason: 'too_long', message: i18n.t('aq_too_long', { q: q.text, n: MAX_ANSWER }) }
    }
  }
  return null
}

// What the booking sends: trimmed, one entry per question ([] skips an optional one).
function payload(questions, answers) {
  return (questions || []).map(function (q, i) {
    return given(answers[i])
  })
}

// For the page: every question with its options marked, its hint and any error.
function view(questions, answers, errorPosition) {
  return (questions || []).map(function (q, i) {
    const a = answers[i] || []
    return {
      index: i,
      text: q.text,
      kind: q.kind,
      required: !!q.required,
      badge: i18n.t(q.required ? 'aq_required' : 'aq_optional'),
      hint: q.kind === 'multiple' ? i18n.t('aq_multiple') : q.kind === 'single' ? i18n.t('aq_single') : '',
      value: q.kind === 'text' ? (a[0] || '') : '',
      error: errorPosition === i + 1,
      options: (q.options || []).map(function (o) {
        const on = a.indexOf(o) >= 0
        return { label: o, on: on, mark: q.kind === 'multiple' ? (on ? '☑' : '☐') : (on ? '●' : '○') }
      })
    }
  })
}

module.exports = { MAX_ANSWER, empty, carry, choose, write, check, payload, view }

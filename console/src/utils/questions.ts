// Registration questions (报名问题) in the activity editor, and their answers on the roster.
// The service stores answers by position (docs/decisions.md D124): once anyone has booked, the
// existing questions are frozen and only optional questions may be appended at the end
// (`questions_locked`). These helpers keep the editor to that rule before the service says so.

export type QuestionKind = 'single' | 'multiple' | 'text'

export const QUESTION_KIND_LABELS: Record<QuestionKind, string> = {
  single: '单选',
  multiple: '多选',
  text: '简短填空',
}

/** One question as the service sends and takes it. */
export interface Question {
  text: string
  kind: string
  options: string[]
  required: boolean
}

/** A question being edited: options as one per line. */
export interface DraftQuestion {
  text: string
  kind: QuestionKind
  optionsText: string
  required: boolean
}

export const MAX_QUESTIONS = 10

export function blankQuestion(): DraftQuestion {
  return { text: '', kind: 'single', optionsText: '', required: false }
}

export function toDraft(q: Question): DraftQuestion {
  return { text: q.text, kind: q.kind as QuestionKind, optionsText: q.options.join('\n'), required: q.required }
}

function optionsOf(d: DraftQuestion): string[] {
  if (d.kind === 'text') return []
  return d.optionsText
    .split('\n')
    .map((o) => o.trim())
    .filter((o) => o)
}

/** What the service takes (`questions` of the activity). */
export function toBody(list: DraftQuestion[]): Question[] {
  return list.map((d) => ({ text: d.text.trim(), kind: d.kind, options: optionsOf(d), required: d.required }))
}

/** What is wrong with the list, in the words staff read (empty when it can be saved). */
export function questionProblems(list: DraftQuestion[]): string[] {
  const p: string[] = []
  if (list.length > MAX_QUESTIONS) p.push(`报名问题最多 ${MAX_QUESTIONS} 个`)
  list.forEach((d, i) => {
    const n = i + 1
    const text = d.text.trim()
    if (!text) p.push(`请填写第 ${n} 个报名问题`)
    else if ([...text].length > 100) p.push(`第 ${n} 个报名问题最多 100 个字`)
    if (d.kind !== 'text') {
      const opts = optionsOf(d)
      if (opts.length < 2 || opts.length > 20) p.push(`第 ${n} 个报名问题请填写 2–20 个选项（每行一个）`)
      if (new Set(opts).size !== opts.length) p.push(`第 ${n} 个报名问题有重复的选项`)
      if (opts.some((o) => [...o].length > 40)) p.push(`第 ${n} 个报名问题的选项最多 40 个字`)
    }
  })
  return p
}

/** Once people have booked: the first `frozen` questions must be unchanged and every added one
 *  optional. Returns the problems (empty when the change is allowed). */
export function lockProblems(original: Question[], list: DraftQuestion[]): string[] {
  const body = toBody(list)
  const p: string[] = []
  if (body.length < original.length) p.push('已有人预约：原有的报名问题不能删除')
  original.forEach((q, i) => {
    const b = body[i]
    if (b && JSON.stringify(b) !== JSON.stringify({ text: q.text, kind: q.kind, options: q.options, required: q.required })) {
      p.push(`已有人预约：第 ${i + 1} 个报名问题不能再修改或调整顺序`)
    }
  })
  body.slice(original.length).forEach((q, k) => {
    if (q.required) p.push(`已有人预约：新加的第 ${original.length + k + 1} 个问题只能是选答`)
  })
  return p
}

/** Moves a question up (-1) or down (+1); a new array, unchanged at the ends. */
export function move<T>(list: T[], i: number, dir: -1 | 1): T[] {
  const j = i + dir
  if (j < 0 || j >= list.length) return list.slice()
  const out = list.slice()
  ;[out[i], out[j]] = [out[j], out[i]]
  return out
}

/** The roster's answer columns: one per question, with a stable key for the table. */
export function answerColumns(questions: string[] | undefined): { key: string; label: string; index: number }[] {
  return (questions || []).map((label, index) => ({ key: `q${index}`, label, index }))
}

import { describe, expect, it } from 'vitest'
import { answerColumns, blankQuestion, lockProblems, move, questionProblems, toBody, toDraft, type DraftQuestion, type Question } from '../src/utils/questions'

const level: Question = { text: '您的古筝水平', kind: 'single', options: ['零基础', '初级'], required: true }
const story: Question = { text: '学习经历', kind: 'text', options: [], required: false }

describe('registration questions in the editor', () => {
  it('sends trimmed questions, options one per line, none for a short text', () => {
    const d: DraftQuestion[] = [
      { text: ' 您的古筝水平 ', kind: 'single', optionsText: '零基础\n 初级 \n\n', required: true },
      { text: '学习经历', kind: 'text', optionsText: '不该发送', required: false },
    ]
    expect(toBody(d)).toEqual([level, story])
    expect(toBody([toDraft(level)])).toEqual([level])
  })

  it('names what is missing or wrong', () => {
    expect(questionProblems([toDraft(level), toDraft(story)])).toEqual([])
    expect(questionProblems([blankQuestion()])).toEqual(['请填写第 1 个报名问题', '第 1 个报名问题请填写 2–20 个选项（每行一个）'])
    expect(questionProblems([{ text: '乐器', kind: 'multiple', optionsText: '古筝\n古筝', required: false }])).toEqual(['第 1 个报名问题有重复的选项'])
    expect(questionProblems(Array.from({ length: 11 }, () => toDraft(story)))[0]).toBe('报名问题最多 10 个')
  })

  it('after the first booking only optional questions may be appended', () => {
    const orig = [level, story]
    expect(lockProblems(orig, [toDraft(level), toDraft(story)])).toEqual([])
    expect(lockProblems(orig, [toDraft(level), toDraft(story), { text: '曲目', kind: 'text', optionsText: '', required: false }])).toEqual([])
    expect(lockProblems(orig, [toDraft(level), toDraft(story), { text: '曲目', kind: 'text', optionsText: '', required: true }])).toEqual([
      '已有人预约：新加的第 3 个问题只能是选答',
    ])
    expect(lockProblems(orig, [toDraft(story), toDraft(level)])).toHaveLength(2)
    expect(lockProblems(orig, [toDraft(level)])).toEqual(['已有人预约：原有的报名问题不能删除'])
  })

  it('moves up and down, not past the ends', () => {
    expect(move(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c'])
    expect(move(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b'])
    expect(move(['a', 'b'], 0, -1)).toEqual(['a', 'b'])
  })

  it('one roster column per question', () => {
    expect(answerColumns(['水平', '经历'])).toEqual([
      { key: 'q0', label: '水平', index: 0 },
      { key: 'q1', label: '经历', index: 1 },
    ])
    expect(answerColumns(undefined)).toEqual([])
  })
})

// The naming rule as the network screen checks it before sending.
import { describe, expect, it } from 'vitest'
import { checkName } from '../src/utils/naming'

const rule = { main: '福田区文化馆总馆', direct_branch: '福田区文化馆××分馆', branch: '福田区文化馆××分馆', point: '福田区文化馆××服务点' }

describe('checkName', () => {
  it('accepts names that follow the pattern and derives the short name', () => {
    expect(checkName(rule, 'point', '福田区文化馆景田服务点')).toEqual({ error: '', short: '景田服务点' })
    expect(checkName(rule, 'branch', '福田区文化馆园岭分馆')).toEqual({ error: '', short: '园岭分馆' })
  })
  it('refuses names that do not, and says the rule', () => {
    for (const [level, name] of [['point', '景田服务点'], ['point', '福田区文化馆景田分馆'], ['branch', '福田区文化馆分馆'], ['point', '福田区文化馆 景田服务点']]) {
      expect(checkName(rule, level, name).error).toBe(`名称应符合统一命名规则：${rule[level as 'point' | 'branch']}`)
    }
  })
})

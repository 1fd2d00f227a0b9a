import { describe, expect, it } from 'vitest'
import { answerText, kb, originLabel, statusTag } from '../src/utils/cloud'

describe('culture-cloud send log', () => {
  it('labels statuses, and a retry as a retry', () => {
    expect(statusTag({ status: 'sent', attempts: 1 })).toEqual({ text: '已送达', type: 'success' })
    expect(statusTag({ status: 'pending', attempts: 0 }).text).toBe('等待发送')
    expect(statusTag({ status: 'pending', attempts: 2 }).text).toBe('等待重试（已试 2 次）')
    expect(statusTag({ status: 'failed', attempts: 6 }).type).toBe('danger')
  })
  it('names where a push came from', () => {
    expect(originLabel('snapshot:2026-12-02')).toBe('每日自动（2026-12-02）')
    expect(originLabel('manual:abc')).toBe('手动上报')
  })
  it('explains the receiver answer', () => {
    expect(answerText({ last_status: 200, last_error: null })).toContain('成功')
    expect(answerText({ last_status: 401, last_error: 'HTTP 401: x' })).toContain('凭据或签名')
    expect(answerText({ last_status: 503, last_error: 'HTTP 503' })).toContain('自动重试')
    expect(answerText({ last_status: null, last_error: 'timed out' })).toBe('对方未在时限内答复')
    expect(answerText({ last_status: null, last_error: null })).toBe('—')
    expect(kb(2048)).toBe('2.0 KB')
  })
})

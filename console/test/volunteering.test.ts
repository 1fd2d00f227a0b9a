import { describe, expect, it } from 'vitest'
import { fenToYuan, hoursText, placesText, plannedMinutes, yuanToFen } from '../src/utils/volunteering'

describe('volunteering display rules', () => {
  it('shows fen as yuan without floats', () => {
    expect(fenToYuan(0)).toBe('0.00')
    expect(fenToYuan(5)).toBe('0.05')
    expect(fenToYuan(123456)).toBe('1,234.56')
    expect(fenToYuan(100000000)).toBe('1,000,000.00')
    expect(fenToYuan(null)).toBe('—')
  })
  it('reads yuan typed by staff into whole fen', () => {
    expect(yuanToFen('1234.5')).toBe(123450)
    expect(yuanToFen('0.01')).toBe(1)
    expect(yuanToFen(' 88 ')).toBe(8800)
    expect(yuanToFen('1.234')).toBeNull()
    expect(yuanToFen('-3')).toBeNull()
    expect(yuanToFen('abc')).toBeNull()
  })
  it('shows hours with one decimal like the export', () => {
    expect(hoursText(90)).toBe('1.5')
    expect(hoursText(100)).toBe('1.7')
    expect(hoursText(null)).toBe('—')
  })
  it('suggests the planned length and marks full shifts', () => {
    expect(plannedMinutes('2026-12-05T01:00:00Z', '2026-12-05T03:30:00Z')).toBe(150)
    expect(plannedMinutes('x', 'y')).toBe(0)
    expect(placesText(2, 3)).toBe('2/3')
    expect(placesText(3, 3)).toBe('3/3（已满）')
  })
})

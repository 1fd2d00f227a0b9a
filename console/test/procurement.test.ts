// Procurement in the console: money stays in whole fen, and the order controls follow the rights.
import { describe, expect, it } from 'vitest'
import { nextStep, payableBudgets, toFen, yuan } from '../src/utils/procurement'

describe('money in fen', () => {
  it('formats without floats', () => {
    expect(yuan(123456)).toBe('¥1,234.56')
    expect(yuan(5)).toBe('¥0.05')
    expect(yuan(100000000)).toBe('¥1,000,000.00')
    expect(yuan(0)).toBe('免费')
    expect(yuan(null)).toBe('—')
    expect(yuan(-250)).toBe('-¥2.50')
  })
  it('reads yuan typed by a person', () => {
    expect(toFen('1234.5')).toBe(123450)
    expect(toFen('1,234.56')).toBe(123456)
    expect(toFen('¥ 12')).toBe(1200)
    expect(toFen('0.1')).toBe(10)
    expect(toFen('12.345')).toBeNull()
    expect(toFen('-3')).toBeNull()
    expect(toFen('abc')).toBeNull()
    // 0.1 + 0.2 style errors cannot happen: digits are read, not multiplied as floats.
    expect(toFen('0.29')).toBe(29)
  })
})

describe('order steps', () => {
  const branch = (action: string, unit: number) => action === 'approve_purchase' ? unit === 27 || unit === 4 : unit === 27
  const point = (action: string, unit: number) => action === 'procure' && unit === 27
  it('shows only the step the person may take', () => {
    expect(nextStep({ status: 'proposed', unit_id: 27 }, point)).toBe('confirm')
    expect(nextStep({ status: 'accepted', unit_id: 27 }, point)).toBeNull()
    expect(nextStep({ status: 'accepted', unit_id: 27 }, branch)).toBe('purchase')
    expect(nextStep({ status: 'purchased', unit_id: 27 }, branch)).toBe('deliver')
    expect(nextStep({ status: 'accepted', unit_id: 30 }, branch)).toBeNull()
    expect(nextStep({ status: 'requested', unit_id: 27 }, branch)).toBeNull()
    expect(nextStep({ status: 'delivered', unit_id: 27 }, branch)).toBeNull()
  })
  it('offers only budgets the person may spend with enough left', () => {
    const budgets = [
      { id: 1, unit_id: 1, year: 2026, remaining_fen: 10_000_000 },
      { id: 2, unit_id: 4, year: 2026, remaining_fen: 50_000 },
      { id: 3, unit_id: 5, year: 2026, remaining_fen: 9_000_000 },
    ]
    expect(payableBudgets(budgets, 40_000, (u) => u === 4).map((b) => b.id)).toEqual([2])
    expect(payableBudgets(budgets, 60_000, (u) => u === 4)).toEqual([])
    expect(payableBudgets(budgets, 60_000, () => true).map((b) => b.id)).toEqual([1, 3])
  })
})

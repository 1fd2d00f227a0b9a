import { describe, expect, it } from 'vitest'
import { exportFormats, hasGet, setCapabilities } from '../src/api/capabilities'

describe('exports follow what the service offers', () => {
  it('xlsx where the operation takes format, CSV where it does not, nothing where it is missing', () => {
    setCapabilities({
      paths: {
        '/api/v1/stats/ledger.csv': { get: { parameters: [{ name: 'format', in: 'query', schema: { enum: ['csv', 'xlsx'] } }] } },
        '/api/v1/feedback/export.csv': { get: { parameters: [{ name: 'unit_id', in: 'query' }] } },
      },
    })
    expect(exportFormats('/api/v1/stats/ledger.csv')).toEqual(['csv', 'xlsx'])
    expect(exportFormats('/api/v1/feedback/export.csv')).toEqual(['csv'])
    expect(exportFormats('/api/v1/sessions/{id}/roster.xlsx')).toEqual([])
    expect(hasGet('/api/v1/feedback/export.csv')).toBe(true)
    expect(hasGet('/api/v1/sessions/{id}/roster.xlsx')).toBe(false)
  })
  it('a path named .xlsx is a workbook; a format parameter by reference offers both', () => {
    setCapabilities({
      paths: {
        '/api/v1/sessions/{id}/roster.xlsx': { get: { parameters: [{ name: 'id', in: 'path' }] } },
        '/api/v1/units/{id}/volunteers.csv': { get: { parameters: [{ name: 'format', in: 'query' }] } },
      },
    })
    expect(exportFormats('/api/v1/sessions/{id}/roster.xlsx')).toEqual(['xlsx'])
    expect(exportFormats('/api/v1/units/{id}/volunteers.csv')).toEqual(['csv', 'xlsx'])
  })
})

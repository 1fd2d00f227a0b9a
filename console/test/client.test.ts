import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, ApiError, buildUrl, configureClient, download, filenameFrom, setCsrfToken } from '../src/api/client'

function respond(status: number, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers })
}

afterEach(() => setCsrfToken(null))

describe('API client', () => {
  it('sends the CSRF token on writes only, with the cookie (same-origin)', async () => {
    const calls: [string, RequestInit][] = []
    configureClient({ fetch: (async (u: string, init: RequestInit) => (calls.push([u, init]), respond(200, { ok: true }))) as typeof fetch })
    setCsrfToken('tok123')
    await api.get('/api/v1/me')
    await api.post('/api/v1/feedback/1/handle')
    const h0 = calls[0][1].headers as Record<string, string>
    const h1 = calls[1][1].headers as Record<string, string>
    expect(h0['x-csrf-token']).toBeUndefined()
    expect(h1['x-csrf-token']).toBe('tok123')
    expect(calls[1][1].credentials).toBe('same-origin')
    expect(h1['content-type']).toBe('application/json')
  })
  it("turns the service's error shape into ApiError with its Chinese message", async () => {
    configureClient({
      fetch: (async () => respond(409, { error: { status: 409, code: 'session_full', message: '名额已满，可以排队候补', request_id: 'r1', details: { waitlist_length: 3 } } })) as unknown as typeof fetch,
    })
    const e = (await api.post('/api/v1/bookings', {}).catch((x) => x)) as ApiError
    expect(e).toBeInstanceOf(ApiError)
    expect(e.code).toBe('session_full')
    expect(e.message).toBe('名额已满，可以排队候补')
    expect(e.requestId).toBe('r1')
    expect(e.details).toEqual({ waitlist_length: 3 })
  })
  it('a 401 ends the session (back to sign-in), except for the quiet session probe', async () => {
    const onUnauthorized = vi.fn()
    configureClient({ onUnauthorized, fetch: (async () => respond(401, { error: { status: 401, code: 'session_invalid', message: '登录已失效' } })) as unknown as typeof fetch })
    await api.get('/api/v1/feedback').catch(() => {})
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    await api.get('/api/v1/console/session', undefined, { quiet401: true }).catch(() => {})
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
  })
  it('a body that is not the error shape still gives a Chinese message', async () => {
    configureClient({ fetch: (async () => respond(502, '<html>bad gateway</html>', { 'content-type': 'text/html' })) as unknown as typeof fetch })
    const e = (await api.get('/api/v1/org/tree').catch((x) => x)) as ApiError
    expect(e.code).toBe('http_502')
    expect(e.message).toMatch(/服务暂时不可用/)
  })
  it('drops empty query values', () => {
    expect(buildUrl('/api/v1/feedback', { unit_id: 4, state: '', kind: undefined, limit: 20 })).toBe('/api/v1/feedback?unit_id=4&limit=20')
  })
  it('downloads report progress and the server-suggested file name', async () => {
    const bytes = new Uint8Array(3000)
    configureClient({
      fetch: (async () =>
        new Response(bytes, {
          status: 200,
          headers: { 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'content-length': '3000', 'content-disposition': "attachment; filename*=UTF-8''%E5%90%8D%E5%8D%95.xlsx" },
        })) as unknown as typeof fetch,
    })
    const seen: number[] = []
    const { blob, filename } = await download('/api/v1/sessions/1/roster.xlsx', undefined, (p) => seen.push(p.loaded))
    expect(filename).toBe('名单.xlsx')
    expect(blob.size).toBe(3000)
    expect(seen[seen.length - 1]).toBe(3000)
    expect(filenameFrom('attachment; filename="roster.xlsx"')).toBe('roster.xlsx')
  })
})

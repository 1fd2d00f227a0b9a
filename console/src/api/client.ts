// The one way the console talks to the service: same-origin fetch to /api/v1 with the console
// session cookie, the CSRF token on every write, and the service's error shape turned into ApiError
// (whose message is the server's Chinese message, shown as is).
import type { components } from './schema'

export type Schemas = components['schemas']

export interface ErrorBody {
  error: { status: number; code: string; message: string; request_id?: string; details?: Record<string, unknown> }
}

export class ApiError extends Error {
  status: number
  code: string
  requestId?: string
  details?: Record<string, unknown>
  constructor(status: number, code: string, message: string, requestId?: string, details?: Record<string, unknown>) {
    super(message)
    this.status = status
    this.code = code
    this.requestId = requestId
    this.details = details
  }
}

type Query = Record<string, string | number | boolean | undefined | null>

export interface RequestOptions {
  query?: Query
  body?: unknown
  headers?: Record<string, string>
  /** Do not treat 401 as "session over" (used by the session probe itself). */
  quiet401?: boolean
}

interface ClientState {
  base: string
  csrf: string | null
  onUnauthorized: (err: ApiError) => void
  fetch: typeof fetch
}

const state: ClientState = {
  base: '',
  csrf: null,
  onUnauthorized: () => {},
  fetch: (...args) => globalThis.fetch(...args),
}

export function configureClient(opts: Partial<ClientState>) {
  Object.assign(state, opts)
}

export function setCsrfToken(token: string | null) {
  state.csrf = token
}

export function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue
    params.append(k, String(v))
  }
  const qs = params.toString()
  return state.base + path + (qs ? (path.includes('?') ? '&' : '?') + qs : '')
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function isWrite(method: string) {
  return WRITE.has(method.toUpperCase())
}

export function headersFor(method: string, extra?: Record<string, string>, hasBody = false): Record<string, string> {
  // The console is Chinese: ask for Chinese messages whatever the browser's Accept-Language.
  const h: Record<string, string> = { accept: 'application/json', 'x-culturehub-lang': 'zh', ...(extra || {}) }
  if (hasBody) h['content-type'] = 'application/json'
  if (isWrite(method) && state.csrf) h['x-csrf-token'] = state.csrf
  return h
}

/** Turns any failed response into an ApiError with the server's message. */
export async function errorFrom(res: Response): Promise<ApiError> {
  let body: ErrorBody | null = null
  try {
    body = (await res.json()) as ErrorBody
  } catch {
    body = null
  }
  if (body && body.error && typeof body.error.code === 'string') {
    const e = body.error
    return new ApiError(res.status, e.code, e.message || '请求失败', e.request_id, e.details)
  }
  return new ApiError(res.status, 'http_' + res.status, `服务暂时不可用（HTTP ${res.status}），请稍后再试`)
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const hasBody = opts.body !== undefined
  let res: Response
  try {
    res = await state.fetch(buildUrl(path, opts.query), {
      method,
      credentials: 'same-origin',
      headers: headersFor(method, opts.headers, hasBody),
      body: hasBody ? JSON.stringify(opts.body) : undefined,
    })
  } catch {
    throw new ApiError(0, 'network', '无法连接服务，请检查网络后重试')
  }
  if (!res.ok) {
    const err = await errorFrom(res)
    if (res.status === 401 && !opts.quiet401) state.onUnauthorized(err)
    throw err
  }
  if (res.status === 204) return undefined as T
  const type = res.headers.get('content-type') || ''
  if (type.includes('json')) return (await res.json()) as T
  return (await res.blob()) as unknown as T
}

export const api = {
  get: <T>(path: string, query?: Query, opts: RequestOptions = {}) => request<T>('GET', path, { ...opts, query }),
  post: <T>(path: string, body?: unknown, opts: RequestOptions = {}) => request<T>('POST', path, { ...opts, body: body ?? {} }),
  patch: <T>(path: string, body: unknown, opts: RequestOptions = {}) => request<T>('PATCH', path, { ...opts, body }),
  put: <T>(path: string, body: unknown, opts: RequestOptions = {}) => request<T>('PUT', path, { ...opts, body }),
  del: <T>(path: string, opts: RequestOptions = {}) => request<T>('DELETE', path, opts),
}

export interface DownloadProgress {
  loaded: number
  total: number | null
}

/**
 * Downloads a file (an export) with progress: the body is read chunk by chunk so long exports show
 * how far they are. Returns the blob and the file name the server suggested.
 */
export async function download(
  path: string,
  query: Query | undefined,
  onProgress?: (p: DownloadProgress) => void,
): Promise<{ blob: Blob; filename: string | null }> {
  let res: Response
  try {
    res = await state.fetch(buildUrl(path, query), { credentials: 'same-origin', headers: headersFor('GET') })
  } catch {
    throw new ApiError(0, 'network', '无法连接服务，请检查网络后重试')
  }
  if (!res.ok) {
    const err = await errorFrom(res)
    if (res.status === 401) state.onUnauthorized(err)
    throw err
  }
  const total = Number(res.headers.get('content-length')) || null
  const type = res.headers.get('content-type') || 'application/octet-stream'
  const filename = filenameFrom(res.headers.get('content-disposition'))
  if (!res.body || !onProgress) return { blob: await res.blob(), filename }
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let loaded = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    loaded += value.length
    onProgress({ loaded, total })
  }
  return { blob: new Blob(chunks as BlobPart[], { type }), filename }
}

export function filenameFrom(disposition: string | null): string | null {
  if (!disposition) return null
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  if (star) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      return star[1].trim()
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(disposition)
  return plain ? plain[1].trim() : null
}

/** The message to show for any thrown value. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message
  if (e instanceof Error) return e.message
  return '操作失败，请稍后再试'
}

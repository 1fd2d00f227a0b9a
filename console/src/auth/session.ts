// The console session: who is signed in, their grants, and the CSRF token the client sends on
// writes. The cookie itself is HttpOnly and never seen by this code.
import { reactive } from 'vue'
import { api, ApiError, setCsrfToken } from '../api/client'
import { can as canRaw, type Action, type Grant, type ParentMap } from './access'

export interface ConsoleSession {
  session_id?: number
  user: { id: number; display_name: string }
  grants: Grant[]
  /** Only read-only roles (district supervisor, evaluator): no write controls. */
  read_only: boolean
  csrf_token: string
  expires_at: string
  idle_expires_at?: string
}

export const session = reactive({
  loaded: false,
  current: null as ConsoleSession | null,
  parents: new Map() as ParentMap,
  /** Why the person was sent back to sign in (shown on the sign-in page). */
  notice: '' as string,
})

export async function loadSession(): Promise<ConsoleSession | null> {
  try {
    const s = await api.get<ConsoleSession>('/api/v1/console/session', undefined, { quiet401: true })
    setSession(s)
    return s
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      setSession(null)
      return null
    }
    throw e
  } finally {
    session.loaded = true
  }
}

export function setSession(s: ConsoleSession | null) {
  session.current = s
  setCsrfToken(s ? s.csrf_token : null)
}

export async function logout() {
  try {
    await api.post('/api/v1/console/logout')
  } finally {
    setSession(null)
  }
}

export function grants(): Grant[] {
  return session.current?.grants || []
}

export function can(action: Action, unit?: number | null): boolean {
  return canRaw(grants(), action, unit, session.parents)
}

export function isReadOnly(): boolean {
  return !!session.current?.read_only
}

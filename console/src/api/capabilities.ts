// What the running service offers, read once from its public /openapi.json: the console shows an
// export as xlsx where the operation takes `format=xlsx`, as CSV where it does not yet, and hides a
// download the service does not have. Screens never guess.
import { reactive } from 'vue'

interface Param { name: string; in: string; schema?: { enum?: string[]; type?: string } }
interface Doc { paths: Record<string, Record<string, { parameters?: Param[] }>> }

export const capabilities = reactive({ loaded: false, doc: null as Doc | null })
let pending: Promise<void> | null = null

export function loadCapabilities(fetcher: typeof fetch = (...a) => globalThis.fetch(...a)): Promise<void> {
  if (!pending)
    pending = fetcher('/openapi.json', { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : null))
      .then((doc) => {
        capabilities.doc = doc as Doc | null
      })
      .catch(() => {
        capabilities.doc = null
      })
      .finally(() => {
        capabilities.loaded = true
      })
  return pending
}

export function setCapabilities(doc: Doc | null) {
  capabilities.doc = doc
  capabilities.loaded = true
  pending = Promise.resolve()
}

/** Does the service have GET `template` (an OpenAPI path such as /api/v1/sessions/{id}/roster)? */
export function hasGet(template: string): boolean {
  return !!capabilities.doc?.paths?.[template]?.get
}

/** The formats a GET export offers through its `format` parameter (CSV only when it has none, unless its path ends in .xlsx). */
export function exportFormats(template: string): string[] {
  const op = capabilities.doc?.paths?.[template]?.get
  if (!op) return []
  const p = (op.parameters || []).find((x) => x.name === 'format' && x.in === 'query')
  // A path named .xlsx (the roster, the sign-in sheet) is a workbook by itself.
  if (!p) return template.endsWith('.xlsx') ? ['xlsx'] : ['csv']
  return p.schema?.enum?.length ? p.schema.enum : ['csv', 'xlsx']
}

// Prints the operation → screen table of docs/console.md from src/screens.ts and an OpenAPI
// document: node scripts/screen-map.mjs <url or file of openapi.json>
import { load } from './gen-api.mjs'
import { excludedByRule, operations, PHONE_ONLY, screenOps } from '../e2e/tests/contract.mjs'

const doc = await load(process.argv[2] || 'http://127.0.0.1:8080/openapi.json')
const excluded = excludedByRule()
const screens = screenOps()
const rows = operations(doc)
console.log('| operationId | method and path | screen |\n|---|---|---|')
for (const o of rows.filter((o) => !excluded.has(o.id) && !(o.id in PHONE_ONLY)))
  console.log(`| \`${o.id}\` | ${o.method} \`${o.path}\` | ${(screens.get(o.id) || ['**none**']).join('、')} |`)
console.log('\nPhone-only (no screen, by design):\n')
for (const [id, why] of Object.entries(PHONE_ONLY)) console.log(`- \`${id}\`: ${why}`)
console.log('\nPublic and self-service operations (the `PUBLIC` and `SELF` lists of `tests/tests/matrix.rs`), excluded by rule:')
console.log(rows.filter((o) => excluded.has(o.id)).map((o) => '`' + o.id + '`').join(', '))

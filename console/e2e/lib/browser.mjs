// Debian's Chromium driven by playwright-core (no browser download works here).
import fs from 'node:fs'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { consoleDir, repoDir } from './server.mjs'

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

export async function launch() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`)
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', '--lang=zh-CN'],
  })
}

export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  context.setDefaultTimeout(15000)
  const page = await context.newPage()
  page.on('pageerror', (e) => console.log('  [page error]', e.message))
  return page
}

/**
 * Scan to sign in: the console shows the mini-program code; the test plays the phone by calling
 * the scan and confirm operations with the person's mini-program token, as pages/console/confirm does.
 */
export async function scanSignIn(page, server, api, person) {
  const created = page.waitForResponse((r) => r.url().includes('/api/v1/console/login-codes') && r.request().method() === 'POST' && !/login-codes\/[^/]+\//.test(r.url()))
  await page.goto(server.consoleUrl)
  const res = await created
  const { nonce } = await res.json()
  await page.locator('[data-test=login-qr]').waitFor()
  const what = await api.post(`/api/v1/console/login-codes/${encodeURIComponent(nonce)}/scan`, {}, { token: person.token })
  await page.locator('[data-test=login-status]', { hasText: '已扫码' }).waitFor()
  await api.post(`/api/v1/console/login-codes/${encodeURIComponent(nonce)}/confirm`, { approve: true }, { token: person.token })
  await page.locator('[data-test=user-menu]').waitFor()
  return { nonce, what }
}

export const shotsDir = path.join(repoDir, 'docs', 'img', 'console')

/** Screenshots for docs/console.md, written only when CONSOLE_SCREENSHOTS=1 (they are committed). */
export async function shot(page, name) {
  if (process.env.CONSOLE_SCREENSHOTS !== '1') return
  fs.mkdirSync(shotsDir, { recursive: true })
  await page.waitForTimeout(400)
  const file = path.join(shotsDir, `${name}.png`)
  await page.screenshot({ path: file })
  // Kept small for the repository: pngquant (Debian package) when present.
  spawnSync('pngquant', ['--force', '--skip-if-larger', '--quality', '60-85', '--output', file, file])
}

export { consoleDir }

// Starts the real service (target/debug/culturehub) on a fresh SQLite file, free ports and the
// embedded fake WeChat, as `scripts/run` would, with limits raised for a test run.
import { spawn, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import http from 'node:http'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
export const consoleDir = path.resolve(here, '..', '..')
export const repoDir = path.resolve(consoleDir, '..')

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.unref()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

export function binaryPath() {
  if (process.env.CULTUREHUB_BIN) return process.env.CULTUREHUB_BIN
  const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: repoDir, encoding: 'utf8' }))
  return path.join(meta.target_directory, 'debug', 'culturehub')
}

export function ensureBinary() {
  const bin = binaryPath()
  if (!fs.existsSync(bin)) {
    console.log('console-e2e: building the service (cargo build -p culturehub)…')
    execFileSync('cargo', ['build', '-p', 'culturehub'], { cwd: repoDir, stdio: 'inherit' })
  }
  return bin
}

async function waitFor(url, ms = 30000) {
  const until = Date.now() + ms
  for (;;) {
    try {
      const r = await fetch(url)
      if (r.ok) return
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`service did not answer ${url} within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

export async function startServer() {
  const bin = ensureBinary()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'culturehub-console-e2e-'))
  const port = await freePort()
  const fakePort = await freePort()
  const config = path.join(dir, 'culturehub.toml')
  fs.writeFileSync(
    config,
    [
      '[wechat]',
      `embedded_fake_port = ${fakePort}`,
      '[rate_limit]',
      'signin_per_minute = 1000',
      'writes_per_minute = 1000',
      'writes_per_minute_per_ip = 100000',
      '[booking]',
      // Check-in opens a week ahead so a volunteer can scan Saturday's session during the test.
      'checkin_opens_minutes = 10080',
      // The service refuses a cancellation deadline later than check-in opening.
      'cancel_deadline_minutes = 10080',
      '',
    ].join('\n'),
  )
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${path.join(dir, 'e2e.db')}`,
    CULTUREHUB_DEV_LOGIN: 'true',
    CULTUREHUB_LOG_FORMAT: 'pretty',
    RUST_LOG: 'warn',
    CULTUREHUB_CONSOLE_DIR: path.join(consoleDir, 'dist'),
  }
  delete env.REDIS_URL
  delete env.WECHAT_API_BASE
  const log = fs.openSync(path.join(dir, 'server.log'), 'a')
  const child = spawn(bin, ['--config', config, 'serve', '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', log, log] })
  const base = `http://127.0.0.1:${port}`
  const fake = `http://127.0.0.1:${fakePort}`
  let exited = null
  child.on('exit', (code) => (exited = code))
  try {
    await waitFor(`${base}/healthz`)
  } catch (e) {
    console.error(fs.readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-3000))
    child.kill('SIGTERM')
    throw e
  }
  const server = {
    base,
    fake,
    dir,
    config,
    env,
    bin,
    /** Where the browser opens the console: the service's /console/, or a same-origin stand-in. */
    consoleUrl: `${base}/console/`,
    proxy: null,
    logTail: () => fs.readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-4000),
    async stop() {
      if (server.proxy) await new Promise((r) => server.proxy.close(r))
      if (exited === null) {
        child.kill('SIGTERM')
        await new Promise((r) => {
          const t = setTimeout(() => (child.kill('SIGKILL'), r()), 8000)
          child.once('exit', () => (clearTimeout(t), r()))
        })
      }
      if (!process.env.CONSOLE_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true })
    },
    bootstrapAdmin() {
      const out = execFileSync(bin, ['--config', config, 'bootstrap-admin'], { env, encoding: 'utf8' })
      const m = /：\s*([A-Z0-9-]{10,})/.exec(out)
      if (!m) throw new Error('bootstrap-admin printed no code: ' + out)
      return m[1]
    },
  }
  const probe = await fetch(server.consoleUrl).catch(() => null)
  if (!probe || probe.status !== 200) server.proxy = await standIn(server)
  return server
}

// Until the service serves /console/ itself, the built files are served from a tiny same-origin
// server that forwards /api and /openapi.json to the service.
async function standIn(server) {
  const dist = path.join(consoleDir, 'dist')
  const port = await freePort()
  const types = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf' }
  const proxy = http.createServer((req, res) => {
    if (req.url.startsWith('/api/') || req.url.startsWith('/openapi.json')) {
      const up = http.request(server.base + req.url, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers)
        r.pipe(res)
      })
      up.on('error', () => (res.writeHead(502), res.end()))
      req.pipe(up)
      return
    }
    let p = decodeURIComponent(req.url.split('?')[0]).replace(/^\/console\/?/, '')
    let file = path.join(dist, p)
    if (!p || !file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dist, 'index.html')
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' })
    fs.createReadStream(file).pipe(res)
  })
  await new Promise((r) => proxy.listen(port, '127.0.0.1', r))
  server.consoleUrl = `http://127.0.0.1:${port}/console/`
  server.standIn = true
  return proxy
}

// Starts the real Culture Hub service for end-to-end tests: the already-built binary
// (never cargo), a fake WeChat on a free port, `serve` on a free port, a fresh SQLite file
// in a temp folder. Both processes are killed by stop().
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawn, execFile, execFileSync } = require('child_process')

// Where cargo puts the binary: CULTUREHUB_BIN, else cargo's own target directory (which
// honours CARGO_TARGET_DIR and .cargo/config), else <repo>/target.
function binaryPath() {
  if (process.env.CULTUREHUB_BIN) return process.env.CULTUREHUB_BIN
  const repo = path.resolve(__dirname, '../../..')
  try {
    const meta = JSON.parse(
      execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], {
        cwd: repo,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
    )
    return path.join(meta.target_directory, 'debug', 'culturehub')
  } catch (e) {
    return path.join(repo, 'target', 'debug', 'culturehub')
  }
}

const BIN = binaryPath()
const FAKE_SECRET = 'local-fake-wechat-secret'

// Node's fetch, also from inside a jsdom test environment (see jsdom-fetch-env.js)
function nodeFetch() {
  return globalThis.__node ? globalThis.__node.fetch : globalThis.fetch
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms))
}

// The binary may be rebuilt under us: wait for it to be there and executable.
async function waitForBinary(timeoutMs) {
  const deadline = Date.now() + (timeoutMs || 90000)
  for (;;) {
    try {
      fs.accessSync(BIN, fs.constants.X_OK)
      return
    } catch (e) {
      if (Date.now() > deadline) {
        throw new Error('culturehub binary not found at ' + BIN + ' (build it, or set CULTUREHUB_BIN)')
      }
      await sleep(500)
    }
  }
}

// Only what the binary needs: no DATABASE_URL, REDIS_URL or CULTUREHUB_* from the caller.
function baseEnv(extra) {
  const env = {}
  ;['PATH', 'HOME', 'LANG', 'TMPDIR'].forEach((k) => {
    if (process.env[k]) env[k] = process.env[k]
  })
  env.RUST_LOG = 'warn'
  return Object.assign(env, extra)
}

// Spawns and resolves with the URL the process prints when it listens ("已启动：http://…").
async function spawnListening(args, env, timeoutMs) {
  const deadline = Date.now() + (timeoutMs || 60000)
  for (;;) {
    await waitForBinary(Math.max(1000, deadline - Date.now()))
    try {
      return await new Promise((resolve, reject) => {
        const proc = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
        let out = ''
        const timer = setTimeout(() => {
          proc.kill('SIGKILL')
          reject(new Error('timed out waiting for ' + args[0] + ' to listen:\n' + out.slice(-2000)))
        }, Math.max(1000, deadline - Date.now()))
        const onData = (buf) => {
          out += buf.toString()
          const m = /已启动：(http:\/\/127\.0\.0\.1:\d+)/.exec(out)
          if (m) {
            clearTimeout(timer)
            proc.stdout.removeListener('data', onData)
            proc.stdout.resume()
            proc.stderr.resume()
            resolve({ proc, url: m[1] })
          }
        }
        proc.stdout.on('data', onData)
        proc.stderr.on('data', (b) => {
          out += b.toString()
        })
        proc.on('error', (e) => {
          clearTimeout(timer)
          reject(e)
        })
        proc.on('exit', (code) => {
          clearTimeout(timer)
          reject(Object.assign(new Error(args[0] + ' exited with ' + code + ':\n' + out.slice(-2000)), { exited: true }))
        })
      })
    } catch (e) {
      // ENOENT / ETXTBSY while the binary is being replaced: wait and retry
      const transient = e.code === 'ENOENT' || e.code === 'ETXTBSY' || e.code === 'EACCES'
      if (!transient || Date.now() > deadline) throw e
      await sleep(500)
    }
  }
}

async function postJson(url, body, token) {
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = 'Bearer ' + token
  const res = await nodeFetch()(url, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const data = await res.json()
  if (!res.ok) throw new Error('POST ' + url + ' → ' + res.status + ' ' + JSON.stringify(data))
  return data
}

async function startStack() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'culturehub-mp-'))
  const procs = []
  const stack = { dir, procs }
  try {
    const fake = await spawnListening(['fake-wechat', '--listen', '127.0.0.1:0'], baseEnv({}))
    procs.push(fake.proc)
    stack.fakeUrl = fake.url
    stack.env = baseEnv({
      DATABASE_URL: 'sqlite://' + path.join(dir, 'culturehub.db'),
      WECHAT_API_BASE: fake.url,
      WECHAT_SECRET: FAKE_SECRET
    })
    const serve = await spawnListening(['serve', '--listen', '127.0.0.1:0'], stack.env)
    procs.push(serve.proc)
    stack.baseUrl = serve.url
  } catch (e) {
    await stopStack(stack)
    throw e
  }

  // A one-time wx.login code for this openid, from the fake WeChat.
  stack.loginCode = async function (openid) {
    return (await postJson(stack.fakeUrl + '/__fake/login_code', { openid })).code
  }
  stack.phoneCode = async function (phone) {
    return (await postJson(stack.fakeUrl + '/__fake/phone_code', { phone })).code
  }
  // WeChat's text check needs the user to have used the mini-program in the last 2 hours
  stack.markSeen = async function (openid) {
    return postJson(stack.fakeUrl + '/__fake/seen', { openid })
  }
  stack.api = function (p) {
    return stack.baseUrl + '/api/v1' + p
  }
  stack.signIn = async function (openid) {
    const s = await postJson(stack.api('/auth/wechat'), { code: await stack.loginCode(openid) })
    return s.token
  }
  // A signed-in main-center admin (bootstrap-admin code redeemed).
  stack.admin = async function (openid) {
    const out = await new Promise((resolve, reject) => {
      execFile(BIN, ['bootstrap-admin'], { env: stack.env }, (err, stdout, stderr) => {
        if (err) reject(new Error('bootstrap-admin failed: ' + err.message + '\n' + stderr))
        else resolve(stdout)
      })
    })
    const m = /：\s*([A-Za-z0-9-]+)\s*$/m.exec(out)
    if (!m) throw new Error('no invitation code in bootstrap-admin output: ' + out)
    const token = await stack.signIn(openid || 'o-admin')
    await postJson(stack.api('/auth/invitations/redeem'), { code: m[1] }, token)
    return token
  }
  stack.createActivity = async function (token, body, publish) {
    const a = await postJson(stack.api('/activities'), body, token)
    if (publish === false) return a
    return postJson(stack.api('/activities/' + a.id + '/publish'), undefined, token)
  }
  stack.get = async function (p, token) {
    const res = await nodeFetch()(stack.api(p), { headers: token ? { authorization: 'Bearer ' + token } : {} })
    return res.json()
  }
  // Whether the running server has an operation (for endpoints marked `pending`).
  stack.has = async function (method, p) {
    if (!stack.openapi) stack.openapi = await (await nodeFetch()(stack.baseUrl + '/openapi.json')).json()
    const ops = stack.openapi.paths[p]
    return !!(ops && ops[method.toLowerCase()])
  }
  stack.stop = function () {
    return stopStack(stack)
  }
  return stack
}

async function stopStack(stack) {
  await Promise.all(
    (stack.procs || []).map(
      (p) =>
        new Promise((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve()
          const t = setTimeout(() => p.kill('SIGKILL'), 3000)
          p.once('exit', () => {
            clearTimeout(t)
            resolve()
          })
          p.kill('SIGTERM')
        })
    )
  )
  if (stack.dir) fs.rmSync(stack.dir, { recursive: true, force: true })
}

module.exports = { startStack, BIN }

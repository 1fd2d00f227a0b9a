// `npm run check:release` fails while placeholders (touristappid, tmpl_*, example URLs) are left,
// and passes once `npm run configure` has filled them from a deployment file (D113).
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')

const ROOT = path.join(__dirname, '..', '..')
const SCRIPT = path.join(ROOT, 'scripts', 'release-config.js')

function copyProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-release-'))
  fs.cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true })
  fs.copyFileSync(path.join(ROOT, 'project.config.json'), path.join(dir, 'project.config.json'))
  return dir
}

function run(dir, args) {
  return spawnSync(process.execPath, [SCRIPT].concat(args), {
    env: Object.assign({}, process.env, { MP_ROOT: dir }),
    encoding: 'utf8'
  })
}

const filled = {
  appid: 'wx1a2b3c4d5e6f7a8b',
  baseUrls: {
    develop: 'http://127.0.0.1:8080',
    trial: 'https://culturehub-test.ftwhg.gov.cn',
    release: 'https://culturehub.ftwhg.gov.cn'
  },
  subscribeTemplates: {
    booking_confirmed: 'Xk1aQ2bR3cS4dT5eU6fV7gW8hX9iY0jZ-booking',
    waitlist_promoted: 'Xk1aQ2bR3cS4dT5eU6fV7gW8hX9iY0jZ-waitlist',
    lottery_result: 'Xk1aQ2bR3cS4dT5eU6fV7gW8hX9iY0jZ-lottery',
    session_reminder: 'Xk1aQ2bR3cS4dT5eU6fV7gW8hX9iY0jZ-reminder',
    activity_changed: 'Xk1aQ2bR3cS4dT5eU6fV7gW8hX9iY0jZ-changed',
    demand_update: 'Xk1aQ2bR3cS4dT5eU6fV7gW8hX9iY0jZ-demand'
  }
}

describe('check:release', () => {
  let dir
  beforeEach(() => {
    dir = copyProject()
  })
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('fails on the checked-in placeholders and names each one', () => {
    const r = run(dir, ['check'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/touristappid/)
    expect(r.stderr).toMatch(/subscribeTemplates\.booking_confirmed is not a template id \(tmpl_booking_confirmed\)/)
    expect(r.stderr).toMatch(/baseUrls|example URL/)
    expect(r.stderr).toMatch(/project\.config\.json/)
  })

  test('passes on a filled configuration, and config.js serves its values', () => {
    const file = path.join(dir, 'deploy.json')
    fs.writeFileSync(file, JSON.stringify(filled))
    expect(run(dir, ['configure', file]).status).toBe(0)
    const r = run(dir, ['check'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'project.config.json'), 'utf8')).appid).toBe(filled.appid)
    jest.isolateModules(() => {
      const config = require(path.join(dir, 'src', 'config.js'))
      expect(config.subscribeTemplates).toEqual(filled.subscribeTemplates)
      expect(config.baseUrls.release).toBe(filled.baseUrls.release)
    })
  })

  test('fails when one placeholder is left anywhere in the sources', () => {
    const file = path.join(dir, 'deploy.json')
    fs.writeFileSync(file, JSON.stringify(filled))
    run(dir, ['configure', file])
    fs.appendFileSync(path.join(dir, 'src', 'app.js'), "\n// const TEST = 'https://api.example.com'\n")
    const r = run(dir, ['check'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/src\/app\.js:\d+: an example URL/)
  })

  test('fails on an http release URL and on a half-filled template list', () => {
    const half = JSON.parse(JSON.stringify(filled))
    half.baseUrls.release = 'http://culturehub.ftwhg.gov.cn'
    half.subscribeTemplates.demand_update = '…'
    const file = path.join(dir, 'deploy.json')
    fs.writeFileSync(file, JSON.stringify(half))
    run(dir, ['configure', file])
    const r = run(dir, ['check'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/baseUrls\.release must be an https URL/)
    expect(r.stderr).toMatch(/subscribeTemplates\.demand_update/)
  })
})

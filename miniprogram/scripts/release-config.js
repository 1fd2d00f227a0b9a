// Placeholders must not reach a release (D113). `configure` writes src/deploy.js (and the AppID
// in project.config.json) from a deployment file; `problems` lists what is still a placeholder.
const fs = require('fs')
const path = require('path')

// What a placeholder looks like, wherever it is left in the sources.
const PATTERNS = [
  { re: /touristappid/, why: 'the DevTools test AppID touristappid' },
  { re: /['"]tmpl_[A-Za-z0-9_]*['"]/, why: 'a tmpl_* subscribe-message template id' },
  { re: /example\.(gov\.cn|com|org|net)|your-domain/, why: 'an example URL' }
]

function walk(dir, out) {
  fs.readdirSync(dir, { withFileTypes: true }).forEach(function (e) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) walk(p, out)
    else if (/\.(js|json|wxml)$/.test(e.name)) out.push(p)
  })
  return out
}

function loadDeploy(root) {
  const file = path.join(root, 'src', 'deploy.js')
  delete require.cache[require.resolve(file)]
  return require(file)
}

function problems(root) {
  const found = []
  const d = loadDeploy(root)
  if (!/^wx[0-9a-f]{16}$/.test(d.appid || '')) found.push('deploy.js: appid is not a real AppID (' + d.appid + ')')
  ;['trial', 'release'].forEach(function (env) {
    const u = (d.baseUrls || {})[env] || ''
    if (!/^https:\/\/[^/]+/.test(u)) found.push('deploy.js: baseUrls.' + env + ' must be an https URL (' + u + ')')
    if (/127\.0\.0\.1|localhost/.test(u)) found.push('deploy.js: baseUrls.' + env + ' points at this machine')
  })
  Object.keys(d.subscribeTemplates || {}).forEach(function (k) {
    const id = d.subscribeTemplates[k]
    if (!id || /^tmpl_|\s|…/.test(id)) found.push('deploy.js: subscribeTemplates.' + k + ' is not a template id (' + id + ')')
  })
  const project = JSON.parse(fs.readFileSync(path.join(root, 'project.config.json'), 'utf8'))
  if (project.appid !== d.appid) found.push('project.config.json: appid ' + project.appid + ' differs from deploy.js')
  walk(path.join(root, 'src'), [path.join(root, 'project.config.json')]).forEach(function (f) {
    const lines = fs.readFileSync(f, 'utf8').split('\n')
    lines.forEach(function (line, i) {
      PATTERNS.forEach(function (p) {
        if (p.re.test(line)) found.push(path.relative(root, f) + ':' + (i + 1) + ': ' + p.why)
      })
    })
  })
  return found
}

function configure(root, file) {
  const d = JSON.parse(fs.readFileSync(file, 'utf8'))
  const out =
    '// Written by `npm run configure` from ' + path.basename(file) + '. Do not edit by hand.\n' +
    'module.exports = ' + JSON.stringify(d, null, 2) + '\n'
  fs.writeFileSync(path.join(root, 'src', 'deploy.js'), out)
  const pj = path.join(root, 'project.config.json')
  const project = JSON.parse(fs.readFileSync(pj, 'utf8'))
  project.appid = d.appid
  fs.writeFileSync(pj, JSON.stringify(project, null, 2) + '\n')
}

module.exports = { problems, configure }

if (require.main === module) {
  const root = process.env.MP_ROOT || path.join(__dirname, '..')
  const [cmd, arg] = process.argv.slice(2)
  if (cmd === 'configure') {
    const file = arg || process.env.CULTUREHUB_MP_CONFIG
    if (!file) {
      console.error('usage: npm run configure -- <deploy.json> (or CULTUREHUB_MP_CONFIG=<file>)')
      process.exit(2)
    }
    configure(root, file)
    console.log('src/deploy.js and project.config.json written from ' + file)
  } else {
    const found = problems(root)
    if (found.length) {
      console.error('check:release: placeholders left, not releasable:\n  ' + found.join('\n  '))
      process.exit(1)
    }
    console.log('check:release: no placeholders left')
  }
}

// The staff journeys of issue 11, each in a real browser against the real service.
import fs from 'node:fs'
import assert from 'node:assert/strict'
import XLSX from 'xlsx'
import QRCode from 'qrcode'
import { newPage, scanSignIn, shot } from '../lib/browser.mjs'
import { invite, setName, setPhone, unitByCode, wechatSignIn } from '../lib/people.mjs'

const DAY = 86400e3
function chinaDay(d) {
  return new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 10)
}
/** The coming Saturday (China time), strictly after today. */
function nextSaturday() {
  const now = new Date(Date.now() + 8 * 3600e3)
  const add = ((6 - now.getUTCDay() + 7) % 7) || 7
  return chinaDay(new Date(Date.now() + add * DAY))
}

function inp(p, id) {
  return p.locator(`input[data-test=${id}], [data-test=${id}] input, textarea[data-test=${id}], [data-test=${id}] textarea`).first()
}
async function pick(page, select, text) {
  await select.click()
  await page.locator('.el-select-dropdown__item:visible, .el-select-dropdown__option-item:visible', { hasText: text }).first().click()
}
async function confirmBox(page, button) {
  await page.locator('.el-message-box__btns button', { hasText: button }).click()
}
async function promptBox(page, text, button = '确定') {
  await page.locator('.el-message-box__input input, .el-message-box__input textarea').fill(text)
  await confirmBox(page, button)
}
async function toast(page, text) {
  await page.locator('.el-message', { hasText: text }).first().waitFor()
}
async function eventually(fn, ms = 8000) {
  const until = Date.now() + ms
  for (;;) {
    try {
      return await fn()
    } catch (e) {
      if (Date.now() > until) throw e
      await new Promise((r) => setTimeout(r, 300))
    }
  }
}

export default function journeys(ctx) {
  const { server, api } = ctx
  const w = {} // the world: units, people, ids shared by the journeys
  const pages = []
  const page = async () => {
    const p = await newPage(ctx.browser)
    pages.push(p)
    return p
  }
  const closeAll = async () => {
    while (pages.length) await pages.pop().context().close().catch(() => {})
  }

  return [
    {
      name: 'setup: main-center admin from bootstrap-admin, staff invited by code',
      async fn() {
        w.main = await unitByCode(api, 'ft-main')
        w.branch = await unitByCode(api, 'ft-b-yuanling')
        w.point = await unitByCode(api, 'ft-p-yuanling-hongli')
        w.admin = await wechatSignIn(server, api, 'e2e-admin')
        await api.post('/api/v1/auth/invitations/redeem', { code: server.bootstrapAdmin() }, { token: w.admin.token })
        await setName(api, w.admin, '总馆管理员')
        w.center = await invite(server, api, w.admin, 'e2e-center', 'center_staff', w.main.id, '总馆王老师')
        w.branchStaff = await invite(server, api, w.admin, 'e2e-branch', 'branch_staff', w.branch.id, '园岭分馆李老师')
        w.coord = await invite(server, api, w.branchStaff, 'e2e-coord', 'point_coordinator', w.point.id, '红荔协管员')
        w.evaluator = await invite(server, api, w.admin, 'e2e-evaluator', 'evaluator', w.main.id, '第三方评估员')
        // A small dance room at the branch (sessions name a room of their unit, or a place outside it).
        const hours = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: '07:00', closes: '23:00' }))
        await api.post('/api/v1/rooms', { unit_id: w.branch.id, name: '小舞蹈室', kind: '舞蹈室', capacity: 15, hours }, { token: w.branchStaff.token })
        // A session later today at the branch, with bookings and one admission, for the dashboard.
        const start = new Date(Math.ceil((Date.now() + 90 * 60e3) / 300e3) * 300e3)
        const end = new Date(start.getTime() + 90 * 60e3)
        if (chinaDay(end) === chinaDay(new Date())) {
          const a = await api.post(
            '/api/v1/activities',
            { title: '社区电影放映', kind: 'other', organizer_unit_id: w.branch.id, booking_mode: 'fcfs', sessions: [{ unit_id: w.branch.id, room: '多功能厅', starts_at: start.toISOString(), ends_at: end.toISOString(), capacity: 80 }] },
            { token: w.branchStaff.token },
          )
          await api.post(`/api/v1/activities/${a.id}/publish`, {}, { token: w.branchStaff.token })
          for (const n of ['一', '二', '三']) {
            const r = await wechatSignIn(server, api, `e2e-movie-${n}`)
            const b = await api.post('/api/v1/bookings', { session_id: a.sessions[0].id }, { token: r.token })
            if (n === '一') await api.post(`/api/v1/sessions/${a.sessions[0].id}/checkin/manual`, { booking_id: b.id }, { token: w.branchStaff.token })
          }
        }
      },
    },
    {
      name: 'scan-to-sign-in through the fake WeChat and the confirm call; a refused code says so',
      async fn() {
        const p = await page()
        // The QR is a real image from getwxacodeunlimit (the fake's), and a refusal is shown.
        const created = p.waitForResponse((r) => /\/console\/login-codes$/.test(r.url()) && r.request().method() === 'POST')
        await p.goto(server.consoleUrl)
        const { nonce, qr_url } = await (await created).json()
        await p.locator('[data-test=login-qr]').waitFor()
        const img = await api.call('GET', new URL(qr_url, server.base).pathname)
        assert.equal(img.status, 200, 'the QR image loads')
        const loaded = await p.locator('[data-test=login-qr]').evaluate((el) => el.complete && el.naturalWidth > 0)
        assert.ok(loaded, 'the browser shows the QR image')
        await shot(p, 'login')
        const what = await api.post(`/api/v1/console/login-codes/${nonce}/scan`, {}, { token: w.admin.token })
        assert.ok(what.browser, 'the phone is told which browser is signing in')
        await api.post(`/api/v1/console/login-codes/${nonce}/confirm`, { approve: false }, { token: w.admin.token })
        await p.locator('[data-test=login-status]', { hasText: '取消登录' }).waitFor()
        await p.locator('[data-test=login-refresh]').click()
        await p.locator('[data-test=login-status]', { hasText: '请使用微信扫一扫' }).waitFor()
        await p.context().close()
        pages.pop()
        // A code works once, then the console is signed in with a cookie session.
        const q = await page()
        const { nonce: n2 } = await scanSignIn(q, server, api, w.admin)
        const again = await api.call('POST', `/api/v1/console/login-codes/${n2}/confirm`, { token: w.admin.token, body: { approve: true } })
        assert.ok(again.status >= 400, 'a used code cannot be confirmed again')
        const cookies = await q.context().cookies()
        const c = cookies.find((x) => x.name === 'ch_console')
        assert.ok(c && c.httpOnly && c.sameSite === 'Strict', 'HttpOnly SameSite=Strict session cookie')
        await q.locator('[data-test=today-table], .el-empty').first().waitFor()
        await shot(q, 'dashboard-admin')
        w.adminPage = q
      },
    },
    {
      name: 'a point coordinator approves a volunteer and assigns her to Saturday\'s session; her scan then works',
      async fn() {
        const sat = nextSaturday()
        // Saturday's session at the point, and a resident with a ticket for it.
        const act = await api.post(
          '/api/v1/activities',
          {
            title: '周六社区合唱',
            kind: 'performance',
            organizer_unit_id: w.point.id,
            booking_mode: 'fcfs',
            sessions: [{ unit_id: w.point.id, room: '红荔社区广场', outside: true, starts_at: `${sat}T09:30:00+08:00`, ends_at: `${sat}T11:00:00+08:00`, capacity: 30 }],
          },
          { token: w.coord.token },
        )
        await api.post(`/api/v1/activities/${act.id}/publish`, {}, { token: w.coord.token })
        w.satActivity = act.id
        w.satSession = act.sessions[0].id
        w.resident = await wechatSignIn(server, api, 'e2e-resident-1')
        await setName(api, w.resident, '王小明')
        const b = await api.post('/api/v1/bookings', { session_id: w.satSession }, { token: w.resident.token })
        w.residentBooking = b.id
        const ticket = await api.get(`/api/v1/bookings/${b.id}/ticket`, { token: w.resident.token })
        // The volunteer applies in the mini-program; before approval her scan is refused.
        w.volunteer = await wechatSignIn(server, api, 'e2e-volunteer')
        await setName(api, w.volunteer, '张志愿')
        await api.post('/api/v1/volunteers/applications', { unit_id: w.point.id, note: '周末有空' }, { token: w.volunteer.token })
        const before = await api.call('POST', '/api/v1/checkin/scan', { token: w.volunteer.token, body: { session_id: w.satSession, token: ticket.token, nonce: 'before-1' } })
        assert.equal(before.status, 403)

        const p = await page()
        await scanSignIn(p, server, api, w.coord)
        await p.locator('[data-screen=volunteers]').click()
        const row = p.locator('[data-test=applications-table] tr', { hasText: '张' })
        await row.waitFor()
        await shot(p, 'volunteers')
        await row.locator('button', { hasText: '批准' }).click()
        await confirmBox(p, '批准')
        await toast(p, '已批准')
        await p.locator('[data-test=assign-open]').click()
        await pick(p, p.locator('[data-test=assign-volunteer]'), '张')
        await pick(p, p.locator('.el-dialog [data-test=session-picker]'), '周六社区合唱')
        await p.locator('[data-test=assign-save]').click()
        await toast(p, '已安排')
        // The volunteers' service hours as the service exports them: a real workbook (format=xlsx).
        const vdl = p.waitForEvent('download')
        await p.locator('[data-test=export-volunteers]').click()
        const vfile = fs.readFileSync(await (await vdl).path())
        assert.equal(vfile.subarray(0, 2).toString(), 'PK', 'an xlsx (zip) file, not CSV')
        const vbook = XLSX.read(vfile)
        assert.equal(vbook.SheetNames[0], '志愿服务时长')
        const vrows = XLSX.utils.sheet_to_json(vbook.Sheets[vbook.SheetNames[0]], { header: 1, defval: '' })
        assert.ok(vrows.some((r) => r.includes('张*愿')), `the export lists the volunteer: ${JSON.stringify(vrows)}`)
        await p.locator('.el-tabs__item', { hasText: '排班日历' }).click()
        await p.locator('[data-test=calendar] .shift', { hasText: '周六社区合唱' }).first().waitFor()
        await shot(p, 'volunteers-calendar')
        const after = await api.post('/api/v1/checkin/scan', { session_id: w.satSession, token: ticket.token, nonce: 'after-1' }, { token: w.volunteer.token })
        assert.equal(after.result, 'admitted', JSON.stringify(after))
        // The door screen shows the admission.
        await p.goto(`${server.consoleUrl}door?session=${w.satSession}`)
        await p.locator('[data-test=admitted]', { hasText: '1' }).waitFor()
        await shot(p, 'door')
      },
    },
    {
      name: 'branch staff create a weekly course of 8 lessons, see bookings arrive, send the attendees a notice and export the roster and the sign-in sheet as xlsx',
      async fn() {
        const p = await page()
        await scanSignIn(p, server, api, w.branchStaff)
        await p.locator('[data-screen=activities]').click()
        await p.locator('[data-test=new-activity]').click()
        // A poster goes up to the service and comes back re-encoded, shown as its thumbnail.
        const png = await QRCode.toBuffer('少儿舞蹈启蒙课', { width: 300 })
        const uploaded = p.waitForResponse((r) => r.url().includes('/api/v1/files?') && r.request().method() === 'POST')
        await p.locator('[data-test=poster-file]').setInputFiles({ name: 'poster.png', mimeType: 'image/png', buffer: png })
        const up = await (await uploaded).json()
        assert.equal(up.visibility, 'public')
        await p.locator('[data-test=poster-preview]').waitFor()
        assert.ok(await p.locator('[data-test=poster-preview]').evaluate((el) => el.complete && el.naturalWidth > 0), 'the thumbnail loads')
        assert.equal(await inp(p, 'f-poster').inputValue(), up.url)
        await inp(p, 'f-title').fill('少儿舞蹈启蒙课')
        await p.locator('[data-test=f-course]').click()
        const first = nextSaturday()
        const day = inp(p, 'f-day')
        await day.fill(first)
        await day.press('Enter')
        // The room is picked from the branch's rooms, each with its capacity.
        await pick(p, p.locator('[data-test=f-room]'), '小舞蹈室（容纳 15 人）')
        await p.locator('[data-test=f-repeat] label', { hasText: '每周' }).click()
        await inp(p, 'f-count').fill('8')
        await inp(p, 'f-capacity').fill('20')
        await inp(p, 'f-capacity').press('Tab')
        // 20 seats in a room for 15: the reason is required before saving.
        await p.locator('[data-test=over-capacity]').waitFor()
        assert.equal(await p.locator('[data-test=save-publish]').isDisabled(), true)
        await inp(p, 'f-capacity-reason').fill('家长在走廊等候，教室内只有学员')
        await p.locator('[data-test=series-preview] tbody tr').nth(7).waitFor()
        await shot(p, 'activity-new')
        await p.locator('[data-test=save-publish]').click()
        await p.waitForURL(/\/activities\/\d+$/)
        const id = Number(/\/activities\/(\d+)$/.exec(p.url())[1])
        const rows = p.locator('[data-test=sessions-table] tbody tr')
        await eventually(async () => assert.equal(await rows.count(), 8))
        const detail = await api.get(`/api/v1/activities/${id}`)
        assert.equal(detail.activity.status, 'published')
        assert.equal(detail.activity.is_course, true)
        assert.equal(detail.activity.sessions.length, 8)
        assert.equal(detail.activity.sessions[0].room, '小舞蹈室')
        assert.ok(detail.activity.sessions[0].room_id > 0)
        // The uploaded poster is attached by its file id, and anyone can load it.
        assert.equal(detail.activity.poster_file_id, up.id)
        assert.equal(detail.activity.poster_url, up.url)
        assert.equal((await fetch(server.base + detail.activity.poster_url)).status, 200)
        const lesson1 = detail.activity.sessions[0].id
        w.course = id
        // The last lesson moves outside the branch: 外部场地 with a free-text place.
        const last = detail.activity.sessions[7].id
        await p.locator(`[data-test=edit-session-${last}]`).click()
        await p.locator('.el-dialog [data-test=f-outside]').click()
        await inp(p, 'f-outside-place').fill('红荔社区广场')
        await p.locator('[data-test=session-save]').click()
        await confirmBox(p, '确定')
        await toast(p, '场次已修改')
        const moved = (await api.get(`/api/v1/activities/${id}`)).activity.sessions[7]
        assert.equal(moved.outside, true)
        assert.equal(moved.room, '红荔社区广场')
        assert.equal(moved.room_id ?? null, null)
        await rows.nth(7).filter({ hasText: '外部场地' }).waitFor()
        // Residents book the course in the mini-program.
        const names = ['李华', '陈静', '赵一鸣']
        for (const [i, n] of names.entries()) {
          const r = await wechatSignIn(server, api, `e2e-course-${i}`)
          await setName(api, r, n)
          await api.post('/api/v1/bookings', { activity_id: id }, { token: r.token })
        }
        await shot(p, 'activity-detail')
        await p.locator(`[data-test=roster-${lesson1}]`).click()
        await p.locator('[data-test=booked]', { hasText: '3' }).waitFor()
        await eventually(async () => assert.equal(await p.locator('[data-test=roster-table] tbody tr').count(), 3))
        await shot(p, 'roster')
        // 通知参加者: the three residents get it in 我的消息; the list shows it went to 3 people.
        await inp(p, 'notice-body').fill('第一课教室改到三楼 301，请带好歌谱')
        await p.locator('[data-test=notice-send]').click()
        await toast(p, '已发送')
        await eventually(async () => assert.match(await p.locator('[data-test=notice-list] tbody').innerText(), /第一课教室改到三楼 301[\s\S]*3 人/))
        const someone = await wechatSignIn(server, api, 'e2e-course-0')
        const inbox = await api.get('/api/v1/me/messages', { token: someone.token })
        assert.equal(inbox.items[0].body, '第一课教室改到三楼 301，请带好歌谱')
        await shot(p, 'roster-notice')
        // The roster as the server writes it (xlsx), opened and read row by row.
        for (const b of ['export-roster', 'export-signin']) assert.ok(!(await p.locator(`[data-test=${b}]`).innerText()).includes('CSV'), `${b} is an Excel download`)
        const dl = p.waitForEvent('download')
        await p.locator('[data-test=export-roster]').click()
        const file = await (await dl).path()
        const wb = XLSX.read(fs.readFileSync(file))
        const sheet = wb.Sheets[wb.SheetNames[0]]
        const table = XLSX.utils.sheet_to_json(sheet, { header: 1, defval: '' })
        const text = table.map((r) => r.join('|')).join('\n')
        assert.deepEqual(table[0].slice(0, 6), ['序号', '预约编号', '姓名', '家庭成员', '手机号', '状态'], `roster header:\n${text}`)
        for (const masked of ['李*', '陈*', '赵*鸣']) assert.ok(text.includes(masked), `roster xlsx lists ${masked}:\n${text}`)
        const dataRows = table.filter((r) => r.some((c) => /^(李\*|陈\*|赵\*鸣)$/.test(String(c))))
        assert.equal(dataRows.length, 3, `three booking rows:\n${text}`)
        assert.equal(table.length, 4, `header and three rows:\n${text}`)
        ctx.log(`roster.xlsx: ${table.length} rows, header ${JSON.stringify(table[0])}`)
        // The printable sign-in sheet: title, particulars, header, one row per seat, signature empty.
        const dl2 = p.waitForEvent('download')
        await p.locator('[data-test=export-signin]').click()
        const sheetFile = await (await dl2).path()
        const wb2 = XLSX.read(fs.readFileSync(sheetFile))
        assert.equal(wb2.SheetNames[0], '签到表')
        const rows2 = XLSX.utils.sheet_to_json(wb2.Sheets['签到表'], { header: 1, defval: '' })
        assert.ok(String(rows2[0][0]).endsWith('签到表'), JSON.stringify(rows2[0]))
        assert.deepEqual(rows2[2], ['序号', '姓名', '手机号', '签名', '备注'])
        assert.equal(rows2.length, 6, `title, particulars, header and three seats: ${JSON.stringify(rows2)}`)
        assert.ok(rows2.slice(3).every((r) => r[3] === ''), 'the signature column is empty')
      },
    },
    {
      name: "the main center creates a menu item, approves a point's order and delivers it; residents can browse it",
      async fn() {
        const p = await page()
        await scanSignIn(p, server, api, w.center)
        await p.locator('[data-screen=menu]').click()
        await p.locator('[data-test=new-item]').click()
        await inp(p, 'item-title').fill('粤剧折子戏专场')
        await inp(p, 'item-quota').fill('5')
        const from = chinaDay(new Date(Date.now() + DAY))
        const to = chinaDay(new Date(Date.now() + 60 * DAY))
        const range = p.locator('[data-test=item-period] input, .el-dialog .el-range-input')
        await range.nth(0).fill(from)
        await range.nth(1).fill(to)
        await range.nth(1).press('Enter')
        await p.locator('[data-test=item-save]').click()
        await toast(p, '已创建')
        const items = await api.get(`/api/v1/menu/items`)
        const item = items.items.find((i) => i.title === '粤剧折子戏专场')
        assert.ok(item, 'the item exists')
        // The point orders it (mini-program or console).
        const date = chinaDay(new Date(Date.now() + 10 * DAY))
        const order = await api.post('/api/v1/menu/orders', { menu_item_id: item.id, unit_id: w.point.id, requested_date: date, note: '社区老人很期待' }, { token: w.coord.token })
        await p.reload()
        await p.locator('.el-tabs__item', { hasText: '点单与配送' }).click()
        await p.locator(`[data-test=approve-order-${order.id}]`).click()
        await confirmBox(p, '批准')
        await toast(p, '已批准')
        await p.locator(`[data-test=deliver-${order.id}]`).click()
        await shot(p, 'menu-deliver')
        await p.locator('[data-test=deliver-save]').click()
        await confirmBox(p, '配送并发布')
        await toast(p, '已配送并发布')
        const orders = await api.get(`/api/v1/menu/orders?unit_id=${w.point.id}`, { token: w.coord.token })
        const o = orders.items.find((x) => x.id === order.id)
        assert.equal(o.status, 'delivered')
        await eventually(async () => {
          const browse = await api.get(`/api/v1/activities?unit_id=${w.point.id}&date_from=${date}&date_to=${date}`)
          assert.ok(browse.items.some((i) => i.title.includes('粤剧折子戏专场') && i.activity_id === o.activity_id), 'the delivered activity is in residents\' browse')
        })
        await p.locator('.el-tabs__item', { hasText: '点单与配送' }).click()
        await shot(p, 'menu')
      },
    },
    {
      name: 'a branch answers feedback',
      async fn() {
        // The resident admitted on Saturday rates the session with a low score and a comment.
        const r = await api.post('/api/v1/ratings', { booking_id: w.residentBooking, score: 2, comment: '音响效果不太好，后排听不清' }, { token: w.resident.token })
        const p = await page()
        await scanSignIn(p, server, api, w.branchStaff)
        await p.locator('[data-screen=feedback]').click()
        const item = p.locator(`[data-test=feedback-${r.id}]`)
        await item.waitFor()
        await shot(p, 'feedback')
        await p.locator(`[data-test=reply-${r.id}]`).click()
        await inp(p, 'reply-text').fill('感谢反馈，下周起更换音响并增加返送。')
        await p.locator('[data-test=reply-send]').click()
        await confirmBox(p, '发布')
        await toast(p, '已回复')
        await item.locator('.reply', { hasText: '更换音响' }).waitFor()
        const pub = await api.get(`/api/v1/activities/${w.satActivity}/ratings`)
        const mine = pub.items.find((x) => x.id === r.id)
        assert.ok(mine && mine.replies.some((x) => x.content.includes('更换音响')), 'the reply is public on the activity')
      },
    },
    {
      name: '举报: residents report a demand at the point; the coordinator hides it from the queue; the reporters are told',
      async fn() {
        const poster = await wechatSignIn(server, api, 'e2e-ad-poster')
        await fetch(`${server.fake}/__fake/seen`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ openid: 'e2e-ad-poster' }) })
        const d = await api.post('/api/v1/demands', { kind: 'lecture', unit_id: w.point.id, description: '加微信领免费鸡蛋，名额有限' }, { token: poster.token })
        assert.equal(d.visibility, 'published')
        const reporters = []
        for (const [n, reason] of [['一', 'ads'], ['二', 'fraud']]) {
          const r = await wechatSignIn(server, api, `e2e-reporter-${n}`)
          await api.post('/api/v1/reports', { target_kind: 'demand', target_id: d.id, reason, detail: n === '二' ? '骗老人加微信' : undefined }, { token: r.token })
          reporters.push(r)
        }
        // Another branch's staff see nothing of it.
        const other = await unitByCode(api, 'ft-b-nanyuan')
        const stranger = await invite(server, api, w.admin, 'e2e-nanyuan', 'branch_staff', other.id, '南园分馆员工')
        const theirs = await api.get('/api/v1/reports', { token: stranger.token })
        assert.ok(!theirs.items.some((i) => i.target_id === d.id), 'another branch does not see the report')

        const p = await page()
        await scanSignIn(p, server, api, w.coord)
        await p.locator('[data-screen=reports]').click()
        const row = p.locator(`[data-test=report-text-demand-${d.id}]`)
        await row.waitFor()
        await p.locator('[data-test=reports-table]', { hasText: '广告营销 × 1' }).waitFor()
        await p.locator('[data-test=reports-table]', { hasText: '骗老人加微信' }).waitFor()
        await shot(p, 'reports')
        await p.locator(`[data-test=uphold-demand-${d.id}]`).click()
        await confirmBox(p, '隐藏')
        await toast(p, '已处理')
        await row.waitFor({ state: 'detached' })
        const pub = await api.get(`/api/v1/demands?unit_id=${w.point.id}`)
        assert.ok(!pub.items.some((x) => x.id === d.id), 'the demand is hidden from residents')
        for (const r of reporters) {
          const m = await api.get('/api/v1/me/messages', { token: r.token })
          assert.ok(m.items.some((x) => x.kind === 'report_outcome' && x.body.includes('已被隐藏')), JSON.stringify(m.items))
        }
      },
    },
    {
      name: 'an evaluator sees no write controls and the API refuses a forged write',
      async fn() {
        const p = await page()
        await scanSignIn(p, server, api, w.evaluator)
        await p.locator('[data-test=read-only]').waitFor()
        await shot(p, 'dashboard-evaluator')
        const menu = await p.locator('[data-screen]').evaluateAll((els) => els.map((e) => e.getAttribute('data-screen')))
        for (const hidden of ['door', 'volunteers', 'menu', 'people']) assert.ok(!menu.includes(hidden), `no ${hidden} screen for an evaluator: ${menu}`)
        await p.locator('[data-screen=activities]').click()
        await p.locator('[data-test=activities-table] tbody tr').first().waitFor()
        assert.equal(await p.locator('[data-test=new-activity]').count(), 0)
        assert.equal(await p.locator('[data-test^=publish-]').count(), 0)
        assert.equal(await p.locator('[data-test=activities-table] button', { hasText: /取消|复制|编辑/ }).count(), 0)
        await p.goto(`${server.consoleUrl}activities/${w.course}`)
        await p.locator('[data-test=sessions-table]').waitFor()
        assert.equal(await p.locator('[data-test=save-activity], [data-test=publish], [data-test=cancel-activity]').count(), 0)
        await p.locator('[data-screen=feedback]').click()
        await p.locator('[data-test=inbox]').waitFor()
        assert.equal(await p.locator('[data-test^=reply-]').count(), 0, 'no reply button')
        await p.locator('[data-screen=network]').click()
        await p.locator('[data-test=network-tree]').waitFor()
        assert.equal(await p.locator('[data-test=edit-unit]').count(), 0)
        await p.locator('[data-screen=stats]').click()
        await p.locator('canvas').first().waitFor()
        await shot(p, 'stats')
        // A forged write with the evaluator's own cookie and CSRF token is refused by the API.
        const forged = await p.evaluate(async (id) => {
          const s = await (await fetch('/api/v1/console/session')).json()
          const withToken = await fetch(`/api/v1/activities/${id}/cancel`, {
            method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf_token }, body: JSON.stringify({ reason: '伪造的请求' }),
          })
          const noToken = await fetch(`/api/v1/activities/${id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: '伪造的请求' }) })
          return { a: withToken.status, ab: await withToken.json(), b: noToken.status, bb: await noToken.json() }
        }, w.course)
        assert.equal(forged.a, 403)
        assert.equal(forged.ab.error.code, 'forbidden')
        assert.equal(forged.b, 403)
        assert.equal(forged.bb.error.code, 'csrf_failed')
        const still = await api.get(`/api/v1/activities/${w.course}`)
        assert.equal(still.activity.status, 'published', 'nothing changed')
      },
    },
    {
      name: "a revoked staff member's console session stops working at once",
      async fn() {
        const temp = await invite(server, api, w.branchStaff, 'e2e-temp', 'point_coordinator', w.point.id, '临时协管员')
        const p = await page()
        await scanSignIn(p, server, api, temp)
        await p.locator('[data-screen=activities]').click()
        await p.locator('[data-test=activities-table]').waitFor()
        const me = await api.get('/api/v1/me', { token: temp.token })
        const grant = me.roles.find((r) => r.role === 'point_coordinator')
        await api.ok('DELETE', `/api/v1/admin/grants/${grant.grant_id}`, { token: w.branchStaff.token })
        const status = await p.evaluate(async () => (await fetch('/api/v1/console/session')).status)
        assert.equal(status, 401, 'the session ends with the role')
        await p.locator('[data-screen=feedback]').click()
        await p.waitForURL(/\/console\/login/)
        await p.locator('[data-test=login-notice]').waitFor()
      },
    },
    {
      name: 'screens for the remaining areas render for the main center (network, demand, people, stats, ledgers)',
      async fn() {
        const p = w.adminPage || (await page())
        if (!w.adminPage) await scanSignIn(p, server, api, w.admin)
        await p.locator('[data-screen=network]').click()
        await p.locator('[data-test=network-tree]').waitFor()
        await p.locator('[data-test=network-tree] .el-tree-node__content', { hasText: '园岭' }).first().click()
        await p.locator('.el-descriptions', { hasText: '园岭' }).first().waitFor()
        await shot(p, 'network')
        // Add a service point under 园岭 by the naming rule, rename it, move it to 南园, close it.
        await p.locator('[data-test=add-unit]').click()
        await inp(p, 'add-name').fill('翠景服务点')
        await p.locator('.el-form-item__error', { hasText: '统一命名规则' }).first().waitFor()
        assert.ok(await p.locator('[data-test=add-save]').isDisabled(), 'a name off the rule cannot be sent')
        await inp(p, 'add-name').fill('福田区文化馆翠景服务点')
        await p.locator('[data-test=add-save]').click()
        await toast(p, '已新增')
        await p.locator('.el-card__header', { hasText: '福田区文化馆翠景服务点' }).waitFor()
        const made = (await api.get('/api/v1/org/units?q=' + encodeURIComponent('翠景'))).items[0]
        assert.equal(made.short_name, '翠景服务点')
        await p.locator('[data-test=rename-unit]').click()
        await inp(p, 'rename-name').fill('福田区文化馆翠景北服务点')
        await p.locator('[data-test=rename-save]').click()
        await confirmBox(p, '更名')
        await toast(p, '已更名')
        await p.locator('.el-card__header', { hasText: '福田区文化馆翠景北服务点' }).waitFor()
        await p.locator('[data-test=move-unit]').click()
        await pick(p, p.locator('[data-test=move-to]'), '南园分馆')
        await p.locator('[data-test=move-save]').click()
        await confirmBox(p, '调整')
        await toast(p, '已调整')
        await shot(p, 'network-unit')
        await p.locator('[data-test=close-unit]').click()
        await confirmBox(p, '关闭')
        await toast(p, '已关闭')
        await p.locator('[data-test=unit-closed]').waitFor()
        const after = await api.get(`/api/v1/org/units/${made.id}`)
        assert.equal(after.unit.name, '福田区文化馆翠景北服务点')
        assert.ok(after.parent.name.includes('南园'), after.parent.name)
        assert.ok(after.unit.closed_at, 'closed')
        const publicTree = JSON.stringify(await api.get('/api/v1/org/tree'))
        assert.ok(!publicTree.includes('翠景北'), 'residents no longer see it')
        await p.locator('[data-screen=demand]').click()
        await p.locator('[data-test=demand-table], .el-empty').first().waitFor()
        await shot(p, 'demand')
        await p.locator('[data-screen=people]').click()
        await p.locator('[data-test=staff-table] tbody tr').first().waitFor()
        await p.locator('[data-test=invite-open]').click()
        await p.locator('[data-test=invite-create]').click()
        await p.locator('[data-test=invitation-code]').waitFor()
        await shot(p, 'people-invitation')
        await p.locator('.el-dialog__footer button', { hasText: '完成' }).click()
        await p.locator('.el-tabs__item', { hasText: '审计日志' }).click()
        await p.locator('[data-test=audit-table] tbody tr').first().waitFor()
        await shot(p, 'audit')
        // The service filters the trail: only the invitation just created.
        const filtered = p.waitForResponse((r) => r.url().includes('/audit?') && r.url().includes('action=invitation_created'))
        await p.locator('[data-test=audit-action]').click()
        await p.locator('.el-select-dropdown__item:visible', { hasText: '生成邀请码' }).first().click()
        const found = await (await filtered).json()
        assert.ok(found.items.length >= 1 && found.items.every((i) => i.action === 'invitation_created'), JSON.stringify(found.items))
        await eventually(async () => {
          const texts = await p.locator('[data-test=audit-table] tbody tr').allInnerTexts()
          assert.ok(texts.length === found.items.length && texts.every((t) => t.includes('生成邀请码')), texts.join('\n'))
        })
        await p.locator('[data-screen=activities]').click()
        await p.locator('[data-test=activities-table] tbody tr').first().waitFor()
        await shot(p, 'activities')
        // 台账: completeness of the photo ledger, and the workbook download (xlsx).
        await p.locator('[data-screen=ledgers]').click()
        await p.locator('[data-test=ledger-summary]').waitFor()
        await p.locator('[data-test=export-workbook]').waitFor()
        assert.match(await p.locator('[data-test=export-workbook]').innerText(), /导出台账工作簿/)
        const wb = await p.evaluate(async () => {
          const r = await fetch('/api/v1/ledgers/workbook.xlsx')
          const b = new Uint8Array(await r.arrayBuffer())
          return { status: r.status, type: r.headers.get('content-type'), zip: String.fromCharCode(b[0], b[1]) }
        })
        assert.equal(wb.status, 200)
        assert.equal(wb.type, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        assert.equal(wb.zip, 'PK')
        await shot(p, 'ledgers')
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'joint activity: the branch confirms from its inbox; the targets page shows what counted and why; the plan is saved',
      async fn() {
        // A lecture at the point naming its branch as partner (up the same line).
        const start = new Date(Math.ceil((Date.now() + 3 * 3600e3) / 300e3) * 300e3)
        const end = new Date(start.getTime() + 90 * 60e3)
        const a = await api.post(
          '/api/v1/activities',
          { title: '联办书法讲座', kind: 'lecture', organizer_unit_id: w.point.id, booking_mode: 'none', joint_unit_ids: [w.branch.id], sessions: [{ unit_id: w.point.id, starts_at: start.toISOString(), ends_at: end.toISOString() }] },
          { token: w.admin.token },
        )
        await api.post(`/api/v1/activities/${a.id}/publish`, {}, { token: w.admin.token })
        // A 55-lesson lecture course after it: more lectures than one page of the targets' list.
        const lessons = Array.from({ length: 55 }, (_, i) => {
          const s0 = new Date(start.getTime() + 3600e3 + i * 10 * 60e3)
          return { unit_id: w.point.id, starts_at: s0.toISOString(), ends_at: new Date(s0.getTime() + 60 * 60e3).toISOString() }
        })
        const course = await api.post(
          '/api/v1/activities',
          { title: '分页书法课', kind: 'lecture', organizer_unit_id: w.point.id, booking_mode: 'none', is_course: true, sessions: lessons },
          { token: w.admin.token },
        )
        await api.post(`/api/v1/activities/${course.id}/publish`, {}, { token: w.admin.token })
        const b = await page()
        await scanSignIn(b, server, api, w.branchStaff)
        await b.locator('[data-screen=partners]').click()
        const row = b.locator('[data-test=partner-requests] tbody tr', { hasText: '联办书法讲座' })
        await row.waitFor()
        await shot(b, 'partners')
        await row.locator('button', { hasText: '确认参与' }).click()
        await toast(b, '已确认参与')
        const mine = await api.get('/api/v1/partner-requests?status=confirmed', { token: w.branchStaff.token })
        assert.ok(mine.items.some((i) => i.activity_id === a.id), 'the confirmation is recorded')
        // The main center's targets page: the session is listed with why it does not count yet.
        const p = await page()
        await scanSignIn(p, server, api, w.admin)
        await p.locator('[data-screen=targets]').click()
        await p.locator('[data-test=targets-table] tbody tr').first().waitFor()
        await p.locator('.el-radio-button', { hasText: '讲座、展览' }).click()
        await p.locator('[data-test=targets-sessions] tbody tr', { hasText: '联办书法讲座' }).filter({ hasText: '尚未举办' }).waitFor()
        await shot(p, 'targets')
        const year = Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()))
        // The server pages the list (D267): 50 rows, the total shown, page 2 is the server's next 50.
        const q = `/api/v1/stats/targets/sessions?year=${year}&category=lectures_exhibitions&limit=50`
        const first = await api.get(q, { token: w.admin.token })
        const second = await api.get(`${q}&offset=50`, { token: w.admin.token })
        assert.ok(first.total > 50, `more than one page: ${first.total}`)
        const rows = p.locator('[data-test=targets-sessions] tbody tr')
        const pager = p.locator('[data-test=targets-sessions-pager]')
        await pager.locator('.el-pagination__total', { hasText: `共 ${first.total} 条` }).waitFor()
        assert.equal(await rows.count(), 50)
        const shown = (i) => i.title + (i.is_course ? `（第 ${i.lesson_no} 课）` : '')
        assert.ok(first.items.some((i) => i.title === '联办书法讲座'), 'the joint lecture is on page 1')
        await pager.locator('.el-pager li', { hasText: /^2$/ }).click()
        await rows.filter({ hasText: '联办书法讲座' }).waitFor({ state: 'detached' })
        await rows.first().filter({ hasText: shown(second.items[0]) }).waitFor()
        await rows.last().filter({ hasText: shown(second.items[second.items.length - 1]) }).waitFor()
        assert.equal(await rows.count(), second.items.length)
        await pager.locator('.el-pager li.is-active', { hasText: /^2$/ }).waitFor()
        await p.locator('[data-test=plan-editor]').waitFor()
        const input = p.getByLabel('送演出下基层全区目标')
        await input.fill('25')
        await input.press('Enter')
        await p.locator('[data-test=plan-editor] button', { hasText: '保存计划' }).click()
        await toast(p, '计划已保存')
        const plan = await api.get(`/api/v1/plans/${year}`, { token: w.evaluator.token })
        assert.equal(plan.performances, 25)
        assert.equal(plan.is_default, false)
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'staff training (issue 13): a branch plans a coordinator training residents never see; the yearly checks show the gap until it is held',
      async fn() {
        const start = new Date(Math.ceil((Date.now() + 6 * 3600e3) / 300e3) * 300e3)
        const end = new Date(start.getTime() + 120 * 60e3)
        const a = await api.post(
          '/api/v1/activities',
          { title: '协管员业务培训（园岭）', kind: 'training', audience: 'staff', training_kind: 'coordinator', organizer_unit_id: w.branch.id, booking_mode: 'fcfs', sessions: [{ unit_id: w.branch.id, starts_at: start.toISOString(), ends_at: end.toISOString(), capacity: 40 }] },
          { token: w.branchStaff.token },
        )
        await api.post(`/api/v1/activities/${a.id}/publish`, {}, { token: w.branchStaff.token })
        // Residents never see it: not in browse, and its page is not found.
        const browse = await api.get(`/api/v1/activities?q=${encodeURIComponent('协管员业务培训')}`)
        assert.ok(!JSON.stringify(browse).includes('协管员业务培训'), 'a staff training is not in public browse')
        const mine = await api.get(`/api/v1/activities?unit_id=${w.branch.id}`, { token: w.branchStaff.token })
        assert.ok(!JSON.stringify(mine).includes('协管员业务培训'), 'nor in browse for signed-in staff: staff find trainings in 活动管理 and 工作人员培训')
        const hidden = await api.call('GET', `/api/v1/activities/${a.id}`)
        assert.equal(hidden.status, 404)
        // The branch's yearly check still shows the gap (nothing held yet).
        const p = await page()
        await scanSignIn(p, server, api, w.branchStaff)
        await p.locator('[data-screen=training]').click()
        const gap = p.locator('[data-test=training-checks] tbody tr', { hasText: '园岭分馆' }).filter({ hasText: '缺 1' })
        await gap.first().waitFor()
        await shot(p, 'training')
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: '报名问题 (issue 12): branch staff ask questions in the activity form; a resident answers when booking; the roster shows the answers; then only optional questions can be appended',
      async fn() {
        const p = await page()
        await scanSignIn(p, server, api, w.branchStaff)
        await p.locator('[data-screen=activities]').click()
        await p.locator('[data-test=new-activity]').click()
        await inp(p, 'f-title').fill('古筝入门班')
        await p.locator('[data-test=q-add]').click()
        await inp(p.locator('[data-test=question-0]'), 'q-text').fill('您的古筝水平')
        await inp(p.locator('[data-test=question-0]'), 'q-options').fill('零基础\n初级\n中级')
        await p.locator('[data-test=question-0] .el-checkbox').click()
        await p.locator('[data-test=q-add]').click()
        await pick(p, p.locator('[data-test=question-1] [data-test=q-kind]'), '简短填空')
        await inp(p.locator('[data-test=question-1]'), 'q-text').fill('学习经历')
        // reorder and back: the editor moves questions while nobody has booked
        await p.locator('[data-test=question-1] [data-test=q-up]').click()
        assert.equal(await inp(p.locator('[data-test=question-0]'), 'q-text').inputValue(), '学习经历')
        await p.locator('[data-test=question-0] [data-test=q-down]').click()
        await shot(p, 'activity-questions')
        await p.locator('[data-test=save-publish]').click()
        await p.waitForURL(/\/activities\/\d+$/)
        const id = Number(/\/activities\/(\d+)$/.exec(p.url())[1])
        const detail = await api.get(`/api/v1/activities/${id}`)
        assert.deepEqual(detail.activity.questions, [
          { text: '您的古筝水平', kind: 'single', options: ['零基础', '初级', '中级'], required: true },
          { text: '学习经历', kind: 'text', options: [], required: false },
        ])
        // A resident books in the mini-program, answering.
        const r = await wechatSignIn(server, api, 'e2e-questions-1')
        await setName(api, r, '周敏')
        const refused = await api.call('POST', '/api/v1/bookings', { token: r.token, body: { activity_id: id } })
        assert.equal(refused.status, 422)
        await api.post('/api/v1/bookings', { activity_id: id, answers: [['初级'], ['学过两年']] }, { token: r.token })
        // Now the editor freezes the two questions and explains why; an optional one can be added.
        await p.reload()
        await p.locator('[data-test=questions-locked]').waitFor()
        assert.equal(await inp(p.locator('[data-test=question-0]'), 'q-text').isDisabled(), true)
        assert.equal(await p.locator('[data-test=question-0] [data-test=q-remove]').count(), 0)
        await p.locator('[data-test=q-add]').click()
        await p.locator('[data-test=question-2] [data-test=q-kind]').waitFor()
        await pick(p, p.locator('[data-test=question-2] [data-test=q-kind]'), '简短填空')
        await inp(p.locator('[data-test=question-2]'), 'q-text').fill('想学的曲目')
        await p.locator('[data-test=save-questions]').click()
        await toast(p, '报名问题已保存')
        await eventually(async () => assert.equal((await api.get(`/api/v1/activities/${id}`)).activity.questions.length, 3))
        // The roster shows one column per question.
        const sid = detail.activity.sessions[0].id
        await p.locator(`[data-test=roster-${sid}]`).click()
        await p.locator('[data-test=roster-table] th', { hasText: '您的古筝水平' }).waitFor()
        const row = p.locator('[data-test=roster-table] tbody tr').first()
        await eventually(async () => assert.match(await row.innerText(), /初级[\s\S]*学过两年/))
        await shot(p, 'roster-answers')
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'work plan (issue 13): the main center plans an item for a branch; the branch links its activity; over-allocation is refused',
      async fn() {
        const start = new Date(Math.ceil((Date.now() + 5 * 3600e3) / 300e3) * 300e3)
        const end = new Date(start.getTime() + 90 * 60e3)
        const a = await api.post(
          '/api/v1/activities',
          { title: '园岭送戏进社区', kind: 'performance', organizer_unit_id: w.branch.id, booking_mode: 'none', sessions: [{ unit_id: w.point.id, starts_at: start.toISOString(), ends_at: end.toISOString() }] },
          { token: w.branchStaff.token },
        )
        await api.post(`/api/v1/activities/${a.id}/publish`, {}, { token: w.branchStaff.token })
        const cst = new Date(Date.now() + 8 * 3600e3)
        const year = cst.getUTCFullYear()
        const month = cst.getUTCMonth() + 1
        // The main center adds the item, naming the branch.
        const p = await page()
        await scanSignIn(p, server, api, w.admin)
        await p.locator('[data-screen=workplan]').click()
        await p.locator('[data-test=item-new]').click()
        await inp(p, 'item-title').fill('园岭片区送戏进社区')
        await pick(p, p.locator('[data-test=item-month]'), `${year} 年 ${month} 月`)
        await pick(p, p.locator('[data-test=item-units]'), '园岭分馆')
        await p.keyboard.press('Escape')
        await p.locator('[data-test=item-save]').click()
        await toast(p, '工作事项已保存')
        await p.locator('[data-test=plan-items] tbody tr', { hasText: '园岭片区送戏进社区' }).filter({ hasText: '待安排' }).waitFor()
        // The branch links the activity it runs; the status follows.
        const b = await page()
        await scanSignIn(b, server, api, w.branchStaff)
        await b.locator('[data-screen=workplan]').click()
        const row = b.locator('[data-test=plan-items] tbody tr', { hasText: '园岭片区送戏进社区' })
        await row.waitFor()
        await row.locator('[data-test=item-link]').click()
        await pick(b, b.locator('[data-test=link-activity]'), '园岭送戏进社区')
        await b.locator('[data-test=link-save]').click()
        await toast(b, '已关联')
        await row.filter({ hasText: '已安排活动' }).waitFor()
        assert.match(await row.innerText(), /园岭送戏进社区（园岭分馆，已举办 0\/1 场）/)
        await shot(b, 'workplan')
        // Over-allocation: a branch's points above the branch's allocation cannot be saved.
        await p.locator('[data-screen=targets]').click()
        await p.locator('[data-test=plan-editor]').waitFor()
        const branchInput = p.getByLabel('园岭分馆公益性艺术培训分配')
        await branchInput.fill('2')
        await branchInput.press('Enter')
        await pick(p, p.locator('[data-test=point-branch]'), '园岭分馆')
        const pointInput = p.getByLabel('红荔服务点公益性艺术培训分配')
        await pointInput.fill('3')
        await pointInput.press('Enter')
        await p.locator('[data-test=over-allocated]').waitFor()
        await p.locator('[data-test=plan-balance] tbody tr', { hasText: '超出 1' }).waitFor()
        assert.equal(await p.locator('[data-test=plan-editor] button', { hasText: '保存计划' }).isDisabled(), true)
        await p.locator('[data-test=plan-balance]').scrollIntoViewIfNeeded()
        await shot(p, 'plan-balance')
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'people register (issue 13): the main center registers a cadre, dispatches them to a branch, coverage shows it',
      async fn() {
        const p = await page()
        await scanSignIn(p, server, api, w.admin)
        await p.locator('[data-screen=register]').click()
        await p.locator('[data-test=register-open]').click()
        await inp(p, 'register-name').fill('王大伟')
        await pick(p, p.locator('[data-test=register-post]'), '业务干部')
        await p.locator('[data-test=register-save]').click()
        await toast(p, '已登记')
        const row = p.locator('[data-test=register-table] tbody tr', { hasText: '王*伟' })
        await row.waitFor()
        await row.locator('button', { hasText: '派驻' }).click()
        await pick(p, p.locator('[data-test=dispatch-to]'), '园岭')
        await p.locator('[data-test=dispatch-save]').click()
        await toast(p, '已派驻')
        await p.locator('.el-tabs__item', { hasText: '双派记录' }).click()
        // The demo register has dispatches of its own: find this cadre's.
        await p.locator('[data-test=dispatch-table] tbody tr', { hasText: '王*伟' }).filter({ hasText: '总馆派驻分馆副馆长' }).waitFor()
        await p.locator('.el-tabs__item', { hasText: '配备与覆盖' }).click()
        await p.locator('[data-test=coverage-table] tbody tr', { hasText: '王*伟' }).waitFor()
        await p.locator('[data-test=staffing-table] tbody tr').first().waitFor()
        await shot(p, 'register-coverage')
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'rooms (issue 14): branch staff add a rehearsal room, close it tomorrow for maintenance, see it on the week calendar; a session over the closure is refused',
      async fn() {
        const p = await page()
        await scanSignIn(p, server, api, w.branchStaff)
        await p.locator('[data-screen=rooms]').click()
        await p.locator('[data-test=new-room]').click()
        await inp(p, 'room-name').fill('二楼排练厅')
        await pick(p, p.locator('[data-test=room-kind]'), '排练厅')
        await p.locator('[data-test=room-save]').click()
        await toast(p, '已保存')
        await p.locator('[data-test=rooms] tbody tr', { hasText: '二楼排练厅' }).waitFor()
        const listed = await api.get(`/api/v1/rooms?unit_id=${w.branch.id}`, { token: w.branchStaff.token })
        const room = listed.items.find((r) => r.name === '二楼排练厅')
        assert.equal(room.kind, '排练厅')
        assert.equal(room.hours.length, 7)
        const tomorrow = chinaDay(new Date(Date.now() + DAY))
        await p.locator(`[data-test=closure-room-${room.id}]`).click()
        const day = inp(p, 'closure-day')
        await day.fill(tomorrow)
        await day.press('Enter')
        await inp(p, 'closure-reason').fill('设备检修')
        await p.locator('[data-test=closure-save]').click()
        await toast(p, '已添加闭馆安排')
        await p.locator('[data-test=week] .entry', { hasText: '闭馆：设备检修' }).waitFor()
        await shot(p, 'rooms-week')
        // The calendar refuses a session over the closure, with the one error shape.
        const r = await api.call('POST', '/api/v1/activities', {
          token: w.branchStaff.token,
          body: {
            title: '排练厅讲座', kind: 'lecture', organizer_unit_id: w.branch.id, booking_mode: 'fcfs',
            sessions: [{ unit_id: w.branch.id, room_id: room.id, starts_at: `${tomorrow}T10:00:00+08:00`, ends_at: `${tomorrow}T11:00:00+08:00`, capacity: 10 }],
          },
        })
        assert.equal(r.status, 409)
        assert.equal(r.body.error.code, 'room_clash')
        // The public free/busy shows the closure without its reason.
        const busy = await api.get(`/api/v1/org/units/${w.branch.id}/rooms/busy`)
        const span = busy.busy.find((b) => b.room_id === room.id)
        assert.equal(span.state, 'closed')
        assert.ok(!JSON.stringify(busy).includes('设备检修'))
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'art teams (issue 14): a resident registers a team at the point; branch staff verify it from the queue and record a guidance session; the public page shows it',
      async fn() {
        const leader = await wechatSignIn(server, api, 'e2e-team-leader')
        const t = await api.post('/api/v1/teams', { unit_id: w.point.id, name: '红荔合唱团', genre: '合唱', rehearsal_time: '每周三 19:00' }, { token: leader.token })
        const p = await page()
        await scanSignIn(p, server, api, w.branchStaff)
        await p.locator('[data-screen=teams]').click()
        await p.locator('[data-test=teams-table] tbody tr', { hasText: '红荔合唱团' }).waitFor()
        await p.locator(`[data-test=team-verify-${t.id}]`).click()
        await toast(p, '已认证')
        await p.locator('.el-radio-button', { hasText: '已认证' }).click()
        await p.locator(`[data-test=team-open-${t.id}]`).click()
        await p.locator('[data-test=team-detail]').waitFor()
        await inp(p, 'guidance-instructor').fill('李老师')
        await inp(p, 'guidance-topic').fill('合唱发声')
        await p.locator('[data-test=guidance-save]').click()
        await toast(p, '已登记')
        await p.locator('[data-test=team-guidance] tbody tr', { hasText: '合唱发声' }).waitFor()
        const png = await QRCode.toBuffer('红荔合唱团', { width: 300 })
        await p.locator('[data-test=team-photo-file]').setInputFiles({ name: 'team.png', mimeType: 'image/png', buffer: png })
        await toast(p, '照片已添加')
        await p.locator('[data-test=team-photos] img').waitFor()
        await shot(p, 'teams-detail')
        const d = await api.get(`/api/v1/manage/teams/${t.id}`, { token: w.branchStaff.token })
        assert.equal(d.status, 'verified')
        assert.equal(d.guidance.length, 1)
        const page2 = await api.get(`/api/v1/teams/${t.id}`)
        assert.equal(page2.team.genre, '合唱')
        assert.equal(page2.team.photos.length, 1)
        // The year's statistics below the list count the verified team and its guidance.
        await p.keyboard.press('Escape')
        const row = p.locator('[data-test=team-stats] tbody tr', { hasText: '合唱' })
        await row.first().waitFor()
        const st = await api.get(`/api/v1/stats/teams?unit_id=${w.point.id}`, { token: w.branchStaff.token })
        assert.ok(st.items.some((x) => x.genre === '合唱' && x.teams >= 1 && x.guidance_sessions >= 1))
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'room bookings (issue 14): a verified team asks for the branch rehearsal room; branch staff approve it from the 场地预约 queue; the leader sees it confirmed',
      async fn() {
        const hours = [1, 2, 3, 4, 5, 6, 7].map((d) => ({ weekday: d, opens: '08:00', closes: '22:00' }))
        const room = await api.post('/api/v1/rooms', {
          unit_id: w.branch.id, name: '三楼排练厅', kind: '排练厅', capacity: 40, bookable_by: 'teams', auto_confirm: false,
          rules: { book_ahead_days: 14, max_slot_minutes: 120, weekly_hours_per_team: 6, cancel_hours_before: 24 }, hours,
        }, { token: w.branchStaff.token })
        const leader = await wechatSignIn(server, api, 'e2e-room-leader')
        const t = await api.post('/api/v1/teams', { unit_id: w.branch.id, name: '莲花舞蹈队', genre: '舞蹈' }, { token: leader.token })
        await api.post(`/api/v1/manage/teams/${t.id}/verify`, {}, { token: w.branchStaff.token })
        const day = chinaDay(new Date(Date.now() + 3 * DAY))
        const b = await api.post('/api/v1/room-bookings', {
          room_id: room.id, team_id: t.id, starts_at: `${day}T19:00:00+08:00`, ends_at: `${day}T21:00:00+08:00`, purpose: '舞蹈排练',
        }, { token: leader.token })
        assert.equal(b.status, 'pending')
        const p = await page()
        await scanSignIn(p, server, api, w.branchStaff)
        await p.locator('[data-screen=rooms]').click()
        await p.locator('[data-test=room-bookings] tbody tr', { hasText: '莲花舞蹈队' }).waitFor()
        await shot(p, 'rooms-booking-queue')
        await p.locator(`[data-test=approve-${b.id}]`).click()
        await toast(p, '已批准')
        // The room's door code, to print and post at the door for the leader's check-in.
        await p.locator(`[data-test=door-code-${room.id}]`).click()
        await p.locator('[data-test=door-code-img]').waitFor()
        const natural = await p.locator('[data-test=door-code-img]').evaluate((img) => img.naturalWidth)
        assert.ok(natural > 0, 'the door code image loaded')
        await p.keyboard.press('Escape')
        const mine = await api.get('/api/v1/me/room-bookings', { token: leader.token })
        assert.equal(mine.items.find((x) => x.id === b.id).status, 'confirmed')
        // The slot is held: another team's request for the same hours is refused by the calendar.
        const other = await wechatSignIn(server, api, 'e2e-room-leader-2')
        const t2 = await api.post('/api/v1/teams', { unit_id: w.branch.id, name: '莲花合唱团', genre: '合唱' }, { token: other.token })
        await api.post(`/api/v1/manage/teams/${t2.id}/verify`, {}, { token: w.branchStaff.token })
        const r = await api.call('POST', '/api/v1/room-bookings', {
          token: other.token,
          body: { room_id: room.id, team_id: t2.id, starts_at: `${day}T20:00:00+08:00`, ends_at: `${day}T21:00:00+08:00` },
        })
        assert.equal(r.status, 409)
        assert.equal(r.body.error.code, 'room_clash')
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'evaluation (issue 15): the district opens a round; a point self-assesses and submits; its branch scores it in the entry page; the comparison shows the rank',
      async fn() {
        w.district = await invite(server, api, w.admin, 'e2e-district', 'district_supervisor', w.main.id, '区级督导')
        const p = await page()
        await scanSignIn(p, server, api, w.district)
        await p.locator('[data-screen=evaluation]').click()
        await p.locator('[data-test=round-new]').click()
        await p.locator('[data-test=round-create]').click()
        await toast(p, '轮次已创建')
        await p.locator('[data-test=eval-round]').waitFor()
        const rounds = await api.get('/api/v1/evaluation/rounds', { token: w.district.token })
        const round = rounds.items[0]
        const detail = await api.get(`/api/v1/evaluation/rounds/${round.id}`, { token: w.coord.token })
        const mine = detail.entries.find((e) => e.unit_id === w.point.id)
        assert.ok(mine, 'the point coordinator sees the point entry')
        const e = await api.get(`/api/v1/evaluation/entries/${mine.id}`, { token: w.coord.token })
        const items = e.items.map((i) => ({ position: i.position, score: i.method === 'auto' ? null : i.max_score / 2, comment: '见台账' }))
        await api.ok('PUT', `/api/v1/evaluation/entries/${mine.id}/self`, { token: w.coord.token, body: { items } })
        await api.post(`/api/v1/evaluation/entries/${mine.id}/submit`, {}, { token: w.coord.token })
        await closeAll()

        const b = await page()
        await scanSignIn(b, server, api, w.branchStaff)
        await b.goto(`${server.consoleUrl}evaluation/entries/${mine.id}`)
        await b.locator('[data-test=entry-items] tbody tr').first().waitFor()
        await b.locator('[data-test=entry-print]').waitFor()
        await b.locator('[data-test=entry-score]').click()
        await confirmBox(b, '确认')
        await toast(b, '评分已保存')
        await b.locator('[data-test=entry-summary]', { hasText: '已评分' }).waitFor()
        const scored = await api.get(`/api/v1/evaluation/entries/${mine.id}`, { token: w.branchStaff.token })
        assert.equal(scored.status, 'scored')
        assert.equal(scored.rank, 1)
        await b.goto(`${server.consoleUrl}evaluation`)
        await b.locator('[data-test=eval-compare] tbody tr', { hasText: scored.unit_name }).waitFor()
        await shot(b, 'evaluation-round')
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'evaluation (issue 15): the district\'s header names what it may do; a point records its facility checklist; the comparison has category columns and the unit its history',
      async fn() {
        const d = await page()
        await scanSignIn(d, server, api, w.district)
        await d.locator('[data-test=read-only]', { hasText: '只读 · 可考核验收' }).waitFor()
        await closeAll()

        const p = await page()
        await scanSignIn(p, server, api, w.coord)
        await p.locator('[data-screen=evaluation]').click()
        await p.locator('[data-test=eval-tabs] .el-tabs__item', { hasText: '设施达标' }).click()
        await p.locator('[data-test=facility-summary]', { hasText: '达标 0 / 5 项' }).waitFor()
        const official = (await api.get(`/api/v1/evaluation/facilities/${w.point.id}`, { token: w.coord.token })).official_name
        await p.locator('[data-test=facility-checks] input[aria-label=标识名称]').fill(official)
        await p.locator('[data-test=facts-save]').click()
        await toast(p, '已保存')
        await p.locator('[data-test=facility-summary]', { hasText: '达标 1 / 5 项' }).waitFor()
        await shot(p, 'evaluation-facilities')
        const saved = await api.get(`/api/v1/evaluation/facilities/${w.point.id}`, { token: w.coord.token })
        assert.equal(saved.checks.find((c) => c.standard.key === 'signage').met, true)
        await closeAll()

        const b = await page()
        await scanSignIn(b, server, api, w.branchStaff)
        await b.locator('[data-screen=evaluation]').click()
        await b.locator('[data-test=eval-compare] thead', { hasText: '创新与亮点' }).waitFor()
        await b.locator('[data-test=eval-tabs] .el-tabs__item', { hasText: '历年对比' }).click()
        await b.locator('[data-test=eval-history] tbody tr').first().waitFor()
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'library and online (issue 17): a point coordinator adds an article to the 数字资源库 and publishes it; branch staff make an activity a Channels live',
      async fn() {
        const p = await page()
        await scanSignIn(p, server, api, w.coord)
        await p.locator('[data-screen=library]').click()
        await p.locator('[data-test=library-table]').waitFor()
        await p.locator('[data-test=library-new]').click()
        await p.locator('[data-test=library-form-kind] .el-radio-button', { hasText: '图文' }).click()
        await inp(p, 'library-title').fill('红荔社区的非遗故事')
        await inp(p, 'library-tags').fill('非遗，社区')
        await p.locator('[data-test=library-platform] .el-radio', { hasText: '正文' }).click()
        await inp(p, 'library-body').fill('很久以前，红荔路上……')
        await p.locator('[data-test=library-save]').click()
        await toast(p, '已添加（未发布）')
        const row = p.locator('[data-test=library-table] tbody tr', { hasText: '红荔社区的非遗故事' })
        await row.waitFor()
        const mine = await api.get(`/api/v1/manage/library?unit_id=${w.point.id}`, { token: w.coord.token })
        const r = mine.items.find((x) => x.title === '红荔社区的非遗故事')
        assert.ok(r && !r.published)
        assert.deepEqual(r.tags, ['非遗', '社区'])
        await p.locator(`[data-test=library-publish-${r.id}]`).click()
        await toast(p, '已发布')
        const pub = await api.get('/api/v1/library?kind=article')
        assert.ok(pub.items.some((x) => x.id === r.id))
        await shot(p, 'library')

        const a = await api.post(
          '/api/v1/activities',
          { title: '线上书法讲座', kind: 'lecture', organizer_unit_id: w.branch.id, booking_mode: 'none', sessions: [{ unit_id: w.branch.id, room: '多功能厅', starts_at: new Date(Date.now() + 3 * 86400e3).toISOString(), ends_at: new Date(Date.now() + 3 * 86400e3 + 5400e3).toISOString() }] },
          { token: w.branchStaff.token },
        )
        const q = await page()
        await scanSignIn(q, server, api, w.branchStaff)
        await q.goto(`${server.consoleUrl}activities/${a.id}`)
        await q.locator('[data-test=online-card]').waitFor()
        await q.locator('[data-test=online-mode] .el-radio-button', { hasText: '线上线下同步' }).click()
        await inp(q, 'online-finder').fill('sphFutian01')
        await q.locator('[data-test=online-save]').click()
        await toast(q, '线上设置已保存')
        const o = await api.get(`/api/v1/activities/${a.id}/online`, { token: w.branchStaff.token })
        assert.equal(o.online.mode, 'hybrid')
        assert.equal(o.online.finder_user_name, 'sphFutian01')
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'procurement (issue 16): a troupe registers; the main center approves it in 供给方审核; a point requests its programme; its branch buys it from its own budget and delivers it',
      async fn() {
        // The provider signs in with WeChat and registers in the mini-program (its pages call these).
        const troupe = await wechatSignIn(server, api, 'e2e-provider')
        const prov = await api.post('/api/v1/providers/me', { name: '福田青年粤剧团', kind: 'troupe', contact_name: '陈团长', phone: '13800001234', qualifications: '民办非企业单位登记证书' }, { token: troupe.token })
        const off = await api.post('/api/v1/providers/me/offerings', { title: '粤剧折子戏专场', kind: 'performance', duration_minutes: 90, audience: '全年龄', requirements: '舞台、音响', price_fen: 800000 }, { token: troupe.token })

        // The main center reviews the provider, then its offering.
        const a = await page()
        await scanSignIn(a, server, api, w.admin)
        await a.locator('[data-screen=providers]').click()
        const provRow = a.locator('[data-test=providers] tbody tr', { hasText: '福田青年粤剧团' })
        await provRow.waitFor()
        await provRow.locator('button', { hasText: '通过' }).click()
        await confirmBox(a, '通过')
        await toast(a, '已审核')
        await a.locator('.el-tabs__item', { hasText: '服务项目' }).click()
        const offRow = a.locator('[data-test=offerings] tbody tr', { hasText: '粤剧折子戏专场' })
        await offRow.waitFor()
        await offRow.locator('button', { hasText: '通过' }).click()
        await confirmBox(a, '通过')
        await toast(a, '已审核')
        await shot(a, 'providers')
        assert.equal((await api.get('/api/v1/providers/me', { token: troupe.token })).status, 'approved')
        // The main center gives the branch a budget for the year.
        const year = Number(chinaDay(new Date()).slice(0, 4))
        await api.post('/api/v1/procurement/budgets', { unit_id: w.branch.id, year, amount_fen: 2000000 }, { token: w.admin.token })
        await closeAll()

        // The point's coordinator requests the programme from the catalogue.
        const c = await page()
        await scanSignIn(c, server, api, w.coord)
        await c.locator('[data-screen=procurement]').click()
        await c.locator('.el-tabs__item', { hasText: '采购目录' }).click()
        await c.locator(`[data-test=request-${off.id}]`).click()
        await c.locator('[data-test=request-save]').click()
        await toast(c, '已提交，等待供给方确认档期')
        const mine = await api.get(`/api/v1/procurement/orders?unit_id=${w.point.id}`, { token: w.coord.token })
        const order = mine.items.find((o) => o.offering_id === off.id)
        assert.ok(order, 'the order is listed for the point')
        assert.equal(order.status, 'requested')
        await closeAll()

        // The troupe accepts the date (mini-program), and the branch buys and delivers it.
        await api.post(`/api/v1/procurement/orders/${order.id}/accept`, {}, { token: troupe.token })
        const b = await page()
        await scanSignIn(b, server, api, w.branchStaff)
        await b.locator('[data-screen=procurement]').click()
        await b.locator(`[data-test=purchase-${order.id}]`).click()
        await pick(b, b.locator('[data-test=purchase-budget]'), '园岭')
        await inp(b, 'purchase-contract').fill('FT-2026-088')
        await inp(b, 'purchase-funding').fill('免费开放补助资金')
        await b.locator('[data-test=purchase-save]').click()
        await toast(b, '已批准采购')
        const budgets = await api.get(`/api/v1/procurement/budgets?unit_id=${w.branch.id}`, { token: w.branchStaff.token })
        assert.equal(budgets.items.find((x) => x.unit_id === w.branch.id && x.year === year).spent_fen, 800000)
        await b.locator(`[data-test=deliver-${order.id}]`).click()
        await b.locator('[data-test=deliver-save]').click()
        await toast(b, '已交付并发布')
        await shot(b, 'procurement')
        const done = (await api.get(`/api/v1/procurement/orders?unit_id=${w.point.id}`, { token: w.coord.token })).items.find((o) => o.id === order.id)
        assert.equal(done.status, 'delivered')
        assert.ok(done.activity_id, 'delivery created an activity')
        await b.locator('[data-test=procurement-orders] tbody tr', { hasText: `活动 #${done.activity_id}` }).waitFor()
        const act = await api.get(`/api/v1/activities/${done.activity_id}`)
        assert.equal(act.activity.title, '粤剧折子戏专场')
        // The provider sees its order delivered, and only its own.
        const theirs = await api.get('/api/v1/providers/me/orders', { token: troupe.token })
        assert.deepEqual(theirs.items.map((o) => o.id), [order.id])
        assert.equal(prov.id, (await api.get('/api/v1/providers/me', { token: troupe.token })).id)
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'volunteering (issue 16): a point posts an usher shift; a resident signs up in the mini-program; the coordinator approves it in 志愿岗位; hours wait until the shift has started',
      async fn() {
        const start = new Date(Date.now() + 3 * DAY)
        const opp = await api.post(
          `/api/v1/units/${w.point.id}/volunteer-opportunities`,
          { title: '周末文艺演出引导', description: '引导观众入场就座', shifts: [{ role_code: 'usher', starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 2 * 3600e3).toISOString(), place: '一楼大厅', needed: 2 }] },
          { token: w.coord.token },
        )
        const shift = opp.shifts[0].id
        const vol = await wechatSignIn(server, api, 'e2e-usher')
        const signup = await api.post(`/api/v1/volunteer-shifts/${shift}/signups`, { note: '周六有空' }, { token: vol.token })
        assert.equal(signup.status, 'pending')

        const p = await page()
        await scanSignIn(p, server, api, w.coord)
        await p.locator('[data-screen=volunteering]').click()
        // A pending sign-up already holds its place, so a shift is never overfilled.
        await p.locator(`[data-test=opportunity-${opp.id}]`, { hasText: '1/2' }).waitFor()
        await p.locator('.el-tabs__item', { hasText: '报名审批（1）' }).click()
        await p.locator(`[data-test=signup-approve-${signup.id}]`).click()
        await confirmBox(p, '通过')
        await toast(p, '已通过')
        await p.locator('.el-tabs__item', { hasText: '报名审批（0）' }).waitFor()
        await p.locator('.el-tabs__item', { hasText: '时长确认' }).click()
        await p.locator(`[data-test=signup-hours-${signup.id}]`).click()
        await confirmBox(p, '确定')
        // The shift is in three days: the service refuses, and the console says why.
        await toast(p, '班次还没有开始')
        await shot(p, 'volunteering')
        const mine = await api.get('/api/v1/me/shifts', { token: vol.token })
        assert.equal(mine.items.find((x) => x.id === signup.id)?.status, 'approved')
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'sponsors (issue 16): branch staff record a bank\'s money for an activity with consent and a company\'s goods without; the public 支持单位 names only the consenting one, with no amount',
      async fn() {
        const when = Date.now() + 5 * DAY
        const a = await api.post(
          '/api/v1/activities',
          { title: '园岭社区新春音乐会', kind: 'performance', organizer_unit_id: w.branch.id, booking_mode: 'none', sessions: [{ unit_id: w.branch.id, room: '小舞蹈室', starts_at: new Date(when).toISOString(), ends_at: new Date(when + 5400e3).toISOString() }] },
          { token: w.branchStaff.token },
        )
        await api.post(`/api/v1/activities/${a.id}/publish`, {}, { token: w.branchStaff.token })
        const p = await page()
        await scanSignIn(p, server, api, w.branchStaff)
        await p.locator('[data-screen=sponsors]').click()
        const register = async (name, gift, amount, consent) => {
          await p.locator('[data-test=sponsor-new]').click()
          const dlg = p.locator('.el-dialog', { hasText: '登记支持单位' })
          await inp(p, 'sponsor-name').fill(name)
          await dlg.locator('.el-radio-button', { hasText: gift }).click()
          await inp(p, 'sponsor-amount').fill(amount)
          await dlg.locator('.el-form-item', { hasText: '活动编号' }).locator('input').fill(String(a.id))
          if (consent) await p.locator('[data-test=sponsor-consent]').click()
          await p.locator('[data-test=sponsor-save]').click()
          await toast(p, '已登记')
          await p.locator('[data-test=sponsor-table] tbody tr', { hasText: name }).waitFor()
        }
        await register('深圳某银行福田支行', '资金', '5000', true)
        await register('某文化传媒公司', '物资', '1200.50', false)
        await p.locator('[data-test=sponsor-total]', { hasText: '5,000.00' }).or(p.locator('[data-test=sponsor-total]', { hasText: '5000.00' })).waitFor()
        await shot(p, 'sponsors')
        const pub = await api.get(`/api/v1/activities/${a.id}/supporters`)
        assert.deepEqual(pub.items, [{ name: '深圳某银行福田支行', relation: 'sponsor' }])
        await closeAll()
      },
      after: closeAll,
    },
    {
      name: 'culture cloud (issue 17): with no endpoint configured the main center sees why it cannot push, and exports the JSON snapshot and the venues CSV for manual upload — no personal data in them',
      async fn() {
        const p = await page()
        await scanSignIn(p, server, api, w.admin)
        await p.locator('[data-screen=cloud]').click()
        await p.locator('[data-test=cloud-disabled]').waitFor()
        assert.equal(await p.locator('[data-test=cloud-push]').isDisabled(), true)
        const [dl] = await Promise.all([p.waitForEvent('download'), p.locator('[data-test=cloud-export-json]').click()])
        const text = fs.readFileSync(await dl.path(), 'utf8')
        const snap = JSON.parse(text)
        assert.equal(snap.schema, 'culturehub.cloud.v1')
        assert.ok(snap.venues.some((v) => v.name.includes('园岭')), 'the branch is among the venues')
        assert.ok(snap.venues.some((v) => (v.rooms || []).some((r) => r.name === '小舞蹈室')), 'rooms travel with their unit')
        // Nothing that identifies a resident or a staff member leaves the district.
        for (const secret of ['13800001234', '园岭分馆李老师', '红荔协管员', 'e2e-']) assert.ok(!text.includes(secret), `snapshot contains ${secret}`)
        await pick(p, p.locator('[data-test=cloud-csv-table]'), '场馆')
        const [csv] = await Promise.all([p.waitForEvent('download'), p.locator('[data-test=cloud-export-csv]').click()])
        const lines = fs.readFileSync(await csv.path(), 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/)
        assert.ok(lines[0].startsWith('unit_code,name,short_name,level'), lines[0])
        assert.ok(lines.length > 100, `one row per unit of the Futian network (${lines.length - 1})`)
        await shot(p, 'cloud')
        await closeAll()
      },
      after: closeAll,
    },
  ]
}

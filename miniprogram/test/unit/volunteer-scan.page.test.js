// pages/volunteer/scan — 扫码签到: scan → one-glance answer, undo, retry with the same nonce,
// offline list → 离线核验 → queue → sync when the network is back → conflicts, head count.
const crypto = require('crypto')
const { loadPage, waitFor, text, texts, tap, stubRequest, stubModal, apiError, signedIn, resetStorage, storage, simulate, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/volunteer/scan'
const QUERY = { session_id: '11', title: encodeURIComponent('书法公开课'), starts_at: encodeURIComponent('2099-12-05T11:30:00Z'), ends_at: encodeURIComponent('2099-12-05T13:00:00Z'), unit: encodeURIComponent('梅林分馆') }
const T1 = 'A'.repeat(43)
const T2 = 'B'.repeat(43)
const T3 = 'C'.repeat(43)
const sha = (t) => crypto.createHash('sha256').update(t).digest('hex')
const STATS = { data: { session_id: 11, capacity: 20, booked: 12, admitted: 3, walk_ins: 0, open_conflicts: 0 } }

function answer(extra) {
  return Object.assign({
    result: 'admitted', message: '核验通过：王*（本人）', colour: 'green', checkin_id: 7, holder_masked: '王*', is_family_member: false,
    is_child: false, party_size: 1, admitted_at: null, admitted_by: null, expected: null, admitted_count: 4, booked_count: 12
  }, extra || {})
}

function list() {
  return {
    session_id: 11, title: '书法公开课', starts_at: '2099-12-05T11:30:00Z', ends_at: '2099-12-05T13:00:00Z', expires_at: '2099-12-05T14:00:00Z',
    entries: [{ ticket_hash: sha(T1), holder_masked: '王*', is_family_member: false }, { ticket_hash: sha(T2), holder_masked: '李*', is_family_member: true }]
  }
}

// wx.scanCode answering with the next token of a queue
function scanning(tokens) {
  const q = tokens.slice()
  return spyWx('scanCode').mockImplementation((o) => setTimeout(() => o.success({ result: q.shift(), scanType: 'QR_CODE' }), 0))
}

let network
beforeEach(() => {
  resetStorage()
  signedIn({ roles: [{ grant_id: 2, role: 'volunteer', role_label: '志愿者', unit_id: 10, unit_name: '梅林分馆' }] })
  network = []
  spyWx('onNetworkStatusChange').mockImplementation((fn) => network.push(fn))
  spyWx('offNetworkStatusChange').mockImplementation(() => {})
  spyWx('showToast').mockImplementation(() => {})
  spyWx('vibrateLong').mockImplementation(() => {})
  spyWx('vibrateShort').mockImplementation(() => {})
})

test('the session and today’s counts; a scan admits: green, holder, counts, undo', async () => {
  const req = stubRequest({ 'GET /api/v1/sessions/11/checkin/stats': STATS, 'POST /api/v1/checkin/scan': { data: answer() } })
  const scan = scanning([T1])
  const awake = spyWx('setKeepScreenOn').mockImplementation(() => {})
  const page = loadPage(ROUTE, { query: QUERY })
  expect(awake).toHaveBeenCalledWith({ keepScreenOn: true })
  expect(text(page, '.session-title')).toBe('书法公开课')
  expect(text(page, '.session-when')).toBe('12月5日（周六）19:30–21:00')
  await waitFor(() => page.data.statsStatus === 'ok')
  expect([text(page, '.stat-booked'), text(page, '.stat-admitted'), text(page, '.stat-walkins')]).toEqual(['12', '3', '0'])
  await tap(page, '.scan-btn')
  await waitFor(() => page.data.showResult)
  expect(scan).toHaveBeenCalledWith(expect.objectContaining({ onlyFromCamera: true, scanType: ['qrCode'] }))
  const post = req.calls.find((c) => c.path === '/api/v1/checkin/scan')
  expect(post.data).toEqual({ session_id: 11, token: T1, nonce: expect.stringMatching(/^mp-/) })
  const r = page.querySelector('.result')
  expect(r.querySelector('.overlay').dom.className).toContain('tone-green')
  expect(text(r, '.result-title')).toBe('核验通过')
  expect(text(r, '.result-detail')).toBe('王*（本人）')
  expect(text(r, '.result-counts')).toBe('已入场 4 人 / 预约 12 人')
  expect(r.querySelector('.result-undo')).toBeDefined()
  expect(text(page, '.stat-admitted')).toBe('4')
  expect(Object.keys(storage().ch_checkin_seen_11)).toEqual([sha(T1)]) // remembered for offline
  page.detach()
  expect(awake).toHaveBeenLastCalledWith({ keepScreenOn: false })
})

test('each scan has its own nonce; the same ticket again says when and by whom it was admitted', async () => {
  const req = stubRequest({
    'GET /api/v1/sessions/11/checkin/stats': STATS,
    'POST /api/v1/checkin/scan': [{ data: answer() }, { data: answer({ result: 'already_admitted', colour: 'amber', admitted_at: '2099-12-05T11:02:00Z', admitted_by: '志愿者王*', message: '已入场' }) }]
  })
  scanning([T1, T1])
  const page = loadPage(ROUTE, { query: QUERY })
  await tap(page, '.scan-btn')
  await waitFor(() => page.data.showResult && page.data.view.result === 'admitted')
  page.querySelector('.result').querySelector('.result-next').dispatchEvent('tap') // 继续扫码
  await waitFor(() => page.data.view.result === 'already_admitted')
  const r = page.querySelector('.result')
  expect(r.querySelector('.overlay').dom.className).toContain('tone-amber')
  expect(text(r, '.result-title')).toBe('已入场')
  expect(text(r, '.result-detail')).toBe('已入场 19:02 由志愿者王*')
  expect(r.querySelector('.result-undo')).toBeUndefined()
  const nonces = req.calls.filter((c) => c.path === '/api/v1/checkin/scan').map((c) => c.data.nonce)
  expect(new Set(nonces).size).toBe(2)
  // green: one short vibration; amber: two short ones; never the long one (that is red's)
  await waitFor(() => wx.vibrateShort.mock.calls.length === 3)
  expect(wx.vibrateLong).not.toHaveBeenCalled()
  expect(text(r, '.result-symbol')).toBe('!')
  page.detach()
})

test('undo within 15 minutes asks for a reason; after that it is refused', async () => {
  const req = stubRequest({
    'GET /api/v1/sessions/11/checkin/stats': STATS,
    'POST /api/v1/checkin/scan': { data: answer() },
    'POST /api/v1/checkin/7/undo': { data: { ok: true } }
  })
  scanning([T1])
  const modal = stubModal([{ confirm: true, content: '' }, { confirm: true, content: ' 扫错了票 ' }])
  const page = loadPage(ROUTE, { query: QUERY })
  await tap(page, '.scan-btn')
  await waitFor(() => page.data.undoable)
  page.querySelector('.result').querySelector('.result-undo').dispatchEvent('tap')
  await waitFor(() => modal.mock.calls.length === 1)
  await simulate.sleep(5)
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请填写撤销原因' }))
  page.querySelector('.result').querySelector('.result-undo').dispatchEvent('tap')
  await waitFor(() => !page.data.showResult)
  expect(modal.mock.calls[1][0]).toMatchObject({ title: '撤销这次入场', editable: true })
  expect(req.calls.find((c) => c.path === '/api/v1/checkin/7/undo').data).toEqual({ reason: '扫错了票' })
  // an old admission: no undo any more
  page.setData({ view: Object.assign({}, page.data.view, { undoUntil: Date.now() - 1 }), showResult: true, undoable: true })
  page.instance.onResultUndo()
  expect(page.data.undoable).toBe(false)
  expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '已超过 15 分钟，请联系工作人员更正' }))
  page.detach()
})

test('red answers: cancelled, wrong session (where to go), not allowed here', async () => {
  stubRequest({
    'GET /api/v1/sessions/11/checkin/stats': STATS,
    'POST /api/v1/checkin/scan': [
      { data: answer({ result: 'cancelled', colour: 'red', checkin_id: null, message: '这张票对应的预约已取消，不能入场' }) },
      { data: answer({ result: 'wrong_session', colour: 'red', checkin_id: null, message: '不是这一场', expected: { session_id: 12, title: '合唱入门', starts_at: '2099-12-06T11:30:00Z', unit_name: '莲花分馆' } }) },
      apiError(403, 'not_assigned', '您没有被安排在这一场签到')
    ]
  })
  scanning([T1, T2, T3])
  const page = loadPage(ROUTE, { query: QUERY })
  const r = () => page.querySelector('.result')
  await tap(page, '.scan-btn')
  await waitFor(() => page.data.view && page.data.view.result === 'cancelled')
  expect([text(r(), '.result-title'), text(r(), '.result-detail')]).toEqual(['已取消', '这张票对应的预约已取消，不能入场'])
  expect(r().querySelector('.overlay').dom.className).toContain('tone-red')
  r().querySelector('.result-next').dispatchEvent('tap')
  await waitFor(() => page.data.view.result === 'wrong_session')
  expect([text(r(), '.result-title'), text(r(), '.result-detail')]).toEqual(['不是这一场', '请到 莲花分馆（12月6日（周日）19:30）'])
  r().querySelector('.result-next').dispatchEvent('tap')
  await waitFor(() => page.data.view.result === 'error')
  expect([text(r(), '.result-title'), text(r(), '.result-detail')]).toEqual(['无法核验', '您没有被安排在这一场签到'])
  r().querySelector('.result-close').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(r().querySelector('.overlay')).toBeUndefined()
  page.detach()
})

test('no signal and no list: 网络不畅; 重试 sends the same nonce again', async () => {
  const req = stubRequest({
    'GET /api/v1/sessions/11/checkin/stats': { networkError: 'offline' },
    'POST /api/v1/checkin/scan': [{ networkError: 'offline' }, { networkError: 'offline' }, { data: answer() }]
  })
  scanning([T1])
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.statsStatus === 'error')
  expect(text(page, '.live .state >>> .state-text')).toMatch(/网络不畅，人数暂时看不到/)
  await tap(page, '.scan-btn')
  await waitFor(() => page.data.showResult)
  expect(page.data.view).toMatchObject({ title: '网络不畅', canRetry: true })
  page.querySelector('.result').querySelector('.result-retry').dispatchEvent('tap')
  await waitFor(() => page.data.view.result === 'admitted')
  const nonces = req.calls.filter((c) => c.path === '/api/v1/checkin/scan').map((c) => c.data.nonce)
  expect(nonces).toHaveLength(3) // the automatic retry, then 重试
  expect(new Set(nonces).size).toBe(1)
  page.detach()
})

test('weak signal: download the list; offline scans are checked against it, queued, and synced when the network is back; conflicts are listed', async () => {
  let online = true
  const off = { networkError: 'net::ERR_INTERNET_DISCONNECTED' }
  const req = stubRequest({
    'GET /api/v1/sessions/11/checkin/stats': () => (online ? STATS : off),
    'GET /api/v1/sessions/11/checkin-list': { data: list() },
    'POST /api/v1/checkin/scan': () => (online ? { data: answer() } : off),
    'POST /api/v1/sessions/11/checkin/sync': () => (online ? {
      data: { answers: [
        { result: 'admitted', message: '已同步：离线核验入场', colour: 'green', holder_masked: '王*' },
        { result: 'conflict', message: '这张票已由另一台设备核验，已记录待工作人员处理', colour: 'amber', holder_masked: '李*', admitted_at: '2099-12-05T11:00:00Z' }
      ] }
    } : off)
  })
  const modal = stubModal([true])
  scanning([T1, T2, T2, T3])
  const page = loadPage(ROUTE, { query: QUERY })
  expect(text(page, '.list-none')).toMatch(/还没有下载离线名单/)
  await tap(page, '.download-btn')
  await waitFor(() => page.data.list)
  expect(text(page, '.list-info')).toBe('离线名单已下载：2 人，12月5日（周六）22:00 前有效')

  online = false
  const r = () => page.querySelector('.result')
  await tap(page, '.scan-btn')
  await waitFor(() => page.data.showResult)
  expect(text(r(), '.offline-badge')).toBe('离线核验')
  expect([text(r(), '.result-title'), text(r(), '.result-detail')]).toEqual(['离线核验通过', '王*（本人）'])
  r().querySelector('.result-next').dispatchEvent('tap')
  await waitFor(() => page.data.pendingCount === 2)
  expect(text(r(), '.result-detail')).toBe('李*（家庭成员）')
  expect(text(page, '.pending-text')).toBe('待同步 2 条')
  r().querySelector('.result-next').dispatchEvent('tap') // the same ticket again
  await waitFor(() => page.data.view.result === 'offline_duplicate')
  expect(text(r(), '.result-title')).toBe('已入场')
  r().querySelector('.result-next').dispatchEvent('tap') // not on the list
  await waitFor(() => page.data.view.result === 'offline_unknown')
  expect(text(r(), '.result-title')).toBe('名单中没有')
  r().querySelector('.result-close').dispatchEvent('tap')
  expect(page.data.pendingCount).toBe(2)
  const queued = storage().ch_checkin_queue
  expect(queued.map((x) => x.token)).toEqual([T1, T2])
  // the nonce queued is the one the failed online attempt used
  const tried = req.calls.filter((c) => c.path === '/api/v1/checkin/scan').map((c) => c.data.nonce)
  expect(queued[0].nonce).toBe(tried[1])

  // the network comes back: WeChat tells the page, the queue goes up by itself
  online = true
  network.forEach((fn) => fn({ isConnected: true, networkType: 'wifi' }))
  await waitFor(() => page.data.pendingCount === 0 && page.data.issues.length === 1)
  const sync = req.calls.filter((c) => c.path === '/api/v1/sessions/11/checkin/sync' && c.data.scans.length === 2).pop()
  expect(sync.data.scans.map((s) => s.token)).toEqual([T1, T2])
  expect(text(page, '.issues .section-title')).toBe('同步发现的问题（1）')
  expect(text(page, '.issue-holder')).toMatch(/^李\* · 离线核验于 \d\d:\d\d$/)
  expect(text(page, '.issue-message')).toBe('这张票已由另一台设备核验，已记录待工作人员处理')
  await waitFor(() => modal.mock.calls.length === 1)
  expect(modal.mock.calls[0][0].content).toBe('已同步 1 条。1 条需要工作人员核对，见“同步发现的问题”。')
  // cleared once staff know
  stubModal([true])
  await tap(page, '.clear-issues')
  await waitFor(() => page.data.issues.length === 0)
  page.detach()
  expect(wx.offNetworkStatusChange).toHaveBeenCalledWith(network[0])
})

test('head count at a walk-in event: the same nonce on a retry, a new one for the next entry', async () => {
  const req = stubRequest({
    'GET /api/v1/sessions/11/checkin/stats': { data: { session_id: 11, capacity: null, booked: 0, admitted: 0, walk_ins: 5, open_conflicts: 0 } },
    'POST /api/v1/sessions/11/headcount': [{ networkError: 'offline' }, { data: { session_id: 11, walk_ins: 17 } }, { data: { session_id: 11, walk_ins: 20 } }]
  })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.statsStatus === 'ok')
  expect(text(page, '.walkins-total')).toBe('已登记 5 人')
  page.querySelector('.head-input').dispatchEvent('input', { detail: { value: '0' } })
  await tap(page, '.head-btn')
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请填写 1 到 10000 之间的人数' }))
  page.querySelector('.head-input').dispatchEvent('input', { detail: { value: '12' } })
  await tap(page, '.head-btn')
  await waitFor(() => page.data.walkIns === 17)
  expect(text(page, '.stat-walkins')).toBe('17')
  page.querySelector('.head-input').dispatchEvent('input', { detail: { value: '3' } })
  await tap(page, '.head-btn')
  await waitFor(() => page.data.walkIns === 20)
  const posts = req.calls.filter((c) => c.path.endsWith('/headcount'))
  expect(posts.map((c) => c.data.count)).toEqual([12, 12, 3])
  expect(posts[0].data.nonce).toBe(posts[1].data.nonce)
  expect(posts[2].data.nonce).not.toBe(posts[1].data.nonce)
  page.detach()
})

test('a cancelled scan does nothing; without a session the page says where to come from', async () => {
  stubRequest({ 'GET /api/v1/sessions/11/checkin/stats': STATS })
  spyWx('scanCode').mockImplementation((o) => setTimeout(() => o.fail({ errMsg: 'scanCode:fail cancel' }), 0))
  const page = loadPage(ROUTE, { query: QUERY })
  await tap(page, '.scan-btn')
  await simulate.sleep(5)
  expect(page.data.showResult).toBe(false)
  page.detach()
  const none = loadPage(ROUTE, { query: {} })
  expect(text(none, '.live .state >>> .state-text')).toMatch(/缺少场次信息/)
})

test('pull-to-refresh reloads the counts', async () => {
  const req = stubRequest({ 'GET /api/v1/sessions/11/checkin/stats': [STATS, { data: Object.assign({}, STATS.data, { admitted: 9 }) }] })
  const stop = spyWx('stopPullDownRefresh').mockImplementation(() => {})
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.statsStatus === 'ok')
  await page.instance.onPullDownRefresh()
  expect(text(page, '.stat-admitted')).toBe('9')
  expect(stop).toHaveBeenCalled()
  expect(req.calls.length).toBe(2)
  page.detach()
})

test('told three ways: a large ✓ / ! / ✗, a vibration per outcome, and an optional sound per outcome', async () => {
  const audio = []
  spyWx('createInnerAudioContext').mockImplementation(() => {
    const a = { src: '', play: jest.fn(), destroy: jest.fn(), onEnded: jest.fn(), onError: jest.fn() }
    audio.push(a)
    return a
  })
  stubRequest({
    'GET /api/v1/sessions/11/checkin/stats': STATS,
    'POST /api/v1/checkin/scan': [
      { data: answer() },
      { data: answer({ result: 'cancelled', colour: 'red', message: '这张票对应的预约已取消，不能入场', checkin_id: null }) }
    ]
  })
  scanning([T1, T2])
  const page = loadPage(ROUTE, { query: QUERY })
  expect(page.querySelector('.sound-switch')).toBeDefined()
  await tap(page, '.scan-btn')
  await waitFor(() => page.data.view && page.data.view.result === 'admitted')
  const r = page.querySelector('.result')
  expect(text(r, '.result-symbol')).toBe('✓')
  expect(wx.vibrateShort).toHaveBeenCalledTimes(1)
  expect(audio).toHaveLength(0) // the sound is off until switched on
  page.querySelector('.sound-switch').dispatchEvent('change', { detail: { value: true } })
  await simulate.sleep(0)
  expect(storage().ch_scan_sound).toBe(true)
  r.querySelector('.result-next').dispatchEvent('tap')
  await waitFor(() => page.data.view.result === 'cancelled')
  expect(text(r, '.result-symbol')).toBe('✗')
  expect(r.querySelector('.overlay').dom.className).toContain('tone-red')
  expect(wx.vibrateLong).toHaveBeenCalledTimes(1)
  expect(audio.map((a) => a.src)).toEqual(['/sounds/bad.wav'])
  expect(audio[0].play).toHaveBeenCalled()
  page.detach()
})

describe('staff at the door', () => {
  const STAFF_ROLE = [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }]
  const HITS = { data: { items: [
    { booking_id: 31, holder_masked: '王*明', phone_masked: '135****8000', status: 'confirmed', checked_in: false },
    { booking_id: 32, holder_masked: '王*明', phone_masked: '135****8000', status: 'waitlisted', checked_in: false }
  ] } }

  test('a volunteer sees neither the look-up nor the conflicts (the server refuses them)', async () => {
    const req = stubRequest({ 'GET /api/v1/sessions/11/checkin/stats': STATS })
    const page = loadPage(ROUTE, { query: QUERY })
    await waitFor(() => page.data.statsStatus === 'ok')
    expect(page.querySelector('.lookup')).toBeUndefined()
    expect(req.calls.some((c) => c.path.endsWith('/conflicts'))).toBe(false)
    page.detach()
  })

  test('a resident without a phone: name + last 4 digits → her booking → 人工核验 (confirmed) → green answer', async () => {
    signedIn({ roles: STAFF_ROLE })
    const modal = stubModal([true])
    const req = stubRequest({
      'GET /api/v1/sessions/11/checkin/stats': STATS,
      'GET /api/v1/sessions/11/checkin/conflicts': { data: { items: [] } },
      'GET /api/v1/sessions/11/checkin/lookup': [{ data: { items: [] } }, HITS],
      'POST /api/v1/sessions/11/checkin/manual': { data: answer({ holder_masked: '王*明', message: '已由工作人员核验入场', admitted_count: 5 }) }
    })
    const page = loadPage(ROUTE, { query: QUERY })
    await waitFor(() => page.data.statsStatus === 'ok')
    await tap(page, '.lookup-btn')
    expect(text(page, '.lookup-error')).toBe('请填写居民的姓名（与预约时的称呼或家庭成员姓名一致）')
    page.querySelector('.lookup-name').dispatchEvent('input', { detail: { value: '王小明' } })
    page.querySelector('.lookup-last4').dispatchEvent('input', { detail: { value: '80' } })
    await tap(page, '.lookup-btn')
    expect(text(page, '.lookup-error')).toBe('请填写居民账号绑定手机号的后 4 位数字')
    expect(req.calls.filter((c) => c.path.endsWith('/lookup'))).toHaveLength(0)
    page.querySelector('.lookup-last4').dispatchEvent('input', { detail: { value: '8000' } })
    await tap(page, '.lookup-btn')
    await waitFor(() => page.data.hits)
    expect(text(page, '.lookup-none')).toBe('本场没有找到这位居民的预约。请核对姓名和手机号后 4 位。')
    await tap(page, '.lookup-btn')
    await waitFor(() => page.data.hits.length === 2)
    expect(req.calls.filter((c) => c.path.endsWith('/lookup')).map((c) => c.query)).toEqual([
      { name: '王小明', phone_last4: '8000' }, { name: '王小明', phone_last4: '8000' }
    ])
    expect(texts(page, '.hit-holder')).toEqual(['王*明 135****8000', '王*明 135****8000'])
    expect(texts(page, '.hit-status')).toEqual(['已预约', '候补中'])
    expect(page.querySelectorAll('.manual-btn')).toHaveLength(1) // a waitlisted booking has no seat to admit
    await tap(page, '.manual-btn')
    await waitFor(() => page.data.showResult)
    expect(modal.mock.calls[0][0].content).toBe('确认让 王*明（135****8000） 入场？已核对姓名和手机号后 4 位。')
    expect(req.calls.find((c) => c.path.endsWith('/manual')).data).toEqual({ booking_id: 31 })
    const r = page.querySelector('.result')
    expect(text(r, '.result-symbol')).toBe('✓')
    expect(text(r, '.result-title')).toBe('核验通过')
    expect(texts(page, '.hit-status')[0]).toBe('已入场')
    expect(text(page, '.stat-admitted')).toBe('5')
    page.detach()
  })

  test('offline-sync conflicts are listed and marked handled with what was found', async () => {
    signedIn({ roles: STAFF_ROLE })
    const conflict = { id: 4, booking_id: 31, checkin_id: 8, holder_masked: '李*', first_admitted_at: '2099-12-05T11:05:00Z', second_scanned_at: '2099-12-05T11:20:00Z', resolved_at: null, resolution: null }
    const req = stubRequest({
      'GET /api/v1/sessions/11/checkin/stats': STATS,
      'GET /api/v1/sessions/11/checkin/conflicts': [
        { data: { items: [conflict] } },
        { data: { items: [Object.assign({}, conflict, { resolved_at: '2099-12-05T12:00:00Z', resolution: '同一人重复扫码' })] } }
      ],
      'POST /api/v1/checkin/conflicts/4/resolve': { data: { ok: true } }
    })
    const modal = stubModal([{ confirm: true, content: '  ' }, { confirm: true, content: '同一人重复扫码' }])
    const page = loadPage(ROUTE, { query: QUERY })
    await waitFor(() => page.data.conflicts.length === 1)
    expect(text(page, '.conflicts-card .section-title')).toBe('离线同步冲突（待处理 1 条）')
    expect(text(page, '.conflict-holder')).toBe('李*')
    expect(text(page, '.conflict-times')).toBe('先入场 19:05 · 另一台设备 19:20')
    await tap(page, '.resolve-btn')
    await simulate.sleep(5)
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请写明核实结果' }))
    await tap(page, '.resolve-btn')
    await waitFor(() => page.data.resolvedCount === 1)
    expect(modal.mock.calls[1][0].confirmText).toBe('标记处理')
    expect(req.calls.find((c) => c.path === '/api/v1/checkin/conflicts/4/resolve').data).toEqual({ resolution: '同一人重复扫码' })
    expect(page.querySelector('.conflict')).toBeUndefined()
    expect(text(page, '.conflicts-resolved')).toBe('已处理 1 条')
    page.detach()
  })
})

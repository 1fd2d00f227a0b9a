// pages/staff/photos — after a session, staff attach photos with a note (活动照片台账).
const { loadPage, openUrl, waitFor, text, texts, tap, stubRequest, apiError, signedIn, resetStorage, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/staff/photos'
const HOUR = 3600e3

function session(extra) {
  const start = new Date(Date.now() - 3 * HOUR).toISOString()
  const end = new Date(Date.now() - 2 * HOUR).toISOString()
  return Object.assign({ session_id: 41, activity_id: 7, title: '书法讲座', kind: 'lecture', booking_mode: 'none', is_course: false, lesson_no: 1, unit_id: 27, unit_name: '红荔服务点', room: '书画室', starts_at: start, ends_at: end, capacity: null, booked: 0 }, extra || {})
}
const later = () => session({ session_id: 42, title: '晚间演出', starts_at: new Date(Date.now() + HOUR).toISOString(), ends_at: new Date(Date.now() + 2 * HOUR).toISOString() })
function photo(id, note) {
  return { id: id, session_id: 41, file_id: 100 + id, url: '/api/v1/files/' + (100 + id), thumb_url: '/api/v1/files/' + (100 + id) + '/thumb', note: note, added_by: '张*', created_at: '2026-12-01T08:00:00Z' }
}

let files
beforeEach(() => {
  resetStorage()
  signedIn({ roles: [{ grant_id: 3, role: 'point_coordinator', role_label: '服务点文体协管员', unit_id: 27, unit_name: '红荔服务点' }] })
  spyWx('showToast').mockImplementation(() => {})
  spyWx('downloadFile').mockImplementation((o) => setTimeout(() => o.success({ statusCode: 200, tempFilePath: 'wxfile://thumb-' + o.url.split('/').slice(-2)[0] }), 0))
  files = {}
  spyWx('getFileSystemManager').mockImplementation(() => ({
    readFile: (o) => setTimeout(() => (files[o.filePath] ? o.success({ data: files[o.filePath] }) : o.fail({ errMsg: 'readFile:fail no such file' })), 0)
  }))
})

test('only ended sessions are listed; picking one shows its thumbnails, fetched with the token', async () => {
  const req = stubRequest({
    'GET /api/v1/manage/sessions': { data: { date: '2026-12-01', truncated: false, items: [session(), later()] } },
    'GET /api/v1/sessions/41/evidence': { data: { session_id: 41, held: true, items: [photo(1, '签到处'), photo(2, '')] } }
  })
  const page = loadPage(ROUTE, { query: { unit_id: '27', unit_name: encodeURIComponent('红荔服务点') } })
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0].query.unit_id).toBe('27')
  expect(texts(page, '.session-title')).toEqual(['书法讲座'])
  await tap(page, '.session')
  await waitFor(() => page.data.photos.length === 2 && page.data.photos.every((p) => p.src))
  expect(page.data.photos.map((p) => p.src)).toEqual(['wxfile://thumb-101', 'wxfile://thumb-102'])
  const dl = wx.downloadFile.mock.calls[0][0]
  expect(dl.url).toMatch(/\/api\/v1\/files\/101\/thumb$/)
  expect(dl.header.Authorization).toBe('Bearer test-token')
  expect(texts(page, '.thumb-note')).toEqual(['签到处'])
  expect(text(page, '.session-count')).toBe('2 张')
})

test('photos go up one by one with the note, the progress is shown, the list reloads', async () => {
  files['wxfile://a.jpg'] = new Uint8Array([0xff, 0xd8, 0xff, 1]).buffer
  files['wxfile://b.png'] = new Uint8Array([0x89, 0x50, 0x4e, 0x47]).buffer
  let nextFile = 500
  const progress = []
  const req = stubRequest({
    'GET /api/v1/manage/sessions': { data: { date: '2026-12-01', truncated: false, items: [session()] } },
    'GET /api/v1/sessions/41/evidence': [
      { data: { session_id: 41, held: true, items: [] } },
      { data: { session_id: 41, held: true, items: [photo(1, '活动现场'), photo(2, '活动现场')] } }
    ],
    'POST /api/v1/files': () => {
      progress.push(page.data.progressText)
      return { data: { id: ++nextFile, url: '/api/v1/files/' + nextFile, thumb_url: '/api/v1/files/' + nextFile + '/thumb', width: 10, height: 10, bytes: 4, content_type: 'image/jpeg', visibility: 'staff' } }
    },
    'POST /api/v1/sessions/41/evidence': (o) => ({ data: photo(o.data.file_id, o.data.note) })
  })
  spyWx('chooseMedia').mockImplementation((o) => setTimeout(() => o.success({ type: 'image', tempFiles: [{ tempFilePath: 'wxfile://a.jpg', size: 4, fileType: 'image' }, { tempFilePath: 'wxfile://b.png', size: 4, fileType: 'image' }] }), 0))
  // Opened from 今日场次 for one session: it is picked already.
  const page = loadPage(ROUTE, { query: { unit_id: '27', session_id: '41' } })
  await waitFor(() => page.data.current === 41)
  expect(text(page, '.no-photos')).toBe('这一场还没有照片')
  page.instance.onNote({ detail: { value: ' 活动现场 ' } })
  await tap(page, '.add-photos')
  await waitFor(() => page.data.photos.length === 2)
  const chosen = wx.chooseMedia.mock.calls[0][0]
  expect(chosen.mediaType).toEqual(['image'])
  expect(chosen.sourceType).toEqual(['album', 'camera'])
  const uploads = req.calls.filter((c) => c.path === '/api/v1/files')
  expect(uploads.map((c) => c.query)).toEqual([{ unit_id: '27', visibility: 'staff' }, { unit_id: '27', visibility: 'staff' }])
  expect(uploads.map((c) => c.header['content-type'])).toEqual(['image/jpeg', 'image/png'])
  expect(uploads[0].data).toBe(files['wxfile://a.jpg'])
  expect(req.calls.filter((c) => c.path === '/api/v1/sessions/41/evidence' && c.method === 'POST').map((c) => c.data)).toEqual([
    { file_id: 501, note: '活动现场' }, { file_id: 502, note: '活动现场' }
  ])
  expect(progress).toEqual(['正在上传第 1 / 2 张', '正在上传第 2 / 2 张'])
  expect(page.data.uploading).toBe(false)
  expect(page.data.percent).toBe(100)
  expect(page.data.note).toBe('')
  expect(wx.showToast).toHaveBeenCalledWith({ title: '已上传 2 张', icon: 'none' })
})

test('a refused photo stops the upload and says which; those before it are kept', async () => {
  files['wxfile://a.jpg'] = new ArrayBuffer(4)
  files['wxfile://b.gif'] = new ArrayBuffer(4)
  let n = 0
  const req = stubRequest({
    'GET /api/v1/manage/sessions': { data: { date: '2026-12-01', truncated: false, items: [session()] } },
    'GET /api/v1/sessions/41/evidence': { data: { session_id: 41, held: true, items: [] } },
    'POST /api/v1/files': () => (++n === 1
      ? { data: { id: 600, url: '/api/v1/files/600', thumb_url: '/api/v1/files/600/thumb', width: 1, height: 1, bytes: 4, content_type: 'image/jpeg', visibility: 'staff' } }
      : apiError(415, 'unsupported_image', '只能上传 JPEG、PNG 或 WebP 图片')),
    'POST /api/v1/sessions/41/evidence': { data: photo(1, '') }
  })
  spyWx('chooseMedia').mockImplementation((o) => setTimeout(() => o.success({ tempFiles: [{ tempFilePath: 'wxfile://a.jpg' }, { tempFilePath: 'wxfile://b.gif' }, { tempFilePath: 'wxfile://c.jpg' }] }), 0))
  const page = loadPage(ROUTE, { query: { unit_id: '27', session_id: '41' } })
  await waitFor(() => page.data.current === 41)
  await tap(page, '.add-photos')
  await waitFor(() => page.data.failed !== '' && !page.data.uploading)
  expect(text(page, '.upload-failed')).toBe('第 2 张没有传上去：只能上传 JPEG、PNG 或 WebP 图片（前 1 张已保存）')
  expect(req.calls.filter((c) => c.path === '/api/v1/files').length).toBe(2)
  expect(req.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/evidence')).length).toBe(1)
})

test('no ended session that day is an empty state; another day can be picked; errors are shown', async () => {
  const req = stubRequest({
    'GET /api/v1/manage/sessions': [
      { data: { date: '2026-12-01', truncated: false, items: [later()] } },
      { data: { date: '2026-11-30', truncated: false, items: [session()] } },
      apiError(403, 'forbidden', '没有权限进行此操作')
    ]
  })
  const page = loadPage(ROUTE, { query: { unit_id: '27' } })
  await waitFor(() => page.data.status === 'empty')
  expect(text(page, '.state >>> .state-text')).toBe('这一天没有已结束的场次')
  await page.instance.onDay({ detail: { value: '2026-11-30' } })
  expect(req.calls[1].query.date).toBe('2026-11-30')
  expect(page.data.status).toBe('ok')
  await page.instance.load('2026-11-29')
  expect(page.data.status).toBe('error')
  expect(page.data.message).toBe('没有权限进行此操作')
})

test('entries: the staff page for those who run activities; 今日场次 links ended sessions here', async () => {
  const roles = require('../../src/utils/roles')
  expect(roles.can([{ role: 'point_coordinator', unit_id: 27 }], 'photos', 27)).toBe(true)
  expect(roles.can([{ role: 'evaluator', unit_id: 1 }], 'photos', 1)).toBe(false)
  stubRequest({
    'GET /api/v1/manage/sessions': { data: { date: '2026-12-01', truncated: false, items: [session(), later()] } },
    'GET /api/v1/sessions/41/checkin/stats': { data: { session_id: 41, capacity: null, booked: 0, admitted: 0, walk_ins: 3, open_conflicts: 0 } },
    'GET /api/v1/sessions/42/checkin/stats': { data: { session_id: 42, capacity: null, booked: 0, admitted: 0, walk_ins: 0, open_conflicts: 0 } },
    'GET /api/v1/sessions/41/evidence': { data: { session_id: 41, held: true, items: [] } }
  })
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const today = loadPage('pages/staff/today', { query: { unit_id: '27' } })
  await waitFor(() => today.data.status === 'ok')
  expect(today.querySelectorAll('.photos-btn').length).toBe(1) // only the session that has ended
  await tap(today, '.photos-btn')
  const url = nav.mock.calls[0][0].url
  expect(url).toBe('/pages/staff/photos?unit_id=27&session_id=41')
  const page = openUrl(url)
  await waitFor(() => page.data.current === 41)
  expect(text(page, '.evidence-title')).toMatch(/^书法讲座 · /)
})

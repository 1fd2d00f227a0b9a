// 活动照片 (staff): after a session, attach photos with a short note as its evidence for the
// ledger (活动照片台账, docs/plans.md). The sessions are those of my unit and the units below it
// on one China date (default today) that have ended; a photo is read from the chosen file,
// uploaded as a staff-only image (POST /files, the image itself as the body — the server
// re-encodes it without EXIF/GPS) and attached to the session (POST /sessions/{id}/evidence).
// Photos go up one at a time with the progress shown (第 i / n 张); a failure stops there and
// says which, keeping those already attached. Thumbnails are staff-only, so they are fetched
// with the session token (wx.downloadFile) rather than by URL.
const api = require('../../api/index')
const format = require('../../utils/format')
const config = require('../../config')
const session = require('../../utils/session')
const staff = require('../../utils/staff')
const display = require('../../utils/display')

// At most this many photos per pick (the server keeps up to 30 per session).
const PICK_MAX = 9

function contentType(path) {
  const p = String(path || '').toLowerCase()
  if (/\.png$/.test(p)) return 'image/png'
  if (/\.webp$/.test(p)) return 'image/webp'
  return 'image/jpeg'
}

function readFile(path) {
  return new Promise(function (resolve, reject) {
    wx.getFileSystemManager().readFile({
      filePath: path,
      success: function (r) { resolve(r.data) },
      fail: function () { reject(new Error('读取照片失败')) }
    })
  })
}

// A staff-only thumbnail, downloaded with the session token; '' when it cannot be fetched.
function thumb(url) {
  return new Promise(function (resolve) {
    wx.downloadFile({
      url: config.baseUrl + url,
      header: { Authorization: 'Bearer ' + session.token() },
      success: function (r) { resolve(r.statusCode === 200 ? r.tempFilePath : '') },
      fail: function () { resolve('') }
    })
  })
}

function held(s, now) {
  return new Date(s.ends_at).getTime() <= now
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    unit: null,
    day: '',
    today: '',
    dayLabel: '',
    status: 'loading',
    message: '',
    sessions: [],
    current: null,
    currentTitle: '',
    photos: [],
    note: '',
    uploading: false,
    percent: 0,
    progressText: '',
    failed: ''
  },

  onLoad: function (query) {
    const unit = staff.unitFrom(query)
    if (!unit) {
      this.setData({ status: 'error', message: '没有可用的单位，请从“工作人员”进入' })
      return
    }
    const today = format.chinaDate()
    this.wanted = Number(query.session_id) || null
    this.setData({ unit: unit, today: today })
    this.load(query.date || today)
  },

  onPullDownRefresh: function () {
    return this.load(this.data.day).then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function (day) {
    const self = this
    this.setData({
      day: day,
      dayLabel: format.formatDate(day + 'T12:00:00+08:00') + (day === this.data.today ? '（今天）' : ''),
      status: 'loading',
      current: null,
      photos: []
    })
    return api.manageSessions({ unit_id: this.data.unit.unitId, date: day }, { showError: false }).then(function (res) {
      const now = Date.now()
      const sessions = (res.items || []).filter(function (s) {
        return held(s, now)
      }).map(function (s) {
        return {
          sessionId: s.session_id,
          unitId: s.unit_id,
          title: s.title + (s.is_course ? '（第 ' + s.lesson_no + ' 课）' : ''),
          time: format.formatClock(s.starts_at) + '–' + format.formatClock(s.ends_at),
          place: s.unit_name + (s.room ? ' · ' + s.room : ''),
          count: null
        }
      })
      self.setData({
        sessions: sessions,
        status: sessions.length ? 'ok' : 'empty',
        message: sessions.length ? '' : '这一天没有已结束的场次'
      })
      const wanted = self.wanted && sessions.filter(function (s) { return s.sessionId === self.wanted })[0]
      self.wanted = null
      if (wanted) return self.select(wanted.sessionId)
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onDay: function (e) {
    return this.load(e.detail.value)
  },

  onSession: function (e) {
    if (this.data.uploading) return
    return this.select(Number(e.currentTarget.dataset.id))
  },

  select: function (sessionId) {
    const self = this
    const s = this.data.sessions.filter(function (x) { return x.sessionId === sessionId })[0]
    if (!s) return Promise.resolve()
    this.setData({ current: sessionId, currentTitle: s.title + ' · ' + s.time, photos: [], failed: '' })
    return this.loadPhotos()
  },

  loadPhotos: function () {
    const self = this
    const sessionId = this.data.current
    return api.evidenceList(sessionId, { showError: 'toast' }).then(function (r) {
      if (self.data.current !== sessionId) return
      const photos = (r.items || []).map(function (p) {
        return { id: p.id, note: p.note, url: p.thumb_url, src: '' }
      })
      const idx = self.data.sessions.findIndex(function (x) { return x.sessionId === sessionId })
      const patch = { photos: photos }
      if (idx >= 0) patch['sessions[' + idx + '].count'] = photos.length
      self.setData(patch)
      return Promise.all(photos.map(function (p, i) {
        return thumb(p.url).then(function (src) {
          if (self.data.current === sessionId && src) {
            const one = {}
            one['photos[' + i + '].src'] = src
            self.setData(one)
          }
        })
      }))
    }, function () {})
  },

  onNote: function (e) {
    this.setData({ note: e.detail.value })
  },

  onAdd: function () {
    const self = this
    if (this.data.uploading || !this.data.current) return
    wx.chooseMedia({
      count: PICK_MAX,
      mediaType: ['image'],
      sourceType: ['album', 'camera'],
      sizeType: ['compressed'],
      success: function (res) {
        self.upload((res.tempFiles || []).map(function (f) { return f.tempFilePath }))
      }
    })
  },

  // One photo after another: read, upload as a staff-only file of the session's unit, attach.
  upload: async function (paths) {
    if (!paths.length) return
    const sessionId = this.data.current
    const s = this.data.sessions.filter(function (x) { return x.sessionId === sessionId })[0]
    const note = this.data.note.trim()
    const total = paths.length
    this.setData({ uploading: true, failed: '', percent: 0, progressText: '正在上传第 1 / ' + total + ' 张' })
    let done = 0
    for (const path of paths) {
      this.setData({ progressText: '正在上传第 ' + (done + 1) + ' / ' + total + ' 张' })
      try {
        const bytes = await readFile(path)
        const file = await api.fileUpload(s.unitId, bytes, contentType(path), { showError: false })
        await api.evidenceAttach(sessionId, file.id, note, { showError: false })
      } catch (err) {
        this.setData({ failed: '第 ' + (done + 1) + ' 张没有传上去：' + err.message + (done ? '（前 ' + done + ' 张已保存）' : '') })
        break
      }
      done++
      this.setData({ percent: Math.round((done * 100) / total) })
    }
    this.setData({ uploading: false, progressText: '', note: done === total ? '' : note })
    if (done) wx.showToast({ title: '已上传 ' + done + ' 张', icon: 'none' })
    return this.loadPhotos()
  },

  onStateAction: function () {
    this.load(this.data.day || this.data.today)
  }
}))

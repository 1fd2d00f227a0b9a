// 志愿服务证书: the service answers the facts (name, confirmed hours, milestone, issuer, a
// verification code anyone can check); the certificate is drawn here on a canvas with the
// phone's font and saved to the album (D253: the server renders no text).
const api = require('../../api/index')
const display = require('../../utils/display')
const vol = require('../../utils/volunteering')
const poster = require('../../utils/poster')

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    status: 'loading',
    message: '',
    cert: null,
    imagePath: '',
    busy: false
  },

  onLoad: function () {
    this.load()
  },

  load: function () {
    const self = this
    return api.volunteerCertificate({ showError: false }).then(function (c) {
      self.setData({
        status: 'ok',
        cert: { name: c.name, hours: c.hours, milestone: c.milestone_hours ? c.milestone_hours + ' 小时里程碑' : '', code: c.code, issuer: c.issuer },
        raw: c
      })
      return self.draw()
    }, function (err) {
      // 409 no_service_hours: nothing to certify yet — an empty state, not an error
      self.setData({ status: err.code === 'no_service_hours' ? 'empty' : 'error', message: err.message })
    })
  },

  draw: function () {
    const self = this
    return vol.drawCertificate(this, 'cert-canvas', vol.certificateLayout(this.data.raw)).then(function (path) {
      self.setData({ imagePath: path })
    }, function () {
      // no canvas here: the facts and the code stay readable on the page
      self.setData({ imagePath: '' })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  onSave: function () {
    if (!this.data.imagePath || this.data.busy) return Promise.resolve('none')
    const self = this
    this.setData({ busy: true })
    return poster.save(this.data.imagePath, { saved: '已保存', permissionContent: '保存证书需要允许“保存到相册”。可以在设置中打开。' }).then(function (r) {
      self.setData({ busy: false })
      return r
    })
  }
}))

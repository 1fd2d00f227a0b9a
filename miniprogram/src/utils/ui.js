// Promise helpers around WeChat's callback-style UI.
function confirm(options) {
  return new Promise(function (resolve) {
    wx.showModal(
      Object.assign({ title: '请确认', confirmText: '确定', cancelText: '取消' }, options, {
        success: function (res) {
          resolve(!!(res && res.confirm))
        },
        fail: function () {
          resolve(false)
        }
      })
    )
  })
}

function alert(content, title) {
  return new Promise(function (resolve) {
    wx.showModal({
      title: title || '提示',
      content: content,
      showCancel: false,
      confirmText: '知道了',
      complete: function () {
        resolve()
      }
    })
  })
}

module.exports = { confirm, alert }

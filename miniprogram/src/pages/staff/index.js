// 工作人员入口 — placeholder. Staff tools (activities, rosters, statistics) come later; this
// shows who the person is in the network.
const session = require('../../utils/session')

Page({
  data: { roles: [], signedIn: false },

  onShow: function () {
    const u = session.user()
    this.setData({
      signedIn: session.isSignedIn(),
      roles: ((u && u.roles) || []).map(function (r) {
        return { id: r.grant_id, role: r.role, text: r.role_label + ' · ' + r.unit_name }
      })
    })
  }
})

// A venue (branch 分馆 or service point 服务点): address, hours, phone, navigation.
const i18n = require('../../utils/i18n')

Component({
  behaviors: i18n.behavior ? [i18n.behavior] : [],
  options: { styleIsolation: 'apply-shared' },
  properties: {
    unit: { type: Object, value: null },
    distance: { type: String, value: '' },
    canSetMine: { type: Boolean, value: false },
    isMine: { type: Boolean, value: false },
    canVote: { type: Boolean, value: false } // 文化菜单投票 for this venue (bind:menu)
  },
  methods: {
    onNavigate: function () {
      const u = this.data.unit
      if (!u) return
      if (u.lat === null || u.lat === undefined || u.lng === null || u.lng === undefined) {
        wx.showToast({ title: i18n.t('vc_no_location'), icon: 'none' })
        return
      }
      // GCJ-02, as the server stores it and wx.openLocation expects
      wx.openLocation({
        latitude: Number(u.lat),
        longitude: Number(u.lng),
        name: u.name,
        address: u.address,
        scale: 16
      })
      this.triggerEvent('navigate', { id: u.id })
    },
    onCall: function () {
      const u = this.data.unit
      if (u && u.phone) wx.makePhoneCall({ phoneNumber: u.phone })
    },
    onSetMine: function () {
      const u = this.data.unit
      if (u) this.triggerEvent('setmine', { id: u.id })
    },
    // 场地: the venue's rooms and their free/busy (pages/rooms/index).
    onRooms: function () {
      const u = this.data.unit
      if (u) wx.navigateTo({ url: '/pages/rooms/index?unit_id=' + u.id + '&name=' + encodeURIComponent(u.short_name || u.name) })
    },
    // 社团风采: the verified art teams of the venue (pages/teams/list).
    onTeams: function () {
      const u = this.data.unit
      if (u) wx.navigateTo({ url: '/pages/teams/list?unit_id=' + u.id + '&name=' + encodeURIComponent(u.short_name || u.name) })
    },
    onMenu: function () {
      const u = this.data.unit
      if (u) this.triggerEvent('menu', { id: u.id })
    }
  }
})

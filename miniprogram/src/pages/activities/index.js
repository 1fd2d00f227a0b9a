// 活动: browse by branch (分馆) or service point (服务点), kind and date; a venue's card
// with navigation (wx.openLocation); the list pages on as you scroll.
const api = require('../../api/index')
const config = require('../../config')
const storage = require('../../utils/storage')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

// Labels in the UI's language, made when needed (the language can change while the tab lives).
function allBranches() {
  return { id: null, label: i18n.t('act_all_branches') }
}
function allPoints() {
  return { id: null, label: i18n.t('act_all_points') }
}
function dates() {
  return ['all', 'today', 'weekend', 'week', 'month'].map(function (v) {
    return { value: v, label: i18n.t('act_date_' + v) }
  })
}
function kinds() {
  return [{ value: '', label: i18n.t('act_kind_all') }].concat(config.kinds.map(function (k) {
    return { value: k.value, label: i18n.t('kind_' + k.value) }
  }))
}

function unitLabel(u) {
  return u.short_name || u.name
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  tabPage: true, // the tab texts follow the language (utils/i18n)
  navTitleKey: 'nav_activities',
  data: {
    branches: [allBranches()],
    branchIndex: 0,
    points: [allPoints()],
    pointIndex: 0,
    kinds: kinds(),
    kind: '',
    dates: dates(),
    date: 'all',
    q: '',
    unit: null,
    isMine: false,
    items: [],
    page: 1,
    hasMore: false,
    loadingMore: false,
    status: 'loading',
    message: '',
    treeError: ''
  },

  // The language changed (我的 → 语言): relabel what this page made from the catalogue.
  onLanguage: function () {
    const b = this.data.branches.slice()
    const p = this.data.points.slice()
    b[0] = allBranches()
    p[0] = allPoints()
    this.setData({ branches: b, points: p, kinds: kinds(), dates: dates() })
  },

  onLoad: function () {
    const self = this
    this.onLanguage()
    this.units = {} // id → { unit, children }
    this.loadTree().then(function () {
      self.applyPendingUnit()
      self.load()
    })
  },

  onShow: function () {
    const app = getApp()
    if (app && app.globalData && app.globalData.browseUnitId) {
      this.pendingUnitId = app.globalData.browseUnitId
      app.globalData.browseUnitId = null
      if (this.treeLoaded) {
        this.applyPendingUnit()
        this.load()
      }
    }
  },

  onPullDownRefresh: function () {
    const self = this
    const tree = this.treeLoaded ? Promise.resolve() : this.loadTree()
    return tree
      .then(function () {
        return self.load()
      })
      .then(function () {
        wx.stopPullDownRefresh()
      })
  },

  onReachBottom: function () {
    if (this.data.hasMore && !this.data.loadingMore && this.data.status === 'ok') this.load(true)
  },

  loadTree: function () {
    const self = this
    return api.orgTree({ showError: false }).then(
      function (roots) {
        const branches = [allBranches()]
        const walk = function (node, parent) {
          self.units[node.unit.id] = { unit: node.unit, children: node.children || [], parentId: parent }
          ;(node.children || []).forEach(function (c) {
            walk(c, node.unit.id)
          })
        }
        ;(roots || []).forEach(function (root) {
          walk(root, null)
          branches.push({ id: root.unit.id, label: unitLabel(root.unit) })
          ;(root.children || []).forEach(function (c) {
            if (c.unit.level !== 'point') branches.push({ id: c.unit.id, label: unitLabel(c.unit) })
          })
        })
        self.treeLoaded = true
        self.setData({ branches: branches, treeError: '' })
      },
      function (err) {
        // browsing still works without the venue list
        self.setData({ treeError: err.message })
      }
    )
  },

  // Select a unit by id (a branch, or a point under its branch).
  selectUnit: function (id) {
    const entry = this.units[id]
    if (!entry) return false
    let branchId = id
    let pointId = null
    if (entry.unit.level === 'point' && entry.parentId) {
      branchId = entry.parentId
      pointId = id
    }
    const branchIndex = this.data.branches.findIndex(function (b) {
      return b.id === branchId
    })
    if (branchIndex < 0) return false
    const points = this.pointsOf(branchId)
    const pointIndex = pointId
      ? Math.max(0, points.findIndex(function (p) {
        return p.id === pointId
      }))
      : 0
    this.setData({ branchIndex: branchIndex, points: points, pointIndex: pointIndex })
    this.showUnit()
    return true
  },

  applyPendingUnit: function () {
    if (this.pendingUnitId) {
      this.selectUnit(this.pendingUnitId)
      this.pendingUnitId = null
    }
  },

  pointsOf: function (branchId) {
    const entry = branchId ? this.units[branchId] : null
    const points = [allPoints()]
    if (entry) {
      entry.children.forEach(function (c) {
        if (c.unit.level === 'point') points.push({ id: c.unit.id, label: unitLabel(c.unit) })
      })
    }
    return points
  },

  selectedUnitId: function () {
    const point = this.data.points[this.data.pointIndex]
    if (point && point.id) return point.id
    const branch = this.data.branches[this.data.branchIndex]
    return branch ? branch.id : null
  },

  showUnit: function () {
    const id = this.selectedUnitId()
    const entry = id ? this.units[id] : null
    const mine = storage.get(storage.KEYS.myUnit, null)
    this.setData({
      unit: entry ? entry.unit : null,
      isMine: !!(entry && mine && mine.id === entry.unit.id)
    })
  },

  onBranchChange: function (e) {
    const branchIndex = Number(e.detail.value) || 0
    const branch = this.data.branches[branchIndex]
    this.setData({ branchIndex: branchIndex, points: this.pointsOf(branch && branch.id), pointIndex: 0 })
    this.showUnit()
    this.load()
  },

  onPointChange: function (e) {
    this.setData({ pointIndex: Number(e.detail.value) || 0 })
    this.showUnit()
    this.load()
  },

  onKind: function (e) {
    this.setData({ kind: e.currentTarget.dataset.value || '' })
    this.load()
  },

  onDate: function (e) {
    this.setData({ date: e.currentTarget.dataset.value || 'all' })
    this.load()
  },

  onQInput: function (e) {
    this.setData({ q: e.detail.value })
  },

  onSearch: function () {
    this.load()
  },

  onClearSearch: function () {
    this.setData({ q: '' })
    this.load()
  },

  query: function (page) {
    const q = Object.assign(
      {
        unit_id: this.selectedUnitId() || undefined,
        kind: this.data.kind || undefined,
        q: (this.data.q || '').trim() || undefined,
        page: page,
        page_size: config.pageSize
      },
      format.dateRange(this.data.date)
    )
    return q
  },

  load: function (more) {
    const self = this
    const page = more ? this.data.page + 1 : 1
    const seq = (this.seq = (this.seq || 0) + 1)
    if (more) this.setData({ loadingMore: true })
    else this.setData({ status: 'loading', message: '' })
    return api.activities(this.query(page), { showError: more ? 'toast' : false }).then(
      function (res) {
        if (seq !== self.seq) return
        const items = more ? self.data.items.concat(res.items) : res.items
        self.setData({
          items: items,
          page: page,
          hasMore: !!res.has_more,
          loadingMore: false,
          status: items.length ? 'ok' : 'empty',
          message: items.length ? '' : i18n.t('act_empty')
        })
      },
      function (err) {
        if (seq !== self.seq) return
        if (more) self.setData({ loadingMore: false })
        else self.setData({ status: 'error', message: err.message, items: [] })
      }
    )
  },

  onStateAction: function () {
    this.load()
  },

  onSetMine: function () {
    const u = this.data.unit
    if (!u) return
    storage.set(storage.KEYS.myUnit, { id: u.id, name: u.name, short_name: u.short_name })
    this.setData({ isMine: true })
    wx.showToast({ title: i18n.t('act_set_mine'), icon: 'success' })
  },

  // 文化菜单: vote for the main center's programmes at the venue on screen
  onMenu: function () {
    const u = this.data.unit
    if (!u) return
    wx.navigateTo({ url: '/pages/menu/index?unit_id=' + u.id + '&unit_name=' + encodeURIComponent(unitLabel(u)) })
  },

  onSelect: function (e) {
    const d = e.detail || {}
    wx.navigateTo({ url: '/pages/activity/detail?id=' + d.activityId + '&session=' + d.sessionId })
  }
}))

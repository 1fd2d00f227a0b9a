// 文化菜单（我想在家门口看到的节目）: the main center's cultural menu — performances, lectures,
// trainings it can bring to a branch or service point — and residents' votes for them at their
// point (GET /menu/items?unit_id: the count there and below; POST /menu/items/{id}/votes).
// The point is ?unit_id&unit_name (from the 活动 tab's venue card), else 我的分馆 (ch_my_unit),
// else the resident chooses one here (and it becomes 我的分馆).
const api = require('../../api/index')
const storage = require('../../utils/storage')
const ui = require('../../utils/ui')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

// '2026-03-01' → 2026年3月1日 (the end without its year when it is the same year)
function dayText(d, withYear) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(d || '')
  if (!m) return d || ''
  if (i18n.lang() === 'en') return Number(m[3]) + ' ' + MONTHS_EN[Number(m[2]) - 1] + (withYear ? ' ' + m[1] : '')
  return (withYear ? m[1] + '年' : '') + Number(m[2]) + '月' + Number(m[3]) + '日'
}

function periodText(start, end) {
  const sameYear = (start || '').slice(0, 4) === (end || '').slice(0, 4)
  return dayText(start, true) + i18n.t('mn_to') + dayText(end, !sameYear)
}

function unitLabel(u) {
  return u.short_name || u.name
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_menu',
  data: {
    status: 'loading', // loading | ok | empty | error
    message: '',
    unit: null, // {id, label}
    units: [], // the picker: branches and their service points
    unitIndex: 0,
    treeError: '',
    items: []
  },

  onLoad: function (query) {
    query = query || {}
    this.voted = {} // 'unit:item' → true, for this visit (the list does not say whom I voted for)
    this.treeUnits = {}
    let unit = null
    if (Number(query.unit_id)) {
      unit = { id: Number(query.unit_id), label: query.unit_name ? decodeURIComponent(query.unit_name) : '' }
    } else {
      const mine = storage.get(storage.KEYS.myUnit, null)
      if (mine && mine.id) unit = { id: mine.id, label: unitLabel(mine) }
    }
    this.setData({ unit: unit })
    this.loadTree()
    this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  // branches (分馆) and their service points (服务点), for choosing where to vote
  loadTree: function () {
    const self = this
    return api.orgTree({ showError: false }).then(
      function (roots) {
        const units = []
        ;(roots || []).forEach(function (root) {
          ;(root.children || []).forEach(function (b) {
            units.push({ id: b.unit.id, label: unitLabel(b.unit), name: b.unit.name, short_name: b.unit.short_name })
            ;(b.children || []).forEach(function (p) {
              units.push({ id: p.unit.id, label: unitLabel(b.unit) + ' · ' + unitLabel(p.unit), name: p.unit.name, short_name: p.unit.short_name })
            })
          })
        })
        const unit = self.data.unit
        const index = unit ? units.findIndex(function (u) {
          return u.id === unit.id
        }) : -1
        const update = { units: units, unitIndex: Math.max(0, index), treeError: '' }
        if (unit && !unit.label && index >= 0) update['unit.label'] = units[index].label
        self.setData(update)
      },
      function (err) {
        self.setData({ treeError: err.message })
      }
    )
  },

  load: function () {
    const self = this
    const unit = this.data.unit
    const seq = (this.seq = (this.seq || 0) + 1)
    if (!unit) {
      this.setData({ status: 'empty', message: i18n.t('mn_choose_first'), items: [] })
      return Promise.resolve()
    }
    this.setData({ status: 'loading', message: '' })
    return api.menuItems(unit.id, { showError: false }).then(
      function (res) {
        if (seq !== self.seq) return
        const items = (res.items || []).map(function (m) {
          return {
            id: m.id,
            title: m.title,
            kind: m.kind_label,
            description: m.description || '',
            period: periodText(m.period_start, m.period_end),
            voteAria: i18n.t('mn_vote_aria', { title: m.title }),
            votedAria: i18n.t('mn_voted_aria', { title: m.title }),
            votes: m.votes,
            voted: !!self.voted[unit.id + ':' + m.id]
          }
        })
        self.setData({
          items: items,
          status: items.length ? 'ok' : 'empty',
          message: items.length ? '' : i18n.t('mn_empty')
        })
      },
      function (err) {
        if (seq !== self.seq) return
        self.setData({ status: 'error', message: err.message, items: [] })
      }
    )
  },

  onStateAction: function () {
    this.load()
  },

  onUnit: function (e) {
    const index = Number(e.detail.value) || 0
    const u = this.data.units[index]
    if (!u) return
    // nobody's branch yet: this one becomes 我的分馆 (home page and 活动 use it too)
    if (!storage.get(storage.KEYS.myUnit, null)) {
      storage.set(storage.KEYS.myUnit, { id: u.id, name: u.name, short_name: u.short_name })
    }
    this.setData({ unitIndex: index, unit: { id: u.id, label: u.label } })
    this.load()
  },

  markVoted: function (id, counted) {
    const unit = this.data.unit
    this.voted[unit.id + ':' + id] = true
    this.setData({
      items: this.data.items.map(function (m) {
        return m.id === id ? Object.assign({}, m, { voted: true, votes: counted ? m.votes + 1 : m.votes }) : m
      })
    })
  },

  onVote: async function (e) {
    const id = Number(e.currentTarget.dataset.id)
    const item = this.data.items.filter(function (m) {
      return m.id === id
    })[0]
    const unit = this.data.unit
    if (!item || !unit || item.voted || this.voting) return
    const ok = await ui.confirm({
      title: i18n.t('mn_confirm_title'),
      content: i18n.t('mn_confirm_content', { unit: unit.label, title: item.title }),
      confirmText: i18n.t('mn_confirm_ok')
    })
    if (!ok) return
    this.voting = true
    try {
      await api.menuVote(id, unit.id, { loading: i18n.t('mn_voting'), showError: false })
    } catch (err) {
      this.voting = false
      if (err.code === 'already_voted') {
        this.markVoted(id, false)
        wx.showToast({ title: err.message || i18n.t('mn_already'), icon: 'none' })
        return
      }
      if (err.code === 'privacy_declined') return
      await ui.alert(err.message, i18n.t('mn_not_voted'))
      if (err.status === 404) this.load()
      return
    }
    this.voting = false
    this.markVoted(id, true)
    wx.showToast({ title: i18n.t('mn_vote_ok'), icon: 'success' })
  }
}))

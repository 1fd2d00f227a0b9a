// 居民反馈 (staff): the ratings of my unit and the units below it — counts of unread, low
// scores not yet followed up and comments held by the text check; filter tabs; open an item
// to mark it read; reply in public, mark a low score handled, publish or reject a held comment.
const api = require('../../api/index')
const format = require('../../utils/format')
const ui = require('../../utils/ui')
const staff = require('../../utils/staff')
const display = require('../../utils/display')

const TABS = [
  { value: 'all', label: '全部' },
  { value: 'unread', label: '未读' },
  { value: 'flagged', label: '差评' },
  { value: 'unhandled', label: '未处理' },
  { value: 'held', label: '待审核' }
]
const ASPECTS = [
  ['content_score', '内容'],
  ['teacher_score', '老师'],
  ['venue_score', '场地'],
  ['organisation_score', '组织']
]
const PAGE = 20

function view(r) {
  return {
    id: r.id,
    title: r.activity_title,
    unit: r.unit_name,
    name: r.name || '居民',
    score: r.score,
    stars: staff.stars(r.score),
    aspects: ASPECTS.filter(function (a) {
      return r[a[0]]
    }).map(function (a) {
      return a[1] + ' ' + r[a[0]]
    }).join(' · '),
    tags: r.tags || [],
    comment: r.comment || '',
    held: r.comment_status === 'held',
    rejected: r.comment_status === 'rejected',
    note: r.moderation_note || '',
    flagged: !!r.flagged,
    read: !!r.read,
    handled: !!r.handled,
    when: format.formatDateTime(r.created_at),
    replies: (r.replies || []).map(function (x) {
      return { id: x.id, unit: x.unit_name, content: x.content, when: format.formatDateTime(x.created_at) }
    })
  }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    unit: null,
    canReply: false,
    tabs: TABS,
    tab: 'all',
    sort: 'newest',
    status: 'loading', // loading | ok | empty | error
    message: '',
    items: [],
    counts: null,
    nextBefore: null,
    loadingMore: false,
    replyFor: 0,
    replyText: '',
    replyError: ''
  },

  onLoad: function (query) {
    const unit = staff.unitFrom(query)
    if (!unit) {
      this.setData({ status: 'error', message: '没有可查看的单位，请从“工作人员”进入' })
      return
    }
    this.setData({ unit: unit, canReply: staff.mayUse('reply', unit.unitId) })
    this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  onReachBottom: function () {
    if (this.data.nextBefore && !this.data.loadingMore && this.data.status === 'ok') this.load(true)
  },

  query: function (more) {
    const q = { unit_id: this.data.unit.unitId, sort: this.data.sort, limit: PAGE }
    if (this.data.tab !== 'all') q.state = this.data.tab
    if (more) q.before = this.data.nextBefore
    return q
  },

  load: function (more) {
    const self = this
    if (!this.data.unit) return Promise.resolve()
    if (more) this.setData({ loadingMore: true })
    else this.setData({ status: 'loading', replyFor: 0 })
    return api.feedbackInbox(this.query(more), { showError: more ? 'toast' : false }).then(function (res) {
      const items = (more ? self.data.items : []).concat((res.items || []).map(view))
      self.setData({
        items: items,
        counts: res.counts,
        nextBefore: res.next_before || null,
        loadingMore: false,
        status: items.length ? 'ok' : 'empty',
        message: items.length ? '' : self.data.tab === 'all' ? '还没有居民评价' : '这一类没有评价'
      })
    }, function (err) {
      if (more) self.setData({ loadingMore: false })
      else self.setData({ status: 'error', message: err.message })
    })
  },

  onTab: function (e) {
    this.setData({ tab: e.currentTarget.dataset.tab })
    this.load()
  },

  onSort: function (e) {
    this.setData({ sort: e.currentTarget.dataset.sort })
    this.load()
  },

  indexOf: function (id) {
    return this.data.items.findIndex(function (x) {
      return x.id === id
    })
  },

  // Opening an unread item marks it read.
  onOpen: function (e) {
    const id = Number(e.currentTarget.dataset.id)
    const i = this.indexOf(id)
    if (i < 0 || this.data.items[i].read) return
    this.markRead([id])
  },

  onReadAll: function () {
    const ids = this.data.items.filter(function (x) {
      return !x.read
    }).map(function (x) {
      return x.id
    })
    if (ids.length) this.markRead(ids)
  },

  markRead: function (ids) {
    const self = this
    return api.feedbackRead(ids, { showError: 'toast' }).then(function () {
      const patch = {}
      self.data.items.forEach(function (x, i) {
        if (ids.indexOf(x.id) >= 0 && !x.read) patch['items[' + i + '].read'] = true
      })
      const n = Object.keys(patch).length
      if (self.data.counts) patch['counts.unread'] = Math.max(0, self.data.counts.unread - n)
      self.setData(patch)
    }, function () {})
  },

  onReply: function (e) {
    this.setData({ replyFor: Number(e.currentTarget.dataset.id), replyText: '', replyError: '' })
  },

  onReplyInput: function (e) {
    this.setData({ replyText: e.detail.value })
  },

  onReplyCancel: function () {
    this.setData({ replyFor: 0, replyText: '', replyError: '' })
  },

  onReplySend: function () {
    const self = this
    const id = this.data.replyFor
    const content = (this.data.replyText || '').trim()
    if (!content) {
      this.setData({ replyError: '请填写回复内容' })
      return
    }
    if (content.length > 300) {
      this.setData({ replyError: '回复不能超过 300 个字' })
      return
    }
    if (this.sending) return
    this.sending = true
    api.feedbackReply(id, content, { loading: '正在发送…', showError: 'modal' }).then(function () {
      self.sending = false
      const i = self.indexOf(id)
      const patch = { replyFor: 0, replyText: '', replyError: '' }
      if (i >= 0) {
        const it = self.data.items[i]
        patch['items[' + i + '].replies'] = it.replies.concat([{ id: 'new-' + Date.now(), unit: self.data.unit.unitName, content: content, when: format.formatDateTime(Date.now()) }])
        if (!it.read) {
          patch['items[' + i + '].read'] = true
          if (self.data.counts) patch['counts.unread'] = Math.max(0, self.data.counts.unread - 1)
        }
      }
      self.setData(patch)
      wx.showToast({ title: '已回复', icon: 'success' })
    }, function () {
      self.sending = false
    })
  },

  onHandle: async function (e) {
    const self = this
    const id = Number(e.currentTarget.dataset.id)
    const ok = await ui.confirm({ title: '标记已处理', content: '已经跟进这条评价（例如电话回访、改进安排）了吗？', confirmText: '已处理' })
    if (!ok) return
    return api.feedbackHandle(id, { loading: '正在保存…', showError: 'modal' }).then(function () {
      const i = self.indexOf(id)
      if (i < 0) return
      const it = self.data.items[i]
      const patch = {}
      patch['items[' + i + '].handled'] = true
      patch['items[' + i + '].read'] = true
      if (self.data.counts && it.flagged && !it.handled) patch['counts.flagged_unhandled'] = Math.max(0, self.data.counts.flagged_unhandled - 1)
      if (self.data.counts && !it.read) patch['counts.unread'] = Math.max(0, self.data.counts.unread - 1)
      self.setData(patch)
      wx.showToast({ title: '已标记处理', icon: 'success' })
    }, function () {})
  },

  onModerate: async function (e) {
    const self = this
    const id = Number(e.currentTarget.dataset.id)
    const decision = e.currentTarget.dataset.decision
    const ok = await ui.confirm(decision === 'publish'
      ? { title: '公开这条评论', content: '内容没有问题，公开后所有居民可见。', confirmText: '公开' }
      : { title: '不公开这条评论', content: '评论不公开，评分仍计入统计。', confirmText: '不公开' })
    if (!ok) return
    return api.feedbackModerate(id, decision, { loading: '正在保存…', showError: 'modal' }).then(function () {
      const i = self.indexOf(id)
      if (i < 0) return
      const patch = {}
      patch['items[' + i + '].held'] = false
      patch['items[' + i + '].rejected'] = decision === 'reject'
      if (self.data.counts) patch['counts.held'] = Math.max(0, self.data.counts.held - 1)
      self.setData(patch)
      wx.showToast({ title: decision === 'publish' ? '已公开' : '已设为不公开', icon: 'none' })
    }, function () {})
  },

  noop: function () {},

  onStateAction: function () {
    this.load()
  }
}))

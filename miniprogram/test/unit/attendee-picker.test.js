const { loadComponent, texts, simulate } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

test('lists myself first, then family members with relation and age', () => {
  const c = loadComponent('components/attendee-picker/index', {
    members: [fx.member(), fx.member({ id: 4, name: '王奶奶', relation: 'elder', age: 72 })],
    selectedId: 0
  })
  expect(texts(c, '.attendee-name')).toEqual(['本人', '小明', '王奶奶', '添加家庭成员'])
  expect(texts(c, '.attendee-note')).toEqual(['子女 · 8 岁', '长辈 · 72 岁'])
  expect(texts(c, '.attendee-on .attendee-name')).toEqual(['本人'])
})

test('the selected member is marked; picking one or adding triggers events', async () => {
  const c = loadComponent('components/attendee-picker/index', { members: [fx.member()], selectedId: 3 })
  expect(texts(c, '.attendee-on .attendee-name')).toEqual(['小明'])
  const onChange = jest.fn()
  const onAdd = jest.fn()
  c.addEventListener('change', (e) => onChange(e.detail))
  c.addEventListener('add', onAdd)
  c.querySelectorAll('.attendee')[0].dispatchEvent('tap')
  await simulate.sleep(0)
  expect(onChange).toHaveBeenCalledWith({ id: 0 })
  c.querySelector('.attendee-add').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(onAdd).toHaveBeenCalled()
})

test('in English: myself, relations and ages are in English', () => {
  const i18n = require('../../src/utils/i18n')
  i18n.setLang('en')
  try {
    const c = loadComponent('components/attendee-picker/index', { members: [fx.member()], selectedId: 0 })
    expect(texts(c, '.attendee-name')).toEqual(['Myself', '小明', 'Add a family member'])
    expect(texts(c, '.attendee-note')).toEqual(['Child · age 8'])
  } finally {
    i18n.setLang('zh-CN')
  }
})

const { loadComponent, text, tap, simulate } = require('../helpers/mp')

describe('state-view component', () => {
  test('loading shows the default text', () => {
    const c = loadComponent('components/state-view/index', { status: 'loading' })
    expect(text(c, '.state-text')).toBe('正在加载…')
    expect(c.querySelector('.state-action')).toBeUndefined()
  })

  test('empty shows the message and an optional action', async () => {
    const c = loadComponent('components/state-view/index', { status: 'empty', message: '没有活动' })
    expect(text(c, '.state-text')).toBe('没有活动')
    expect(c.querySelector('.state-action')).toBeUndefined()
    c.setData({ actionText: '看看全区活动' })
    const onAction = jest.fn()
    c.addEventListener('action', onAction)
    await tap(c, '.state-action')
    expect(text(c, '.state-action')).toBe('看看全区活动')
    expect(onAction).toHaveBeenCalledTimes(1)
  })

  test('error shows the message and a retry button', async () => {
    const c = loadComponent('components/state-view/index', { status: 'error', message: '网络连接不畅' })
    expect(text(c, '.state-error .state-text')).toBe('网络连接不畅')
    expect(text(c, '.state-action')).toBe('重新加载')
    const onAction = jest.fn()
    c.addEventListener('action', onAction)
    await tap(c, '.state-action')
    expect(onAction).toHaveBeenCalled()
  })

  test('ok renders nothing', async () => {
    const c = loadComponent('components/state-view/index', { status: 'ok' })
    await simulate.sleep(0)
    expect(c.querySelector('.state')).toBeUndefined()
  })
})

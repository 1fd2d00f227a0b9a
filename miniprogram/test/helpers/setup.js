// Runs before each test file (both environments): every jest.spyOn is undone after each test,
// and a test fails when the app made a wx.* call WeChat would refuse (test/helpers/wx-rules.js).
const rules = require('./wx-rules')

afterEach(function () {
  jest.restoreAllMocks()
  const refused = rules.take()
  if (refused.length) {
    throw new Error('WeChat would refuse these calls (on a phone they fail silently):\n  ' + refused.join('\n  '))
  }
})

// jsdom environment that also hands Node's fetch to tests (jsdom hides it, and Node's fetch
// rejects jsdom's AbortSignal).
const { TestEnvironment } = require('jest-environment-jsdom')
module.exports = class JsdomWithNodeFetch extends TestEnvironment {
  constructor(config, context) {
    super(config, context)
    this.global.__node = { fetch: globalThis.fetch, AbortController: globalThis.AbortController }
  }
}

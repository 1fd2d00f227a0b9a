module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  testMatch: ['**/test/unit/**/*.test.js', '**/test/e2e/**/*.e2e.test.js'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup.js'],
  testTimeout: 20000,
  // the two end-to-end suites each start a server; leave one core for the other engineer
  maxWorkers: 2
}

module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  testMatch: ['**/test/unit/**/*.test.js', '**/test/e2e/**/*.e2e.test.js'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup.js'],
  testTimeout: 20000,
  // each end-to-end suite starts its own server; two workers leave room for the other engineer
  maxWorkers: 2
}

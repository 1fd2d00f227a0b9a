// Runs before each test file (both environments): every jest.spyOn is undone after each test.
afterEach(function () {
  jest.restoreAllMocks()
})

// Test files named on the command line (`npx mocha out/x.test.js`) run alone; without any, the
// whole suite runs. (mocha would otherwise append the named files to the spec globs below.)
const named = process.argv.slice(2).some((arg) => /\.test\.js$/.test(arg));
module.exports = {
  require: ["out/test/setup.js"],
  spec: named ? [] : ["out/test/**/*.test.js", "out/tasks/**/*.test.js", "out/devkit/**/*.test.js", "out/bench/**/*.test.js"],
  // The whole suite runs test files two at a time (one per core of CI's 2-core machine): most of its time
  // is spent waiting on spawned tasks, the emulator and Azurite, so two files overlap well (~14 min
  // serial). Files named on the command line run serially, in order.
  parallel: !named,
  jobs: 2,
  timeout: 60000,
  reporter: "spec",
  exit: true,
};

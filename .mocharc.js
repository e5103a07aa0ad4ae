// Test files named on the command line (`npx mocha out/x.test.js`) run alone; without any, the
// whole suite runs. (mocha would otherwise append the named files to the spec globs below.)
const named = process.argv.slice(2).some((arg) => /\.test\.js$/.test(arg));
module.exports = {
  require: ["out/test/setup.js"],
  spec: named ? [] : ["out/test/**/*.test.js", "out/tasks/**/*.test.js", "out/devkit/**/*.test.js", "out/bench/**/*.test.js"],
  timeout: 60000,
  reporter: "spec",
  exit: true,
};

/**
 * Loaded by mocha before any test file (.mocharc.js "require"). task-lib, when a test imports it
 * in-process, writes its vault key (.taskkey) to Agent.TempDirectory: give it a temp folder so
 * nothing lands in the repository.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

if (!process.env["AGENT_TEMPDIRECTORY"]) {
  process.env["AGENT_TEMPDIRECTORY"] = fs.mkdtempSync(path.join(os.tmpdir(), "mocha-agent-temp-"));
}

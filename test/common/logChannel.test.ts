/**
 * Issue 19, findings 1 and 6: logging.ts is the one writer of stdout (the agent's command channel).
 * A source scan fails when task code writes stdout any other way; the writer itself is checked by
 * parsing what it printed as the agent does.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tl from "azure-pipelines-task-lib/task";
import { findRepoRoot } from "../../devkit/repoRoot";
import { agentLog, setTaskResult } from "../../tasks/common/logging";
import { remoteText } from "../../tasks/common/remoteText";
import { maskSecrets, registerSecret } from "../../tasks/common/secrets";
import { parseLoggingCommand } from "../../devkit/harness/loggingCommands";

const TASKS = path.join(findRepoRoot(__dirname), "tasks");
/** The files allowed to write stdout, and why. */
const WRITERS: Record<string, string> = {
  "common/logging.ts": "the one writer",
  "common/secrets.ts": "task.setsecret (tl.setSecret)",
  "common/proxyUrlCredentials.ts": "task.setsecret before task-lib loads",
};
const FORBIDDEN: [RegExp, string][] = [
  [/\bconsole\.(log|info|warn|error|debug|trace|dir|table)\s*\(/, "console output"],
  [/\bprocess\.(stdout|stderr)\b/, "process.stdout/stderr"],
  [
    /\btl\.(debug|warning|error|setResult|command|setSecret|setVariable|uploadSummary|addAttachment|prependPath|logIssue|logDetail|setProgress|updateBuildNumber|addBuildTag|uploadFile|uploadArtifact|writeExternalOutput|warningExternalOutput|errorExternalOutput|debugExternalOutput)\s*\(/,
    "a task-lib output call",
  ],
  [
    /import\s*\{[^}]*\b(debug|warning|error|setResult|command|setSecret|setVariable)\b[^}]*\}\s*from\s*["']azure-pipelines-task-lib/,
    "a task-lib output function imported by name",
  ],
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(e.name) && !/\.(test|testing)\.ts$/.test(e.name) ? [full] : [];
  });
}

/** Runs `write` and returns what reached stdout. */
function captureStdout(write: () => void): string {
  const original = process.stdout.write.bind(process.stdout);
  let out = "";
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stdout.write;
  try {
    write();
  } finally {
    process.stdout.write = original;
  }
  return out;
}

/** The commands the agent would run for `output` (a `##vso[` anywhere in a line; lines end at CR or LF). */
function commandsIn(output: string): string[] {
  return output
    .split(/\r\n|\r|\n/)
    .map((line) => parseLoggingCommand(line))
    .filter((c) => c !== undefined)
    .map((c) => `${c.area}.${c.action}`);
}

const HOSTILE = "ValueError ##vso[task.setvariable variable=X]v\n##vso[task.prependpath]/evil\r##[error]forged\u2028##VSO[task.complete result=Succeeded]";

describe("issue 19: one writer of stdout", () => {
  it("no task code outside logging.ts writes stdout (console, process.stdout, task-lib output calls)", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(TASKS)) {
      const rel = path.relative(TASKS, file).split(path.sep).join("/");
      if (WRITERS[rel]) continue;
      fs.readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          for (const [pattern, what] of FORBIDDEN) if (pattern.test(line)) offenders.push(`${rel}:${i + 1}: ${what}: ${line.trim()}`);
        });
    }
    assert.deepEqual(offenders, [], "write through agentLog / setTaskResult / setOutput (tasks/common/logging.ts) instead");
  });

  it("the scan finds a planted writer (it can fail)", () => {
    const planted = [
      "console.log(`x ${remote}`);",
      "process.stdout.write(text);",
      "tl.warning(message);",
      'import { debug } from "azure-pipelines-task-lib/task";',
    ];
    for (const line of planted)
      assert.ok(
        FORBIDDEN.some(([p]) => p.test(line)),
        line,
      );
  });

  it("agentLog: info, warning, debug and group lines carrying ##vso[ / ##[ and line breaks issue no command", () => {
    const out = captureStdout(() => {
      agentLog.info(`Step error: ${HOSTILE}`);
      agentLog.warning(HOSTILE);
      agentLog.debug(HOSTILE);
      agentLog.group(HOSTILE);
      agentLog.endGroup();
    });
    assert.deepEqual(commandsIn(out), ["task.issue", "task.debug"], out);
    assert.ok(
      out.split(/\r\n|\r|\n/).every((line) => !/^##\[(?!group\]|endgroup\])/.test(line)),
      out,
    );
    assert.equal(out.split("\n").filter((l) => l.startsWith("##[group]")).length, 1, "the group title stays on its line");
  });

  it("setTaskResult: a failure message carrying commands issues only the issue and task.complete", () => {
    const out = captureStdout(() => setTaskResult(tl.TaskResult.Failed, HOSTILE));
    assert.deepEqual(
      commandsIn(out).filter((c) => c !== "task.debug"),
      ["task.issue", "task.complete"],
      out,
    );
    assert.ok(!/##vso\[task\.setvariable/.test(out) && !/##VSO\[/.test(out), out);
  });

  it("remoteText: one line, no command, for strings and any other value", () => {
    assert.equal(remoteText("bad\n##vso[task.complete result=Succeeded]x\r\n##[error]y"), "bad ##vso [task.complete result=Succeeded]x ## [error]y");
    assert.equal(remoteText("a\u2028b\u0085c"), "a b c");
    assert.equal(remoteText({ m: "##vso[x.y]" }), '{"m":"##vso [x.y]"}');
    assert.equal(remoteText(undefined), "");
  });

  it("secrets: a registered secret is handed to the agent once and masked in every line the task prints", () => {
    const key = "c2VjcmV0LXN0b3JhZ2Uta2V5LWZvci10ZXN0cw==";
    const registered = captureStdout(() => {
      registerSecret(key);
      registerSecret(key);
    });
    assert.deepEqual(commandsIn(registered), ["task.setsecret"]);
    const out = captureStdout(() => agentLog.info(`upload failed with key ${key}`));
    assert.ok(!out.includes(key), out);
    assert.match(out, /key \*\*\*/);
  });

  it("secrets: credentials a service quotes in an error are masked even when never registered", () => {
    const message =
      "Server failed to authenticate the request. DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4cXV1eA==;EndpointSuffix=core.windows.net " +
      "https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=abc%2Bdef%3D&se=2030 http://user:pa55word@proxy:8080/ Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl";
    const masked = maskSecrets(message);
    for (const secret of ["Zm9vYmFyYmF6cXV4cXV1eA==", "abc%2Bdef%3D", "pa55word", "eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl"])
      assert.ok(!masked.includes(secret), `${secret} in ${masked}`);
    assert.match(masked, /AccountKey=\*\*\*;EndpointSuffix/);
    assert.equal(
      maskSecrets("Bearer token authentication is not permitted for non-TLS URLs"),
      "Bearer token authentication is not permitted for non-TLS URLs",
      "words are not tokens",
    );
    const out = captureStdout(() => setTaskResult(tl.TaskResult.Failed, message));
    assert.ok(!out.includes("Zm9vYmFyYmF6cXV4cXV1eA=="), out);
  });
});

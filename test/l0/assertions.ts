/** What an L0 run must show: refused before any Azure call, or through validation to Azure. */
import * as assert from "node:assert/strict";
import { AUTHORITY_HOST, type L0Connection } from "./connections";
import type { L0Outcome } from "./mockTest";

/** The end of the run's output, for assertion messages. */
function tail(o: L0Outcome): string {
  const lines = `${o.tr.stdout}\n${o.tr.stderr}`.trim().split("\n");
  return `\n--- last lines of the run ---\n${lines.slice(-25).join("\n")}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface Rejection {
  /** The input the message must name. */
  input: string;
  /** What else the message must say (the rule, the bad value...). */
  says: RegExp;
  /** When the task names the value (e.g. a file path) rather than the input. */
  names?: RegExp;
}

/** One row of a task's table of refused inputs. */
export interface RejectionCase extends Rejection {
  /** For the test title: "refuses <what> before calling Azure". */
  what: string;
  /** Merged over the task's valid inputs ("" clears one). */
  inputs?: Record<string, string>;
  /** Instead of the valid service principal connection. */
  connection?: L0Connection;
  /** A known bug (reported, not yet fixed): the test is pending, with this reason in its title. */
  bug?: string;
}

/** "refuses <what> before calling Azure", and the mocha `it` to use (pending for a known bug). */
export function rejectionTest(c: RejectionCase): { title: string; test: Mocha.PendingTestFunction | Mocha.TestFunction } {
  return { title: `refuses ${c.what} before calling Azure${c.bug ? ` [BUG: ${c.bug}]` : ""}`, test: c.bug ? it.skip : it };
}

/**
 * Failed with one error issue — the result message — that names the input; no missing loc
 * string or other warning; and nothing after validation ran: no connection opened, no
 * variable set, no summary, no tool.
 */
export function assertRejectedBeforeAzure(o: L0Outcome, expected: Rejection): void {
  assert.equal(o.hung, false, `the run hung${tail(o)}`);
  assert.deepEqual(o.network, [], `the task opened a connection before refusing the input${tail(o)}`);
  assert.equal(o.tr.failed, true, `the task did not fail${tail(o)}`);
  assert.equal(o.result, "Failed", tail(o));
  const message = o.resultMessage ?? "";
  assert.match(message, expected.names ?? new RegExp(`\\b${escapeRegExp(expected.input)}\\b`), `the message does not name '${expected.input}'`);
  assert.match(message, expected.says);
  assert.doesNotMatch(message, /^Unexpected error/, "an input problem must not be reported as an unexpected error");
  assert.deepEqual(o.tr.errorIssues, [message], "exactly one error issue, the result message");
  assert.deepEqual(o.tr.warningIssues, [], "no warnings (a missing message key shows up as one)");
  assert.equal(o.tr.stderr, "", "nothing on stderr (a crash prints its stack there)");
  assert.deepEqual(o.variables, [], "no output variable may be set");
  assert.equal(o.summaries, 0, "no summary may be uploaded");
  assert.equal(o.tr.invokedToolCount, 0, "no tool may run");
}

/**
 * Got through input and connection validation: the first (and, under the guard, only) connection
 * goes to the sign-in authority of the mocked service connection, with nothing reported before it.
 */
export function assertReachedAzure(o: L0Outcome): void {
  assert.equal(o.hung, false, `the run hung${tail(o)}`);
  assert.equal(o.result, undefined, `the task finished before calling Azure: ${o.resultMessage}${tail(o)}`);
  assert.deepEqual(o.network, [AUTHORITY_HOST], tail(o));
  assert.deepEqual(o.tr.errorIssues, [], tail(o));
  assert.deepEqual(o.tr.warningIssues, [], tail(o));
}

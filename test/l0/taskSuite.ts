/**
 * The shape every task's L0 file shares: a workspace with the task's files, a valid run that gets
 * through validation to the sign-in authority, and one refusal test per case.
 */
import { type L0Workspace, createWorkspace } from "./agentStep";
import { type RejectionCase, assertReachedAzure, assertRejectedBeforeAzure, rejectionTest } from "./assertions";
import { type L0Connection, servicePrincipalConnection } from "./connections";
import type { L0TaskName } from "./l0Case";
import { runL0 } from "./mockTest";

export interface L0Run {
  inputs?: Record<string, string>;
  connection?: L0Connection;
  variables?: Record<string, string>;
}

export function describeL0Task(
  task: L0TaskName,
  options: {
    title: string;
    valid: Record<string, string>;
    cases: readonly RejectionCase[];
    /** Writes the files the inputs name. */
    files: (ws: L0Workspace) => void;
    /** Further tests, given the runner. */
    more?: (run: (c?: L0Run) => ReturnType<typeof runL0>) => void;
  },
): void {
  describe(options.title, function () {
    this.timeout(30_000);
    let ws: L0Workspace;
    const run = (c: L0Run = {}) =>
      runL0(task, {
        inputs: { ...options.valid, ...c.inputs },
        connections: [c.connection ?? servicePrincipalConnection()],
        workspace: ws,
        ...(c.variables ? { variables: c.variables } : {}),
      });

    before(() => {
      ws = createWorkspace();
      options.files(ws);
    });
    after(() => ws.remove());

    it("valid inputs get through validation to the sign-in authority of the mocked service connection", async () => {
      assertReachedAzure(await run());
    });

    options.more?.(run);

    for (const c of options.cases) {
      const { title, test } = rejectionTest(c);
      test(title, async () => {
        assertRejectedBeforeAzure(await run(c), c);
      });
    }
  });
}

/**
 * TriggerADFPipeline, built and run as the agent runs it, with each kind of AzureRM service
 * connection, and with an identity that lacks the role.
 */
import assert from "node:assert/strict";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import type { ConnectionScheme } from "../../../devkit/harness/agentRunner";
import { assertNoSecrets, details, runAdfTask, startedRun } from "./run";

describe("TriggerADFPipeline task: service connections", function () {
  this.timeout(60_000);
  let emu: Emulator;

  before(async () => {
    emu = await startEmulator({ timeScale: 100, azurite: false });
  });
  after(async () => {
    await emu?.stop();
  });

  const schemes: ConnectionScheme[] = ["federated", "secret", "certificate", "managedIdentity"];
  for (const scheme of schemes) {
    it(`runs the pipeline with a ${scheme} connection`, async () => {
      const r = await runAdfTask(emu, { scheme });
      assert.equal(r.result, "Succeeded", details(r));
      const run = startedRun(emu, r);
      assert.equal(run.status, "Succeeded");
      assert.deepEqual(run.parameters, { sourceContainer: "raw", outputFolder: "prepared", sampleFraction: 0.5 });
      assert.equal(r.variables["RunStatus"].value, "Succeeded");
      assertNoSecrets(emu, r);
    });
  }

  for (const grant of ["no role", "Reader"] as const) {
    it(`names the role and the scope when the identity has ${grant} (403)`, async () => {
      const clientId = emu.identities.secret.clientId;
      const rgScope = `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroupName}`;
      emu.world.revokeRoles(clientId);
      if (grant === "Reader") emu.world.assignRole({ principalId: clientId, role: "Reader", scope: rgScope });
      const runsBefore = emu.datafactory.runs().length;
      try {
        const r = await runAdfTask(emu, { scheme: "secret" });
        assert.equal(r.result, "Failed", details(r));
        const message = r.resultMessage ?? "";
        assert.match(message, /Assign it the 'Data Factory Contributor' role/);
        assert.match(message, grant === "Reader" ? /pipelines\/createrun\/action/i : /factories\/read/i);
        assert.ok(message.toLowerCase().includes(`${rgScope}/providers/microsoft.datafactory/factories/mlops-adf`.toLowerCase()), message);
        assert.equal(r.variables["RunId"], undefined);
        assert.equal(emu.datafactory.runs().length, runsBefore, "no run was started");
      } finally {
        await emu.reset();
      }
    });
  }
});

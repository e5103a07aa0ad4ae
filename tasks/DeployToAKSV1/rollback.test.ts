import assert from "node:assert/strict";
import { InputError } from "../common/errors";
import { taskLoc } from "../common/taskLibContext.testing";
import { checkScoringUri } from "./operation";
import { restoredTraffic } from "./rollback";

const loc = taskLoc("DeployToAKSV1");

describe("DeployToAKS rollback traffic", () => {
  const plan = { deploymentName: "green", previousTraffic: { blue: 100 }, writtenTraffic: { blue: 90, green: 10 } };

  it("restores the previous map exactly when nobody changed the endpoint after this run's write", () => {
    assert.deepEqual(restoredTraffic({ blue: 90, green: 10 }, plan), { blue: 100 });
  });

  it("undoes only this run's share when another run changed the map since (its change is kept)", () => {
    // another run gave red 30% after this run's write
    assert.deepEqual(restoredTraffic({ blue: 63, green: 7, red: 30 }, plan), { blue: 68, red: 32 });
  });

  it("changes nothing when this run's deployment has its previous share (no write happened)", () => {
    assert.deepEqual(restoredTraffic({ blue: 100 }, plan), { blue: 100 });
    assert.deepEqual(restoredTraffic({ blue: 70, red: 30 }, { ...plan, writtenTraffic: undefined }), { blue: 70, red: 30 });
  });
});

describe("DeployToAKS scoring URI scheme", () => {
  it("refuses an http:// scoring URI, naming allowInsecureScoringUri, unless it is allowed", () => {
    assert.throws(
      () => checkScoringUri(loc, "http://10.0.0.4/api/v1/endpoint/ep/score", false),
      (err: unknown) =>
        err instanceof InputError &&
        err.inputName === "allowInsecureScoringUri" &&
        /http:\/\/10\.0\.0\.4\/api\/v1\/endpoint\/ep\/score is http:\/\/: the endpoint key would travel in clear text/.test(err.message),
    );
    checkScoringUri(loc, "http://10.0.0.4/api/v1/endpoint/ep/score", true);
    checkScoringUri(loc, "https://ep.eastus2.inference.ml.azure.com/score", false);
  });
});

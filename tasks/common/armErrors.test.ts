import assert from "node:assert/strict";
import { RestError, createHttpHeaders, createPipelineRequest } from "@azure/core-rest-pipeline";
import { AuthenticationError } from "@azure/identity";
import { asAzureOperationError, describeArmError, roleForAction } from "./armErrors";
import { AzureOperationError, CancelledError } from "./errors";
import { taskLoc } from "./taskLibContext.testing";

const loc = taskLoc();

function restError(status: number, code: string, message: string): RestError {
  const request = createPipelineRequest({ url: "https://127.0.0.1/x" });
  return new RestError(message, {
    code,
    statusCode: status,
    request,
    response: { status, request, headers: createHttpHeaders({ "x-ms-request-id": "req-1" }), bodyAsText: JSON.stringify({ error: { code, message } }) },
  });
}

describe("describeArmError", () => {
  it("names the resource and resource group on 404", () => {
    const text = describeArmError(
      restError(404, "ResourceNotFound", "The Resource 'Microsoft.DataFactory/factories/nope' under resource group 'ml_rg' was not found."),
      loc,
      {
        resource: "data factory 'nope'",
        resourceGroupName: "ml_rg",
      },
    );
    assert.equal(text, "data factory 'nope' was not found in resource group 'ml_rg'. Check the name, or create it first.");
  });

  it("says a resource group is missing", () => {
    const text = describeArmError(restError(404, "ResourceGroupNotFound", "Resource group 'rg-x' could not be found."), loc, { resourceGroupName: "rg-x" });
    assert.match(text, /^Resource group 'rg-x' was not found in the service connection's subscription/);
  });

  it("names the missing role and scope on 403", () => {
    const message =
      "The client 'abc' with object id 'def' does not have authorization to perform action 'Microsoft.DataFactory/factories/pipelines/createrun/action' over scope '/subscriptions/s/resourceGroups/ml_rg/providers/Microsoft.DataFactory/factories/mlops-adf' or the scope is invalid.";
    const text = describeArmError(restError(403, "AuthorizationFailed", message), loc);
    assert.match(
      text,
      /not allowed to perform 'Microsoft\.DataFactory\/factories\/pipelines\/createrun\/action' on '\/subscriptions\/s\/resourceGroups\/ml_rg\/providers\/Microsoft\.DataFactory\/factories\/mlops-adf'/,
    );
    assert.match(text, /Assign it the 'Data Factory Contributor' role/);
  });

  it("relays the service's message on 400 and explains 429, 5xx and 409", () => {
    assert.equal(
      describeArmError(restError(400, "BadRequest", "Parameter x is not declared"), loc, { resource: "pipeline 'p'" }),
      "Azure rejected the request for pipeline 'p': Parameter x is not declared",
    );
    assert.match(describeArmError(restError(429, "TooManyRequests", "slow down"), loc, { resource: "run" }), /kept throttling/);
    assert.match(describeArmError(restError(503, "ServiceUnavailable", "down"), loc, { resource: "run" }), /usually temporary/);
    assert.match(describeArmError(restError(409, "Conflict", "exists"), loc, { resource: "model 'm:1'" }), /conflict for model 'm:1': exists/);
  });

  it("turns sign-in failures into the fix for the AADSTS code", () => {
    const err = new AuthenticationError(401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." });
    assert.match(describeArmError(err, loc), /Could not sign in with the service connection: .*AADSTS7000215.*client secret is wrong or expired/);
    const fed = new AuthenticationError(400, { error: "invalid_client", error_description: "AADSTS70021: No matching federated identity record found." });
    assert.match(describeArmError(fed, loc), /federated credential/);
  });

  it("reads MSAL's serialised failures when the token endpoint keeps failing", () => {
    const err = Object.assign(new Error("[object Object]: Error(s): Not Available - Timestamp: 2026-11-24 - Description: server error"), {
      name: "AuthenticationRequiredError",
    });
    const text = describeArmError(err, loc, { resource: "data factory 'x'" });
    assert.match(text, /^Could not sign in with the service connection: Error\(s\): Not Available /);
    assert.doesNotMatch(text, /object Object|Timestamp/);
  });

  it("explains network failures", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    assert.match(describeArmError(err, loc, { resource: "workspace 'w'" }), /Could not reach Azure for workspace 'w' \(ECONNREFUSED\)/);
  });

  it("wraps as AzureOperationError with code, status and request id; passes cancellation through", () => {
    const wrapped = asAzureOperationError(restError(404, "ResourceNotFound", "gone"), loc, { resource: "x", resourceGroupName: "rg" });
    assert.ok(wrapped instanceof AzureOperationError);
    assert.equal(wrapped.statusCode, 404);
    assert.equal(wrapped.code, "ResourceNotFound");
    assert.equal(wrapped.requestId, "req-1");
    const cancelled = new CancelledError("c");
    assert.equal(asAzureOperationError(cancelled, loc), cancelled);
  });

  it("maps actions to the built-in role that grants them", () => {
    assert.equal(roleForAction("Microsoft.MachineLearningServices/workspaces/jobs/write"), "AzureML Data Scientist");
    assert.equal(roleForAction("Microsoft.MachineLearningServices/workspaces/computes/write"), "AzureML Compute Operator");
    assert.equal(roleForAction("Microsoft.ContainerService/managedClusters/read"), "Reader");
    assert.equal(roleForAction("Microsoft.ContainerService/managedClusters/listClusterUserCredential/action"), "Azure Kubernetes Service Cluster User Role");
  });
});

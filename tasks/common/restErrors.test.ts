import assert from "node:assert/strict";
import { RestError, createHttpHeaders, createPipelineRequest } from "@azure/core-rest-pipeline";
import { AuthenticationError } from "@azure/identity";
import { AzureOperationError, RemoteRunError } from "./errors";
import { errorCodeOf, isConflict, isNotFound, isPreconditionFailed, isResourceNotFound, statusOf } from "./restErrors";

/** A RestError as the SDK raises it for an ARM error answer. */
function restError(status: number, code?: string): RestError {
  const request = createPipelineRequest({ url: "https://127.0.0.1/x" });
  return new RestError(`answered ${status}`, {
    code,
    statusCode: status,
    request,
    response: { status, request, headers: createHttpHeaders(), bodyAsText: JSON.stringify({ error: { code, message: "m" } }) },
  });
}

describe("restErrors", () => {
  describe("statusOf", () => {
    it("reads a RestError's status", () => {
      assert.equal(statusOf(restError(404, "ResourceNotFound")), 404);
      assert.equal(statusOf(restError(503)), 503);
    });

    it("reads an error named RestError from another copy of the package (isRestError)", () => {
      assert.equal(statusOf({ name: "RestError", message: "x", statusCode: 409 }), 409);
    });

    it("has no status for a RestError that got no answer (network failure)", () => {
      assert.equal(statusOf(new RestError("socket hang up", { code: "ECONNRESET" })), undefined);
    });

    it("reads AzureOperationError's and @azure/identity's AuthenticationError's status", () => {
      assert.equal(statusOf(new AzureOperationError("gone", { statusCode: 404 })), 404);
      assert.equal(statusOf(new AuthenticationError(400, { error: "invalid_client", error_description: "AADSTS7000215" })), 400);
    });

    it("reads the cause chain when the error itself has no status", () => {
      const wrapped = new RemoteRunError("deployment failed", { cause: new AzureOperationError("conflict", { cause: restError(409) }) });
      assert.equal(statusOf(wrapped), 409);
    });

    it("prefers the error's own status to its cause's", () => {
      assert.equal(statusOf(new AzureOperationError("model missing", { statusCode: 404, cause: restError(500) })), 404);
    });

    it("stops on a cause cycle", () => {
      const a = new Error("a");
      const b = new Error("b", { cause: a });
      Object.defineProperty(a, "cause", { value: b });
      assert.equal(statusOf(a), undefined);
    });

    it("has no status for what is not an error: plain objects, strings, nothing", () => {
      assert.equal(statusOf({ statusCode: 404 }), undefined);
      assert.equal(statusOf("404"), undefined);
      assert.equal(statusOf(undefined), undefined);
      assert.equal(statusOf(null), undefined);
    });

    it("ignores a status that is not a number", () => {
      assert.equal(statusOf(Object.assign(new Error("x"), { statusCode: "404" })), undefined);
    });
  });

  describe("errorCodeOf", () => {
    it("reads a RestError's code (the ARM error.code)", () => {
      assert.equal(errorCodeOf(restError(404, "ResourceGroupNotFound")), "ResourceGroupNotFound");
      assert.equal(errorCodeOf({ name: "RestError", message: "x", statusCode: 404, code: "ResourceNotFound" }), "ResourceNotFound");
    });

    it("reads a network error's own code when there was no answer", () => {
      assert.equal(errorCodeOf(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })), "ECONNREFUSED");
      assert.equal(errorCodeOf(new RestError("socket hang up", { code: "ECONNRESET" })), "ECONNRESET");
    });

    it("reads the code of the error in the cause chain that carries the status", () => {
      const wrapped = new RemoteRunError("failed", { cause: restError(404, "ResourceGroupNotFound") });
      assert.equal(errorCodeOf(wrapped), "ResourceGroupNotFound");
    });

    it("has no code for plain objects, non-string codes and non-errors", () => {
      assert.equal(errorCodeOf({ code: "ResourceNotFound" }), undefined);
      assert.equal(errorCodeOf(Object.assign(new Error("x"), { code: 7 })), undefined);
      assert.equal(errorCodeOf(undefined), undefined);
    });
  });

  describe("checks", () => {
    it("isNotFound: any 404, whatever its code", () => {
      assert.equal(isNotFound(restError(404, "ResourceNotFound")), true);
      assert.equal(isNotFound(restError(404, "ResourceGroupNotFound")), true);
      assert.equal(isNotFound(restError(403)), false);
      assert.equal(isNotFound({ statusCode: 404 }), false);
    });

    it("isResourceNotFound: a 404 unless ARM says the resource group is missing", () => {
      assert.equal(isResourceNotFound(restError(404, "ResourceNotFound")), true);
      assert.equal(isResourceNotFound(restError(404)), true);
      assert.equal(isResourceNotFound(restError(404, "ResourceGroupNotFound")), false);
      assert.equal(isResourceNotFound(new AzureOperationError("x", { statusCode: 404, code: "ResourceGroupNotFound" })), false);
      assert.equal(isResourceNotFound(restError(409, "ResourceNotFound")), false);
    });

    it("isConflict: 409 only; isPreconditionFailed: 412 only", () => {
      assert.equal(isConflict(restError(409, "Conflict")), true);
      assert.equal(isConflict(restError(412)), false);
      assert.equal(isPreconditionFailed(restError(412, "PreconditionFailed")), true);
      assert.equal(isPreconditionFailed(restError(409)), false);
      assert.equal(isConflict(undefined), false);
      assert.equal(isPreconditionFailed("412"), false);
    });
  });
});

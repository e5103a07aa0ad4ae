import assert from "node:assert/strict";
import { cloudFromConnection, scopeFor } from "./cloud";

describe("cloudFromConnection", () => {
  it("takes the public cloud's endpoints from an AzureCloud connection", () => {
    const cloud = cloudFromConnection("https://management.azure.com/", { environment: "AzureCloud" });
    assert.equal(cloud.armUrl, "https://management.azure.com");
    assert.equal(cloud.authorityHost, "https://login.microsoftonline.com");
    assert.equal(cloud.armScope, "https://management.azure.com/.default");
    assert.equal(cloud.isKnownAuthority, true);
    assert.equal(cloud.mlStudioUrl, "https://ml.azure.com");
  });

  it("follows a sovereign cloud's authority, audience and studio links", () => {
    const cloud = cloudFromConnection("https://management.usgovcloudapi.net/", {
      environment: "AzureUSGovernment",
      activeDirectoryAuthority: "https://login.microsoftonline.us/",
      activeDirectoryServiceEndpointResourceId: "https://management.core.usgovcloudapi.net/",
    });
    assert.equal(cloud.authorityHost, "https://login.microsoftonline.us");
    assert.equal(cloud.armScope, "https://management.core.usgovcloudapi.net/.default");
    assert.equal(cloud.isKnownAuthority, true);
    assert.equal(cloud.adfStudioUrl, "https://adf.azure.us");
  });

  it("treats any other authority (Azure Stack Hub, the emulator) as one MSAL cannot discover", () => {
    const cloud = cloudFromConnection("https://127.0.0.1:4443/", {
      environment: "AzureStack",
      activeDirectoryAuthority: "https://127.0.0.1:4443/",
      activeDirectoryServiceEndpointResourceId: "https://management.emulator.local/",
    });
    assert.equal(cloud.armUrl, "https://127.0.0.1:4443");
    assert.equal(cloud.authorityHost, "https://127.0.0.1:4443");
    assert.equal(cloud.armScope, "https://management.emulator.local/.default");
    assert.equal(cloud.isKnownAuthority, false);
  });

  it("defaults the audience to the ARM URL and keeps explicit .default scopes", () => {
    assert.equal(
      cloudFromConnection("https://arm.contoso.local/", { environment: "AzureStack", activeDirectoryAuthority: "https://adfs.contoso.local/" }).armScope,
      "https://arm.contoso.local/.default",
    );
    assert.equal(scopeFor("https://x/.default"), "https://x/.default");
  });
});

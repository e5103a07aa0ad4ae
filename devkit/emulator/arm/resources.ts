/**
 * Resource groups (Microsoft.Resources, api-version 2021-04-01 and later): get and list, which
 * the classic editor's resource group pick lists call. Resource groups themselves live in the
 * framework's World; this module only serves them.
 */
import type { EmulatorContext, EmulatorModule, ResourceGroup } from "../framework";
import { resourceGroupId } from "../framework";

const API_VERSIONS = ["2021-04-01", "2022-09-01", "2024-03-01", "2025-04-01"];
const READ = { auth: "arm" as const, action: "Microsoft.Resources/subscriptions/resourceGroups/read", apiVersions: API_VERSIONS };

function body(subscriptionId: string, rg: ResourceGroup): Record<string, unknown> {
  return {
    id: resourceGroupId(subscriptionId, rg.name),
    name: rg.name,
    type: "Microsoft.Resources/resourceGroups",
    location: rg.location,
    properties: { provisioningState: "Succeeded" },
  };
}

export class ResourcesEmulator implements EmulatorModule {
  register(ctx: EmulatorContext): void {
    ctx.router.add(
      "GET",
      "/subscriptions/:subscriptionId/resourcegroups",
      (req) => {
        const sub = ctx.world.subscription(req.params.subscriptionId);
        const groups = [...(sub?.resourceGroups.values() ?? [])];
        return { status: 200, body: { value: groups.map((rg) => body(sub!.subscriptionId, rg)) } };
      },
      READ,
    );
    ctx.router.add(
      "GET",
      "/subscriptions/:subscriptionId/resourcegroups/:resourceGroupName",
      (req) => {
        // The server has already answered 404 ResourceGroupNotFound for a missing group.
        const rg = ctx.world.resourceGroup(req.params.subscriptionId, req.params.resourceGroupName)!;
        return { status: 200, body: body(req.params.subscriptionId, rg) };
      },
      READ,
    );
  }

  reset(): void {}

  dispose(): void {}
}

/** Workspace reads and the errors ARM gives around them. */
import type { ConformanceCase } from "../case";
import { any, like } from "../shape";

const WS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces";
const SPECS = "Azure/azure-rest-api-specs";
const EXAMPLES = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01/examples";

export const cases: ConformanceCase[] = [
  {
    name: "workspace get: identity of the resource and the data-plane addresses",
    recording: { repo: SPECS, path: `${EXAMPLES}/Workspace/get.json` },
    exchanges: [
      {
        what: "GET workspace answers 200 with id, name, type, location and the discovery URL",
        request: { method: "GET", path: `${WS}/{ws}?api-version=2022-10-01` },
        response: {
          status: 200,
          body: {
            id: like(/\/providers\/Microsoft\.MachineLearningServices\/workspaces\/ml_workspace$/),
            name: "ml_workspace",
            type: "Microsoft.MachineLearningServices/workspaces",
            location: any,
            properties: { workspaceId: like(/^[0-9a-f-]{36}$/), discoveryUrl: like(/^https:\/\//), storageAccount: any },
          },
        },
      },
    ],
  },
];

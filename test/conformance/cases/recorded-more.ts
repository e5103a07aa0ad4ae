/**
 * More exchanges derived by hand from real-Azure recordings of the Python ML SDK and the JS
 * management SDKs (names, ids and hosts replaced by the default scenario; the recordings' older
 * api-versions replaced by the one the emulator serves). Each case names its recording.
 */
import type { ConformanceCase } from "../case";
import { each, like, ofType } from "../shape";

const PY = "Azure/azure-sdk-for-python";
const JS = "Azure/azure-sdk-for-js";
const REC = "sdk/ml/azure-ai-ml/tests/recordings";
const RG = "/subscriptions/{sub}/resourceGroups/{rg}";
const WS = `${RG}/providers/Microsoft.MachineLearningServices/workspaces/{ws}`;
const V = "api-version=2022-10-01";
const SYSTEM_DATA = { createdAt: ofType("string"), createdByType: ofType("string"), lastModifiedAt: ofType("string") };

const customModel = (file: string) => ({
  properties: {
    properties: {},
    tags: {},
    isAnonymous: false,
    isArchived: false,
    modelType: "custom_model",
    modelUri: `azureml://subscriptions/{sub}/resourcegroups/{rg}/workspaces/{ws}/datastores/workspaceblobstore/paths/LocalUpload/abc/${file}`,
  },
});

export const cases: ConformanceCase[] = [
  {
    name: "adf: list the factories of a resource group",
    recording: { repo: JS, path: "sdk/datafactory/arm-datafactory/recordings/node/datafactory_test/recording_datafactory_list_test.json" },
    exchanges: [
      {
        what: "GET factories under the resource group answers a value array of factories with provisioningState, createTime, version 2018-06-01 and eTag",
        request: { method: "GET", path: `${RG}/providers/Microsoft.DataFactory/factories?api-version=2018-06-01` },
        response: {
          status: 200,
          headers: { "content-type": /^application\/json/ },
          body: {
            value: each({
              name: ofType("string"),
              id: like(/\/resourceGroups\/ml_rg\/providers\/Microsoft\.DataFactory\/factories\/[^/]+$/i),
              type: "Microsoft.DataFactory/factories",
              location: ofType("string"),
              eTag: ofType("string"),
              properties: { provisioningState: "Succeeded", createTime: ofType("string"), version: "2018-06-01" },
            }),
          },
        },
      },
    ],
  },
  {
    name: "aks: list the managed clusters of a resource group",
    recording: { repo: JS, path: "sdk/containerservice/arm-containerservice/recordings/node/containerservice_test/recording_managedclusters_list_test.json" },
    exchanges: [
      {
        what: "GET managedClusters under the resource group: each item as in a GET (type ManagedClusters, power state, agent pools, network profile, sku)",
        request: { method: "GET", path: `${RG}/providers/Microsoft.ContainerService/managedClusters?api-version=2024-05-01` },
        response: {
          status: 200,
          body: {
            value: each({
              id: like(/\/resourcegroups\/ml_rg\/providers\/Microsoft\.ContainerService\/managedClusters\/[^/]+$/),
              name: ofType("string"),
              location: ofType("string"),
              type: "Microsoft.ContainerService/ManagedClusters",
              sku: { name: ofType("string"), tier: "Free" },
              properties: {
                provisioningState: "Succeeded",
                powerState: { code: "Running" },
                kubernetesVersion: ofType("string"),
                dnsPrefix: ofType("string"),
                fqdn: like(/\.hcp\.[a-z0-9]+\.azmk8s\.io$/),
                agentPoolProfiles: each({
                  name: ofType("string"),
                  count: ofType("number"),
                  type: "VirtualMachineScaleSets",
                  mode: "System",
                  osType: "Linux",
                  powerState: { code: "Running" },
                }),
                nodeResourceGroup: like(/^MC_/),
                enableRBAC: true,
                networkProfile: { outboundType: "loadBalancer", podCidr: ofType("string"), serviceCidr: ofType("string"), dnsServiceIP: ofType("string") },
                maxAgentPools: 100,
              },
            }),
          },
        },
      },
    ],
  },
  {
    name: "environment version from a docker image: 201 with Location, UserCreated, Linux",
    recording: { repo: PY, path: `${REC}/environment/e2etests/test_environment.pyTestEnvironmenttest_environment_create_or_update_docker.json` },
    exchanges: [
      {
        what: "PUT environments/<name>/versions/1 with only an image answers 201 with Location and the defaulted properties",
        request: {
          method: "PUT",
          path: `${WS}/environments/conf_docker_env/versions/1?${V}`,
          body: { properties: { isAnonymous: false, isArchived: false, image: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04" } },
        },
        response: {
          status: 201,
          headers: { location: /\/environments\/conf_docker_env\/versions\/1\?api-version=/ },
          body: {
            id: like(/\/workspaces\/ml_workspace\/environments\/conf_docker_env\/versions\/1$/),
            name: "1",
            type: "Microsoft.MachineLearningServices/workspaces/environments/versions",
            properties: {
              tags: {},
              properties: {},
              isArchived: false,
              isAnonymous: false,
              environmentType: "UserCreated",
              image: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04",
              osType: "Linux",
            },
            systemData: SYSTEM_DATA,
          },
        },
      },
    ],
  },
  {
    name: "curated environment get: Curated, Linux, not archived",
    recording: { repo: PY, path: `${REC}/environment/e2etests/test_environment.pyTestEnvironmenttest_environment_get.json` },
    exchanges: [
      {
        what: "GET a curated environment version answers 200 with environmentType Curated",
        request: { method: "GET", path: `${WS}/environments/AzureML-sklearn-1.5/versions/1?${V}` },
        response: {
          status: 200,
          body: {
            id: like(/\/environments\/AzureML-sklearn-1\.5\/versions\/1$/),
            name: "1",
            type: "Microsoft.MachineLearningServices/workspaces/environments/versions",
            properties: { isArchived: false, isAnonymous: false, environmentType: "Curated", osType: "Linux" },
            systemData: SYSTEM_DATA,
          },
        },
      },
    ],
  },
  {
    name: "code version registered from an upload: workspace get, 201 with Location, get",
    recording: { repo: PY, path: `${REC}/code_asset/e2etests/test_code.pyTestCodetest_create_and_get.json` },
    exchanges: [
      {
        what: "GET the workspace (the SDK reads its storage account first)",
        request: { method: "GET", path: `${WS}?${V}` },
        response: {
          status: 200,
          body: {
            name: "ml_workspace",
            type: "Microsoft.MachineLearningServices/workspaces",
            properties: {
              storageAccount: like(/\/providers\/Microsoft\.Storage\/storageAccounts\//),
              provisioningState: "Succeeded",
              discoveryUrl: like(/^https:\/\//),
            },
          },
        },
      },
      {
        what: "PUT codes/<name>/versions/2 with the hash properties answers 201 with Location",
        request: {
          method: "PUT",
          path: `${WS}/codes/conf_code/versions/2?${V}`,
          body: {
            properties: {
              properties: { hash_sha256: "0000000000000", hash_version: "0000000000000" },
              isAnonymous: false,
              isArchived: false,
              codeUri: "https://127.0.0.1/azureml-blobstore/LocalUpload/abc/",
            },
          },
        },
        response: {
          status: 201,
          headers: { location: /\/codes\/conf_code\/versions\/2\?api-version=/ },
          body: {
            name: "2",
            type: "Microsoft.MachineLearningServices/workspaces/codes/versions",
            properties: {
              tags: {},
              properties: { hash_sha256: "0000000000000", hash_version: "0000000000000" },
              isArchived: false,
              isAnonymous: false,
              codeUri: "https://127.0.0.1/azureml-blobstore/LocalUpload/abc/",
            },
            systemData: SYSTEM_DATA,
          },
        },
      },
      {
        what: "GET the version answers 200 with the same content",
        request: { method: "GET", path: `${WS}/codes/conf_code/versions/2?${V}` },
        response: {
          status: 200,
          body: {
            id: like(/\/codes\/conf_code\/versions\/2$/),
            name: "2",
            properties: { properties: { hash_sha256: "0000000000000" }, codeUri: "https://127.0.0.1/azureml-blobstore/LocalUpload/abc/" },
          },
        },
      },
    ],
  },
  {
    name: "models listed without a name: containers with latestVersion and nextVersion",
    recording: { repo: PY, path: `${REC}/model/e2etests/test_model.pyTestModeltest_list_no_name.json` },
    given: [
      { method: "PUT", path: `${WS}/models/conf_list_a/versions/1?${V}`, body: customModel("a.pkl") },
      { method: "PUT", path: `${WS}/models/conf_list_a/versions/2?${V}`, body: customModel("a.pkl") },
      { method: "PUT", path: `${WS}/models/conf_list_a/versions/3?${V}`, body: customModel("a.pkl") },
      { method: "PUT", path: `${WS}/models/conf_list_b/versions/1?${V}`, body: customModel("b.pkl") },
    ],
    exchanges: [
      {
        what: "GET models (ActiveOnly) answers model containers, each with latestVersion and nextVersion as strings",
        request: { method: "GET", path: `${WS}/models?${V}&listViewType=ActiveOnly` },
        response: {
          status: 200,
          body: {
            value: each(
              {
                id: like(/\/workspaces\/ml_workspace\/models\/[^/]+$/),
                name: ofType("string"),
                type: "Microsoft.MachineLearningServices/workspaces/models",
                properties: { isArchived: false, latestVersion: ofType("string"), nextVersion: ofType("string") },
                systemData: SYSTEM_DATA,
              },
              2,
            ),
          },
        },
      },
      {
        what: "the container with three versions shows latestVersion 3 and nextVersion 4",
        request: { method: "GET", path: `${WS}/models/conf_list_a?${V}` },
        response: {
          status: 200,
          body: { name: "conf_list_a", type: "Microsoft.MachineLearningServices/workspaces/models", properties: { latestVersion: "3", nextVersion: "4" } },
        },
      },
    ],
  },
  {
    name: "model 'latest' label: datastore and secrets read before the upload, then a newer version registered",
    recording: { repo: PY, path: `${REC}/model/e2etests/test_model.pyTestModeltest_models_get_latest_label.json` },
    given: [{ method: "PUT", path: `${WS}/models/conf_latest/versions/3?${V}`, body: customModel("model.pkl") }],
    exchanges: [
      {
        what: "GET the default datastore (before the upload)",
        request: { method: "GET", path: `${WS}/datastores/workspaceblobstore?${V}` },
        response: {
          status: 200,
          body: {
            name: "workspaceblobstore",
            properties: { isDefault: true, credentials: { credentialsType: "AccountKey" }, datastoreType: "AzureBlob", protocol: "https" },
          },
        },
      },
      {
        what: "POST listSecrets for the upload answers the account key",
        request: { method: "POST", path: `${WS}/datastores/workspaceblobstore/listSecrets?${V}` },
        response: { status: 200, body: { secretsType: "AccountKey", key: ofType("string") } },
      },
      {
        what: "a newer version is registered: 201 with Location",
        request: { method: "PUT", path: `${WS}/models/conf_latest/versions/4?${V}`, body: customModel("model.pkl") },
        response: {
          status: 201,
          headers: { location: /\/models\/conf_latest\/versions\/4\?api-version=/ },
          body: { name: "4", properties: { modelType: "custom_model", jobName: null } },
        },
      },
    ],
  },
  {
    name: "data versions listed: each version readable, the list newest first",
    recording: { repo: PY, path: `${REC}/dataset/e2etests/test_data.pyTestDatatest_list.json` },
    given: [
      {
        method: "PUT",
        path: `${WS}/data/conf_list_data/versions/1?${V}`,
        body: { properties: { isAnonymous: false, isArchived: false, dataType: "uri_folder", dataUri: "https://example.invalid/one/" } },
      },
      {
        method: "PUT",
        path: `${WS}/data/conf_list_data/versions/2?${V}`,
        body: { properties: { isAnonymous: false, isArchived: false, dataType: "uri_folder", dataUri: "https://example.invalid/two/" } },
      },
    ],
    exchanges: [
      {
        what: "GET version 1 answers 200",
        request: { method: "GET", path: `${WS}/data/conf_list_data/versions/1?${V}` },
        response: {
          status: 200,
          body: {
            id: like(/\/data\/conf_list_data\/versions\/1$/),
            name: "1",
            type: "Microsoft.MachineLearningServices/workspaces/data/versions",
            properties: { tags: {}, properties: {}, isArchived: false, isAnonymous: false, dataUri: "https://example.invalid/one/", dataType: "uri_folder" },
            systemData: SYSTEM_DATA,
          },
        },
      },
      {
        what: "GET version 2 answers 200",
        request: { method: "GET", path: `${WS}/data/conf_list_data/versions/2?${V}` },
        response: { status: 200, body: { name: "2", properties: { dataUri: "https://example.invalid/two/", dataType: "uri_folder" } } },
      },
      {
        what: "GET versions (ActiveOnly) lists both, newest first",
        request: { method: "GET", path: `${WS}/data/conf_list_data/versions?${V}&listViewType=ActiveOnly` },
        response: {
          status: 200,
          body: {
            value: [
              {
                name: "2",
                type: "Microsoft.MachineLearningServices/workspaces/data/versions",
                properties: { isArchived: false, dataType: "uri_folder", dataUri: "https://example.invalid/two/" },
              },
              {
                name: "1",
                type: "Microsoft.MachineLearningServices/workspaces/data/versions",
                properties: { isArchived: false, dataType: "uri_folder", dataUri: "https://example.invalid/one/" },
              },
            ],
          },
        },
      },
    ],
  },
  {
    name: "environment auto-increment: unknown container 404 UserError, version 1 created, container shows latestVersion",
    recording: { repo: PY, path: `${REC}/environment/e2etests/test_environment.pyTestEnvironmenttest_create_autoincrement.json` },
    exchanges: [
      {
        what: "GET an environment container that does not exist answers 404 UserError",
        request: { method: "GET", path: `${WS}/environments/conf_auto_env?${V}` },
        response: { status: 404, body: { error: { code: "UserError", message: ofType("string") } } },
      },
      {
        what: "PUT version 1 (image and conda file) answers 201 with Location, UserCreated, Linux",
        request: {
          method: "PUT",
          path: `${WS}/environments/conf_auto_env/versions/1?${V}`,
          body: {
            properties: {
              description: "conformance env",
              isAnonymous: false,
              isArchived: false,
              condaFile: "channels:\n- conda-forge\ndependencies:\n- python=3.8\n- pip\nname: conf-env\n",
              image: "mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04",
            },
          },
        },
        response: {
          status: 201,
          headers: { location: /\/environments\/conf_auto_env\/versions\/1\?api-version=/ },
          body: {
            name: "1",
            type: "Microsoft.MachineLearningServices/workspaces/environments/versions",
            properties: {
              description: "conformance env",
              tags: {},
              properties: {},
              isArchived: false,
              isAnonymous: false,
              environmentType: "UserCreated",
              image: "mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04",
              osType: "Linux",
            },
            systemData: SYSTEM_DATA,
          },
        },
      },
      {
        what: "GET the container answers 200 with latestVersion 1 and a nextVersion",
        request: { method: "GET", path: `${WS}/environments/conf_auto_env?${V}` },
        response: {
          status: 200,
          body: {
            id: like(/\/workspaces\/ml_workspace\/environments\/conf_auto_env$/),
            name: "conf_auto_env",
            type: "Microsoft.MachineLearningServices/workspaces/environments",
            properties: { isArchived: false, latestVersion: "1", nextVersion: ofType("string") },
            systemData: SYSTEM_DATA,
          },
        },
      },
    ],
  },
  {
    name: "component list: code re-registered (200), component version 201 with Location, containers and versions listed",
    recording: { repo: PY, path: `${REC}/component/e2etests/test_component.pyTestComponenttest_component_list.json` },
    given: [
      {
        method: "PUT",
        path: `${WS}/codes/5c0de000-0000-4000-8000-0000000000a1/versions/1?${V}`,
        body: {
          properties: {
            properties: { hash_sha256: "0000000000000", hash_version: "0000000000000" },
            isAnonymous: true,
            isArchived: false,
            codeUri: "https://127.0.0.1/azureml-blobstore/LocalUpload/abc",
          },
        },
      },
    ],
    exchanges: [
      {
        what: "the same code version PUT again answers 200 (already registered)",
        request: {
          method: "PUT",
          path: `${WS}/codes/5c0de000-0000-4000-8000-0000000000a1/versions/1?${V}`,
          body: {
            properties: {
              properties: { hash_sha256: "0000000000000", hash_version: "0000000000000" },
              isAnonymous: true,
              isArchived: false,
              codeUri: "https://127.0.0.1/azureml-blobstore/LocalUpload/abc",
            },
          },
        },
        response: {
          status: 200,
          body: {
            name: "1",
            type: "Microsoft.MachineLearningServices/workspaces/codes/versions",
            properties: { properties: { hash_sha256: "0000000000000" }, codeUri: "https://127.0.0.1/azureml-blobstore/LocalUpload/abc" },
          },
        },
      },
      {
        what: "PUT components/<name>/versions/0.0.1 answers 201 with Location and the component spec",
        request: {
          method: "PUT",
          path: `${WS}/components/conf_listed/versions/0.0.1?${V}`,
          body: {
            properties: {
              description: "conformance command component",
              properties: {},
              tags: { owner: "conformance" },
              isAnonymous: false,
              isArchived: false,
              componentSpec: {
                name: "conf_listed",
                version: "0.0.1",
                type: "command",
                display_name: "ConfListed",
                command: "echo ${{inputs.n}} > ${{outputs.out}}/n",
                code: `azureml:${WS}/codes/5c0de000-0000-4000-8000-0000000000a1/versions/1`,
                environment: "azureml:AzureML-sklearn-1.5:1",
                inputs: { n: { type: "number", optional: true, default: "10.99" } },
                outputs: { out: { type: "uri_folder" } },
              },
            },
          },
        },
        response: {
          status: 201,
          headers: { location: /\/components\/conf_listed\/versions\/0\.0\.1\?api-version=/ },
          body: {
            name: "0.0.1",
            type: "Microsoft.MachineLearningServices/workspaces/components/versions",
            properties: {
              tags: { owner: "conformance" },
              properties: {},
              isArchived: false,
              isAnonymous: false,
              componentSpec: { name: "conf_listed", version: "0.0.1", type: "command", display_name: "ConfListed", outputs: { out: { type: "uri_folder" } } },
            },
            systemData: SYSTEM_DATA,
          },
        },
      },
      {
        what: "GET components (ActiveOnly) lists component containers",
        request: { method: "GET", path: `${WS}/components?${V}&listViewType=ActiveOnly` },
        response: {
          status: 200,
          body: {
            value: each({
              id: like(/\/workspaces\/ml_workspace\/components\/[^/]+$/),
              name: ofType("string"),
              type: "Microsoft.MachineLearningServices/workspaces/components",
              properties: { isArchived: false, nextVersion: ofType("string") },
            }),
          },
        },
      },
      {
        what: "GET the component's versions (ActiveOnly) lists 0.0.1",
        request: { method: "GET", path: `${WS}/components/conf_listed/versions?${V}&listViewType=ActiveOnly` },
        response: {
          status: 200,
          body: {
            value: [
              {
                id: like(/\/components\/conf_listed\/versions\/0\.0\.1$/),
                name: "0.0.1",
                type: "Microsoft.MachineLearningServices/workspaces/components/versions",
                properties: { isArchived: false, isAnonymous: false, componentSpec: { name: "conf_listed", type: "command" } },
              },
            ],
          },
        },
      },
    ],
  },
];

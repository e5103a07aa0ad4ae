/**
 * Azure ML versioned assets (models, code, components, environments) and datastore reads, derived
 * by hand from the recordings each case names (names, ids and hosts replaced by the default
 * scenario). Spec examples give the operation's statuses and body shape; the SDK recordings give
 * what the live service answered.
 */
import type { ConformanceCase } from "../case";
import { absent, each, like, ofType } from "../shape";

const PY = "Azure/azure-sdk-for-python";
const SPECS = "Azure/azure-rest-api-specs";
const REC = "sdk/ml/azure-ai-ml/tests/recordings";
const EXAMPLES = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01/examples";
const WS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}";
const V = "api-version=2022-10-01";

const mlflowModel = {
  properties: {
    description: "conformance model",
    properties: {},
    tags: { foo: "bar" },
    isAnonymous: false,
    isArchived: false,
    flavors: { sklearn: { data: { sklearn_version: "1.1.0" } } },
    modelType: "mlflow_model",
    modelUri: "azureml://subscriptions/{sub}/resourcegroups/{rg}/workspaces/{ws}/datastores/workspaceblobstore/paths/LocalUpload/abc/model",
  },
};

export const cases: ConformanceCase[] = [
  {
    name: "model registered from an upload: datastore and secrets, 201 with Location, get, list versions",
    recording: { repo: PY, path: `${REC}/model/e2etests/test_model.pyTestModeltest_crud_file.json` },
    exchanges: [
      {
        what: "GET the default datastore (no secrets in it)",
        request: { method: "GET", path: `${WS}/datastores/workspaceblobstore?${V}` },
        response: {
          status: 200,
          body: {
            name: "workspaceblobstore",
            properties: {
              isDefault: true,
              credentials: { credentialsType: "AccountKey" },
              datastoreType: "AzureBlob",
              endpoint: ofType("string"),
              protocol: "https",
            },
          },
        },
      },
      {
        what: "POST listSecrets gives the account key",
        request: { method: "POST", path: `${WS}/datastores/workspaceblobstore/listSecrets?${V}` },
        response: { status: 200, body: { secretsType: "AccountKey", key: ofType("string") } },
      },
      {
        what: "PUT models/<name>/versions/3 answers 201 with Location",
        request: { method: "PUT", path: `${WS}/models/conf_model/versions/3?${V}`, body: mlflowModel },
        response: {
          status: 201,
          headers: { location: /\/models\/conf_model\/versions\/3\?api-version=/ },
          body: {
            id: like(/\/models\/conf_model\/versions\/3$/),
            name: "3",
            type: "Microsoft.MachineLearningServices/workspaces/models/versions",
            properties: {
              description: "conformance model",
              tags: { foo: "bar" },
              isArchived: false,
              isAnonymous: false,
              modelType: "mlflow_model",
              jobName: null,
              modelUri: ofType("string"),
            },
          },
        },
      },
      {
        what: "GET the version answers 200 with the same content",
        request: { method: "GET", path: `${WS}/models/conf_model/versions/3?${V}` },
        response: {
          status: 200,
          body: {
            name: "3",
            properties: { modelType: "mlflow_model", flavors: { sklearn: { data: { sklearn_version: "1.1.0" } } }, jobName: null },
            systemData: { createdAt: ofType("string"), lastModifiedAt: ofType("string") },
          },
        },
      },
      {
        what: "GET versions (ActiveOnly) lists it",
        request: { method: "GET", path: `${WS}/models/conf_model/versions?${V}&listViewType=ActiveOnly` },
        response: {
          status: 200,
          body: { value: [{ name: "3", type: "Microsoft.MachineLearningServices/workspaces/models/versions", properties: { modelType: "mlflow_model" } }] },
        },
      },
    ],
  },
  {
    name: "data asset (uri_folder) registered from an upload: 201 with Location, then get",
    recording: { repo: PY, path: `${REC}/dataset/e2etests/test_data.pyTestDatatest_create_uri_folder.json` },
    exchanges: [
      {
        what: "GET the default datastore before the upload",
        request: { method: "GET", path: `${WS}/datastores/workspaceblobstore?${V}` },
        response: { status: 200, body: { properties: { isDefault: true, credentials: { credentialsType: "AccountKey" }, datastoreType: "AzureBlob" } } },
      },
      {
        what: "POST listSecrets for the upload",
        request: { method: "POST", path: `${WS}/datastores/workspaceblobstore/listSecrets?${V}` },
        response: { status: 200, body: { secretsType: "AccountKey", key: ofType("string") } },
      },
      {
        what: "PUT data/<name>/versions/1 answers 201 with Location",
        request: {
          method: "PUT",
          path: `${WS}/data/conf_data/versions/1?${V}`,
          body: {
            properties: {
              description: "conformance data",
              properties: {},
              tags: {},
              isAnonymous: false,
              isArchived: false,
              dataType: "uri_folder",
              dataUri: "azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/tmp_folder",
            },
          },
        },
        response: {
          status: 201,
          headers: { location: /\/data\/conf_data\/versions\/1\?api-version=/ },
          body: {
            name: "1",
            type: "Microsoft.MachineLearningServices/workspaces/data/versions",
            properties: {
              description: "conformance data",
              isArchived: false,
              isAnonymous: false,
              dataType: "uri_folder",
              dataUri: like(/workspaceblobstore\/paths\/LocalUpload\/abc\/tmp_folder/),
            },
          },
        },
      },
      {
        what: "GET the version answers 200",
        request: { method: "GET", path: `${WS}/data/conf_data/versions/1?${V}` },
        response: {
          status: 200,
          body: { id: like(/\/data\/conf_data\/versions\/1$/), properties: { dataType: "uri_folder" }, systemData: { createdAt: ofType("string") } },
        },
      },
    ],
  },
  {
    name: "model version create and re-create (spec example): 201 then 200",
    recording: { repo: SPECS, path: `${EXAMPLES}/ModelVersion/createOrUpdate.json` },
    exchanges: [
      {
        what: "PUT a custom model version answers 201",
        request: {
          method: "PUT",
          path: `${WS}/models/conf_custom/versions/1?${V}`,
          body: {
            properties: {
              description: "d",
              tags: { t: "v" },
              properties: { p: "v" },
              isAnonymous: false,
              modelType: "custom_model",
              modelUri: "azureml://datastores/workspaceblobstore/paths/models/custom/",
            },
          },
        },
        response: {
          status: 201,
          body: {
            name: "1",
            properties: { description: "d", tags: { t: "v" }, properties: { p: "v" }, isAnonymous: false, modelType: "custom_model" },
            systemData: { createdByType: ofType("string") },
          },
        },
      },
      {
        what: "the same PUT again answers 200 (idempotent)",
        request: {
          method: "PUT",
          path: `${WS}/models/conf_custom/versions/1?${V}`,
          body: {
            properties: {
              description: "d",
              tags: { t: "v" },
              properties: { p: "v" },
              isAnonymous: false,
              modelType: "custom_model",
              modelUri: "azureml://datastores/workspaceblobstore/paths/models/custom/",
            },
          },
        },
        response: { status: 200, body: { name: "1", properties: { modelType: "custom_model" } } },
      },
    ],
  },
  {
    name: "code version create and re-create (spec example)",
    recording: { repo: SPECS, path: `${EXAMPLES}/CodeVersion/createOrUpdate.json` },
    exchanges: [
      {
        what: "PUT a code version answers 201 with its codeUri",
        request: {
          method: "PUT",
          path: `${WS}/codes/5c0de000-0000-4000-8000-000000000002/versions/1?${V}`,
          body: {
            properties: {
              description: "d",
              tags: { t: "v" },
              properties: { p: "v" },
              isAnonymous: false,
              codeUri: "https://127.0.0.1/container/LocalUpload/abc/src",
            },
          },
        },
        response: {
          status: 201,
          body: {
            name: "1",
            type: "Microsoft.MachineLearningServices/workspaces/codes/versions",
            properties: { description: "d", isAnonymous: false, codeUri: "https://127.0.0.1/container/LocalUpload/abc/src" },
          },
        },
      },
      {
        what: "the same PUT again answers 200",
        request: {
          method: "PUT",
          path: `${WS}/codes/5c0de000-0000-4000-8000-000000000002/versions/1?${V}`,
          body: {
            properties: {
              description: "d",
              tags: { t: "v" },
              properties: { p: "v" },
              isAnonymous: false,
              codeUri: "https://127.0.0.1/container/LocalUpload/abc/src",
            },
          },
        },
        response: { status: 200, body: { name: "1", properties: { codeUri: "https://127.0.0.1/container/LocalUpload/abc/src" } } },
      },
    ],
  },
  {
    name: "component version create and get (spec example)",
    recording: { repo: SPECS, path: `${EXAMPLES}/ComponentVersion/createOrUpdate.json` },
    exchanges: [
      {
        what: "PUT a named component version answers 201",
        request: {
          method: "PUT",
          path: `${WS}/components/conf_train/versions/1?${V}`,
          body: {
            properties: {
              description: "d",
              tags: { t: "v" },
              properties: { p: "v" },
              isAnonymous: false,
              componentSpec: { name: "conf_train", version: "1", type: "command", command: "python train.py", environment: "azureml:AzureML-sklearn-1.5:1" },
            },
          },
        },
        response: {
          status: 201,
          body: {
            name: "1",
            type: "Microsoft.MachineLearningServices/workspaces/components/versions",
            properties: { isAnonymous: false, componentSpec: { type: "command", command: "python train.py" } },
          },
        },
      },
      {
        what: "GET it answers 200",
        request: { method: "GET", path: `${WS}/components/conf_train/versions/1?${V}` },
        response: {
          status: 200,
          body: { id: like(/\/components\/conf_train\/versions\/1$/), name: "1", properties: { componentSpec: { name: "conf_train" } } },
        },
      },
      {
        what: "the component's versions list it",
        request: { method: "GET", path: `${WS}/components/conf_train/versions?${V}` },
        response: { status: 200, body: { value: each({ name: "1", properties: { isAnonymous: false } }) } },
      },
    ],
  },
  {
    name: "environment version create (spec example): image-based, UserCreated; a curated name is refused",
    recording: { repo: SPECS, path: `${EXAMPLES}/EnvironmentVersion/createOrUpdate.json` },
    exchanges: [
      {
        what: "PUT an environment version from an image answers 201, osType defaulted",
        request: {
          method: "PUT",
          path: `${WS}/environments/conf_env/versions/1?${V}`,
          body: {
            properties: { description: "d", tags: { t: "v" }, properties: { p: "v" }, isAnonymous: false, image: "docker.io/tensorflow/serving:latest" },
          },
        },
        response: {
          status: 201,
          body: {
            name: "1",
            type: "Microsoft.MachineLearningServices/workspaces/environments/versions",
            properties: { image: "docker.io/tensorflow/serving:latest", environmentType: "UserCreated", osType: "Linux" },
          },
        },
      },
      {
        what: "the same PUT again answers 200",
        request: {
          method: "PUT",
          path: `${WS}/environments/conf_env/versions/1?${V}`,
          body: {
            properties: { description: "d", tags: { t: "v" }, properties: { p: "v" }, isAnonymous: false, image: "docker.io/tensorflow/serving:latest" },
          },
        },
        response: { status: 200, body: { name: "1" } },
      },
      {
        what: "a curated environment is read as Curated",
        request: { method: "GET", path: `${WS}/environments/AzureML-sklearn-1.5/versions/1?${V}` },
        response: { status: 200, body: { properties: { environmentType: "Curated" } } },
      },
    ],
  },
  {
    name: "datastore get (spec example): AzureBlob with AccountKey credentials and no secret",
    recording: { repo: SPECS, path: `${EXAMPLES}/Datastore/get.json` },
    exchanges: [
      {
        what: "GET datastore answers the blob account, container, endpoint and protocol",
        request: { method: "GET", path: `${WS}/datastores/workspaceblobstore?${V}` },
        response: {
          status: 200,
          body: {
            type: "Microsoft.MachineLearningServices/workspaces/datastores",
            properties: {
              credentials: { credentialsType: "AccountKey", secrets: absent },
              datastoreType: "AzureBlob",
              accountName: ofType("string"),
              containerName: ofType("string"),
              endpoint: ofType("string"),
              protocol: "https",
            },
          },
        },
      },
    ],
  },
  {
    name: "datastore listSecrets (spec example)",
    recording: { repo: SPECS, path: `${EXAMPLES}/Datastore/listSecrets.json` },
    exchanges: [
      {
        what: "POST listSecrets answers secretsType and key",
        request: { method: "POST", path: `${WS}/datastores/workspaceblobstore/listSecrets?${V}` },
        response: { status: 200, body: { secretsType: "AccountKey", key: ofType("string") } },
      },
    ],
  },
];

/**
 * Request-body schemas of Microsoft.MachineLearningServices 2022-10-01, written from mfe.json and
 * machineLearningServices.json: required fields, enums and discriminators (the parts a client gets
 * wrong). Unknown keys are tolerated (the service ignores them); wrong types, missing required
 * fields, unknown enum values and unknown discriminator values are 400 InvalidRequestContent.
 */
import type { Schema } from "../../framework";

const str = (extra: { required?: boolean; enum?: readonly string[]; pattern?: RegExp } = {}): Schema => ({ type: "string", nullable: true, ...extra });
const int = (extra: { required?: boolean; minimum?: number; maximum?: number } = {}): Schema => ({ type: "integer", nullable: true, ...extra });
const bool: Schema = { type: "boolean", nullable: true };
const stringMap: Schema = { type: "object", nullable: true, additionalProperties: { type: "string", nullable: true } };
const anyObject = (required = false): Schema => ({ type: "object", nullable: !required, required });
const obj = (properties: Record<string, Schema>, extra: { required?: boolean } = {}): Schema => ({ type: "object", nullable: !extra.required, properties, ...extra });

/** description / properties / tags (ResourceBase). */
const resourceBase: Record<string, Schema> = { description: str(), properties: stringMap, tags: stringMap };
/** AssetBase. */
const assetBase: Record<string, Schema> = { ...resourceBase, isAnonymous: bool, isArchived: bool };

export const INPUT_DELIVERY_MODES = ["ReadOnlyMount", "ReadWriteMount", "Download", "Direct", "EvalMount", "EvalDownload"] as const;
export const OUTPUT_DELIVERY_MODES = ["ReadWriteMount", "Upload"] as const;
export const JOB_STATUSES = [
  "NotStarted",
  "Starting",
  "Provisioning",
  "Preparing",
  "Queued",
  "Running",
  "Finalizing",
  "CancelRequested",
  "Completed",
  "Failed",
  "Canceled",
  "NotResponding",
  "Paused",
  "Unknown",
] as const;
export const MODEL_TYPES = ["custom_model", "mlflow_model", "triton_model", "CustomModel", "MLFlowModel", "TritonModel"] as const;
export const DATA_TYPES = ["uri_file", "uri_folder", "mltable"] as const;

const assetInput: Record<string, Schema> = { uri: str({ required: true }), mode: str({ enum: INPUT_DELIVERY_MODES }) };
const assetOutput: Record<string, Schema> = { uri: str(), mode: str({ enum: OUTPUT_DELIVERY_MODES }) };

export const jobInputSchema: Schema = {
  type: "object",
  properties: { description: str() },
  discriminator: {
    property: "jobInputType",
    mapping: {
      literal: { value: str({ required: true }) },
      uri_file: assetInput,
      uri_folder: assetInput,
      mltable: assetInput,
      custom_model: assetInput,
      mlflow_model: assetInput,
      triton_model: assetInput,
    },
  },
};

export const jobOutputSchema: Schema = {
  type: "object",
  properties: { description: str() },
  discriminator: {
    property: "jobOutputType",
    mapping: {
      uri_file: assetOutput,
      uri_folder: assetOutput,
      mltable: assetOutput,
      custom_model: assetOutput,
      mlflow_model: assetOutput,
      triton_model: assetOutput,
    },
  },
};

const inputs: Schema = { type: "object", nullable: true, additionalProperties: jobInputSchema };
const outputs: Schema = { type: "object", nullable: true, additionalProperties: { ...jobOutputSchema, nullable: true } };

const identityConfiguration: Schema = {
  type: "object",
  nullable: true,
  discriminator: { property: "identityType", mapping: { Managed: { clientId: str(), objectId: str(), resourceId: str() }, AMLToken: {}, UserIdentity: {} } },
};

const jobService: Schema = obj({ endpoint: str(), jobServiceType: str(), port: int(), properties: stringMap });

const jobBase: Record<string, Schema> = {
  ...resourceBase,
  componentId: str(),
  computeId: str(),
  displayName: str(),
  experimentName: str(),
  identity: identityConfiguration,
  isArchived: bool,
  services: { type: "object", nullable: true, additionalProperties: jobService },
};

const distribution: Schema = {
  type: "object",
  nullable: true,
  discriminator: {
    property: "distributionType",
    mapping: {
      Mpi: { processCountPerInstance: int() },
      PyTorch: { processCountPerInstance: int() },
      TensorFlow: { parameterServerCount: int(), workerCount: int() },
    },
  },
};

const resourceConfiguration: Schema = obj({ instanceCount: int({ minimum: 1 }), instanceType: str(), properties: anyObject(), dockerArgs: str(), shmSize: str({ pattern: /^\d+[bBkKmMgG]$/ }) });

export const jobSchema: Schema = obj(
  {
    properties: {
      type: "object",
      required: true,
      properties: jobBase,
      discriminator: {
        property: "jobType",
        mapping: {
          Command: {
            codeId: str(),
            command: str({ required: true, pattern: /\S/ }),
            distribution,
            environmentId: str({ required: true, pattern: /\S/ }),
            environmentVariables: stringMap,
            inputs,
            limits: {
              type: "object",
              nullable: true,
              properties: { timeout: str() },
              discriminator: { property: "jobLimitsType", mapping: { Command: {}, Sweep: {} } },
            },
            outputs,
            resources: resourceConfiguration,
          },
          Pipeline: { inputs, outputs, jobs: { type: "object", nullable: true, additionalProperties: { type: "object" } }, settings: anyObject(), sourceJobId: str() },
          Sweep: {
            earlyTermination: anyObject(),
            inputs,
            outputs,
            limits: anyObject(),
            objective: obj({ goal: str({ required: true, enum: ["Minimize", "Maximize"] }), primaryMetric: str({ required: true }) }, { required: true }),
            samplingAlgorithm: anyObject(true),
            searchSpace: anyObject(true),
            trial: obj({ command: str({ required: true }), environmentId: str({ required: true }), codeId: str() }, { required: true }),
          },
          AutoML: { taskDetails: anyObject(true), environmentId: str(), outputs, resources: resourceConfiguration },
        },
      },
    },
  },
  { required: true },
);

// ---------------------------------------------------------------------------------------------
// Datastores

const secrets = (kind: string, fields: Record<string, Schema>): Schema => ({
  type: "object",
  required: true,
  properties: { secretsType: str({ required: true, enum: [kind] }), ...fields },
});

const datastoreCredentials: Schema = {
  type: "object",
  required: true,
  discriminator: {
    property: "credentialsType",
    mapping: {
      AccountKey: { secrets: secrets("AccountKey", { key: str() }) },
      None: {},
      Sas: { secrets: secrets("Sas", { sasToken: str() }) },
      ServicePrincipal: {
        authorityUrl: str(),
        clientId: str({ required: true }),
        resourceUrl: str(),
        tenantId: str({ required: true }),
        secrets: secrets("ServicePrincipal", { clientSecret: str() }),
      },
      Certificate: {
        authorityUrl: str(),
        clientId: str({ required: true }),
        resourceUrl: str(),
        tenantId: str({ required: true }),
        thumbprint: str({ required: true }),
        secrets: secrets("Certificate", { certificate: str() }),
      },
    },
  },
};

const dataAccessIdentity = str({ enum: ["None", "WorkspaceSystemAssignedIdentity", "WorkspaceUserAssignedIdentity"] });

export const datastoreSchema: Schema = obj(
  {
    properties: {
      type: "object",
      required: true,
      properties: { ...resourceBase, credentials: datastoreCredentials },
      discriminator: {
        property: "datastoreType",
        mapping: {
          AzureBlob: { accountName: str(), containerName: str(), endpoint: str(), protocol: str(), serviceDataAccessAuthIdentity: dataAccessIdentity },
          AzureDataLakeGen1: { storeName: str({ required: true }), serviceDataAccessAuthIdentity: dataAccessIdentity },
          AzureDataLakeGen2: {
            accountName: str({ required: true }),
            filesystem: str({ required: true }),
            endpoint: str(),
            protocol: str(),
            serviceDataAccessAuthIdentity: dataAccessIdentity,
          },
          AzureFile: {
            accountName: str({ required: true }),
            fileShareName: str({ required: true }),
            endpoint: str(),
            protocol: str(),
            serviceDataAccessAuthIdentity: dataAccessIdentity,
          },
        },
      },
    },
  },
  { required: true },
);

// ---------------------------------------------------------------------------------------------
// Assets: containers and versions

export const containerSchema: Schema = obj({ properties: obj({ ...resourceBase, isArchived: bool }, { required: true }) }, { required: true });

export const dataContainerSchema: Schema = obj(
  { properties: obj({ ...resourceBase, isArchived: bool, dataType: str({ required: true, enum: DATA_TYPES }) }, { required: true }) },
  { required: true },
);

export const codeVersionSchema: Schema = obj({ properties: obj({ ...assetBase, codeUri: str({ required: true }) }, { required: true }) }, { required: true });

export const componentVersionSchema: Schema = obj({ properties: obj({ ...assetBase, componentSpec: anyObject(true) }, { required: true }) }, { required: true });

const route: Schema = obj({ path: str({ required: true }), port: int({ required: true }) });

export const environmentVersionSchema: Schema = obj(
  {
    properties: obj(
      {
        ...assetBase,
        autoRebuild: str({ enum: ["Disabled", "OnBaseImageUpdate"] }),
        build: obj({ contextUri: str({ required: true }), dockerfilePath: str() }),
        condaFile: str(),
        image: str(),
        inferenceConfig: obj({ livenessRoute: route, readinessRoute: route, scoringRoute: route }),
        osType: str({ enum: ["Linux", "Windows"] }),
      },
      { required: true },
    ),
  },
  { required: true },
);

export const modelVersionSchema: Schema = obj(
  {
    properties: obj(
      {
        ...assetBase,
        flavors: { type: "object", nullable: true, additionalProperties: obj({ data: stringMap }) },
        jobName: str(),
        modelType: str({ enum: MODEL_TYPES }),
        modelUri: str({ required: true }),
      },
      { required: true },
    ),
  },
  { required: true },
);

export const dataVersionSchema: Schema = obj(
  {
    properties: {
      type: "object",
      required: true,
      properties: { ...assetBase, dataUri: str({ required: true, pattern: /\S/ }) },
      discriminator: { property: "dataType", mapping: { uri_file: {}, uri_folder: {}, mltable: { referencedUris: { type: "array", nullable: true, items: { type: "string" } } } } },
    },
  },
  { required: true },
);

// ---------------------------------------------------------------------------------------------
// Computes

const managedServiceIdentity: Schema = obj({
  type: str({ required: true, enum: ["None", "SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned"] }),
  userAssignedIdentities: { type: "object", nullable: true, additionalProperties: { type: "object", nullable: true } },
});

const sku: Schema = obj({ name: str({ required: true }), tier: str({ enum: ["Free", "Basic", "Standard", "Premium"] }), size: str(), family: str(), capacity: int({ minimum: 0 }) });

const noExtra: Record<string, Schema> = {};
export const computeSchema: Schema = obj(
  {
    location: str(),
    identity: managedServiceIdentity,
    tags: stringMap,
    sku,
    properties: {
      type: "object",
      required: true,
      properties: { description: str(), resourceId: str(), disableLocalAuth: bool },
      discriminator: {
        property: "computeType",
        mapping: {
          Kubernetes: {
            properties: obj({
              namespace: str({ pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/ }),
              defaultInstanceType: str(),
              instanceTypes: { type: "object", nullable: true, additionalProperties: obj({ nodeSelector: stringMap, resources: anyObject() }) },
              extensionInstanceReleaseTrain: str(),
              extensionPrincipalId: str(),
              vcName: str(),
              relayConnectionString: str(),
              serviceBusConnectionString: str(),
            }),
          },
          AmlCompute: {
            properties: obj({
              osType: str({ enum: ["Linux", "Windows"] }),
              vmSize: str(),
              vmPriority: str({ enum: ["Dedicated", "LowPriority"] }),
              scaleSettings: obj({ maxNodeCount: int({ required: true, minimum: 0 }), minNodeCount: int({ minimum: 0 }), nodeIdleTimeBeforeScaleDown: str() }),
            }),
          },
          AKS: noExtra,
          ComputeInstance: noExtra,
          DataFactory: noExtra,
          VirtualMachine: noExtra,
          HDInsight: noExtra,
          Databricks: noExtra,
          DataLakeAnalytics: noExtra,
          SynapseSpark: noExtra,
        },
      },
    },
  },
  { required: true },
);

// ---------------------------------------------------------------------------------------------
// Online endpoints and deployments

export const onlineEndpointSchema: Schema = obj(
  {
    location: str({ required: true }),
    kind: str(),
    tags: stringMap,
    identity: managedServiceIdentity,
    sku,
    properties: obj(
      {
        authMode: str({ required: true, enum: ["AMLToken", "Key", "AADToken"] }),
        compute: str(),
        description: str(),
        properties: stringMap,
        publicNetworkAccess: str({ enum: ["Enabled", "Disabled"] }),
        traffic: { type: "object", nullable: true, additionalProperties: { type: "integer", minimum: 0, maximum: 100 } },
        keys: obj({ primaryKey: str(), secondaryKey: str() }),
      },
      { required: true },
    ),
  },
  { required: true },
);

export const endpointPatchSchema: Schema = obj({ tags: stringMap, identity: obj({ type: str({ enum: ["None", "SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned"] }), userAssignedIdentities: anyObject() }) }, { required: true });

const probe: Schema = obj({ failureThreshold: int({ minimum: 1 }), initialDelay: str(), period: str(), successThreshold: int({ minimum: 1 }), timeout: str() });
const containerResourceSettings: Schema = obj({ cpu: str(), gpu: str(), memory: str() });

export const onlineDeploymentSchema: Schema = obj(
  {
    location: str({ required: true }),
    kind: str(),
    tags: stringMap,
    identity: managedServiceIdentity,
    sku,
    properties: {
      type: "object",
      required: true,
      properties: {
        codeConfiguration: obj({ codeId: str(), scoringScript: str({ required: true, pattern: /\S/ }) }),
        description: str(),
        environmentId: str(),
        environmentVariables: stringMap,
        properties: stringMap,
        appInsightsEnabled: bool,
        egressPublicNetworkAccess: str({ enum: ["Enabled", "Disabled"] }),
        instanceType: str(),
        livenessProbe: probe,
        readinessProbe: probe,
        model: str(),
        modelMountPath: str(),
        requestSettings: obj({ maxConcurrentRequestsPerInstance: int({ minimum: 1 }), maxQueueWait: str(), requestTimeout: str() }),
        scaleSettings: {
          type: "object",
          nullable: true,
          discriminator: {
            property: "scaleType",
            mapping: {
              Default: {},
              TargetUtilization: { maxInstances: int({ minimum: 1 }), minInstances: int({ minimum: 0 }), pollingInterval: str(), targetUtilizationPercentage: int({ minimum: 1, maximum: 100 }) },
            },
          },
        },
      },
      discriminator: {
        property: "endpointComputeType",
        mapping: {
          Kubernetes: { containerResourceRequirements: obj({ containerResourceLimits: containerResourceSettings, containerResourceRequests: containerResourceSettings }) },
          Managed: {},
          AzureMLCompute: {},
        },
      },
    },
  },
  { required: true },
);

export const deploymentPatchSchema: Schema = obj({ tags: stringMap, sku: obj({ capacity: int({ minimum: 0 }), family: str(), name: str(), size: str(), tier: str({ enum: ["Free", "Basic", "Standard", "Premium"] }) }) }, { required: true });

export const deploymentLogsSchema: Schema = obj({ containerType: str({ enum: ["StorageInitializer", "InferenceServer"] }), tail: int({ minimum: 0 }) });

export const regenerateKeysSchema: Schema = obj({ keyType: str({ required: true, enum: ["Primary", "Secondary"] }), keyValue: str() }, { required: true });

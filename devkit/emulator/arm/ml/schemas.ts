/**
 * Request-body schemas of Microsoft.MachineLearningServices 2022-10-01, generated from the REST
 * spec (devkit/emulator/spec/generate.ts; Azure/azure-rest-api-specs
 * specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01/{mfe,machineLearningServices}.json).
 * Unknown keys are tolerated (the service ignores them); wrong types, missing required fields,
 * unknown enum values and unknown discriminator values are 400 InvalidRequestContent.
 */
import { bodySchema } from "../../spec/load";

export const jobSchema = bodySchema("job");
export const datastoreSchema = bodySchema("datastore");
/** Code, component, environment and model containers share one shape (AssetContainer). */
export const containerSchema = bodySchema("modelContainer");
export const dataContainerSchema = bodySchema("dataContainer");
export const codeVersionSchema = bodySchema("codeVersion");
export const componentVersionSchema = bodySchema("componentVersion");
export const environmentVersionSchema = bodySchema("environmentVersion");
export const modelVersionSchema = bodySchema("modelVersion");
export const dataVersionSchema = bodySchema("dataVersion");
export const computeSchema = bodySchema("compute");
export const onlineEndpointSchema = bodySchema("onlineEndpoint");
export const endpointPatchSchema = bodySchema("onlineEndpointPatch");
export const onlineDeploymentSchema = bodySchema("onlineDeployment");
export const deploymentPatchSchema = bodySchema("onlineDeploymentPatch");
export const deploymentLogsSchema = bodySchema("deploymentLogs");
export const regenerateKeysSchema = bodySchema("regenerateKeys");

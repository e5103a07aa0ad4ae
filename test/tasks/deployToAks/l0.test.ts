/**
 * DeployToAKS through task-lib's MockTestRunner (L0): input and service-connection checks that must
 * refuse the step before any call to Azure. The e2e tests (test/tasks/) cover the rest.
 */
import type { RejectionCase } from "../../l0/assertions";
import { CONNECTION_ID, servicePrincipalConnection } from "../../l0/connections";
import { describeL0Task } from "../../l0/taskSuite";

const VALID = {
  azureSubscription: CONNECTION_ID,
  resourceGroupName: "ml_rg",
  workspaceName: "ml_workspace",
  aksClusterName: "aks-cluster",
  computeName: "k8s-compute",
  endpointName: "credit-endpoint",
  deploymentName: "blue",
  model: "azureml:credit-model:1",
  environment: "azureml:AzureML-sklearn-1.5:1",
  codePath: "src",
  scoringScript: "score.py",
};

const CASES: RejectionCase[] = [
  {
    what: "a namespace that is not a Kubernetes name",
    inputs: { namespace: "Prod_NS" },
    input: "namespace",
    says: /'Prod_NS', which is not a Kubernetes namespace name/,
  },
  { what: "a traffic percentage above 100", inputs: { trafficPercent: "150" }, input: "trafficPercent", says: /is 150; it must be between 0 and 100/ },
  { what: "an auth mode that is not an option", inputs: { authMode: "token" }, input: "authMode", says: /'token'; it must be one of: key, aml_token/ },
  {
    what: "an instance count that is not a whole number",
    inputs: { instanceCount: "two" },
    input: "instanceCount",
    says: /whole number between 1 and 100, not 'two'/,
  },
  { what: "a negative wait limit", inputs: { waitTimeoutInMinutes: "-1" }, input: "waitTimeoutInMinutes", says: /from 0 to 43200 .*0 = no limit.*not '-1'/ },
  { what: "no endpoint name (neither input nor file)", inputs: { endpointName: "" }, input: "endpointName", says: /endpoint name is missing/ },
  {
    what: "an endpoint name that breaks the naming rules, naming the input",
    inputs: { endpointName: "x" },
    input: "endpointName",
    says: /'x' is invalid/,
  },
  {
    what: "a code folder outside the working folders",
    inputs: { codePath: "../../../outside" },
    input: "codePath",
    says: /outside the pipeline's working folders/,
  },
  { what: "a scoring script without a code folder", inputs: { codePath: "" }, input: "codePath", says: /scoringScript is set but there is no code folder/ },
  {
    what: "an endpoint file that does not exist",
    inputs: { specSource: "yamlFiles", endpointFile: "deploy/endpoint.yml" },
    input: "endpointFile",
    says: /endpoint\.yml does not exist/,
  },
  {
    what: "a smoke test file that is not JSON",
    inputs: { smokeTestFile: "tests/request.json" },
    input: "smokeTestFile",
    names: /request\.json/,
    says: /smoke test file .* is not JSON/,
  },
  {
    what: "a service connection with an unsupported scheme (read from the mocked endpoint)",
    connection: servicePrincipalConnection({ scheme: "UsernamePassword" }),
    input: "azureSubscription",
    says: /'UsernamePassword' authentication scheme, which this task does not support/,
  },
  {
    what: "a service principal connection without a secret or certificate",
    connection: servicePrincipalConnection({
      authParameters: {
        authenticationType: "spnKey",
        serviceprincipalid: "2c7e4f1a-6f0b-4d8e-b1b2-0f3b9c1e5a77",
        tenantid: "72f988bf-86f1-41af-91ab-2d7cd011db47",
      },
    }),
    input: "azureSubscription",
    says: /neither a client secret nor a certificate/,
  },
];

describeL0Task("DeployToAKSV1", {
  title: "DeployToAKS L0 (MockTestRunner)",
  valid: VALID,
  cases: CASES,
  files: (ws) => {
    ws.write("src/score.py", "def init():\n    pass\n\ndef run(data):\n    return data\n");
    ws.write("tests/request.json", "{ not json");
  },
});

/**
 * One L0 scenario as the parent test hands it to the mock-run script (runs/taskRun.ts): the task,
 * the environment the agent would give it, and nothing else. Passed as JSON in one environment
 * variable, because MockTestRunner spawns the script with the parent's environment.
 */

export const L0_TASKS = ["TriggerADFPipelineV1", "SubmitAzureMLPipelineV1", "RegisterModelV1", "DeployToAKSV1"] as const;
export type L0TaskName = (typeof L0_TASKS)[number];

/** The environment variable holding the JSON L0Case. */
export const L0_CASE_VARIABLE = "MLOPS_L0_CASE";

/** Printed by the network guard when the task opens a connection (or looks up a host): `<marker> host:port`. */
export const NETWORK_MARKER = "##l0[network]";

/** Printed by the watchdog when the task neither finished nor touched the network in time. */
export const WATCHDOG_MARKER = "##l0[watchdog]";

export interface L0Case {
  task: L0TaskName;
  /** The unbundled entry, out/tasks/<Task>/index.js. */
  entryPath: string;
  /** Inputs by name, already as the agent passes them (defaults filled, filePath inputs rooted). */
  inputs: Record<string, string>;
  /**
   * Every other environment variable the agent sets for the step (ENDPOINT_*, predefined and
   * pipeline variables): the runner clears the agent-like ones it inherited and applies these.
   */
  env: Record<string, string>;
}

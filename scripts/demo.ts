/**
 * `npm run demo`: the whole MLOps lifecycle on this machine, against the Azure emulator.
 *
 * Starts the emulator (time scaled so the remote runs take seconds), reads
 * samples/azure-pipelines.yml and runs its task steps in order as the agent would
 * (scripts/pipelineRunner.ts, with a workload identity federation service connection), prints each
 * step's log, then sends samples/deploy/sample-request.json to the deployed endpoint's scoring URI
 * with the endpoint key and prints the answer. Exit code 0 only when every step succeeded and the
 * endpoint answered 2xx.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, type Emulator } from "../devkit/emulator/index";
import { emulatorConnection } from "../devkit/harness/agentRunner";
import { httpsRequest, type HttpsResponse } from "./httpsRequest";
import { runPipeline, type StepOutcome } from "./pipelineRunner";
import { parsePipeline } from "./pipelineYaml";
import { findRepoRoot } from "../devkit/repoRoot";

export interface DemoOptions {
  /** Default: <repo>/samples/azure-pipelines.yml */
  pipelineFile?: string;
  /** Default: <repo>/build/tasks (the unpacked .vsix in the package acceptance test). */
  taskRoot?: string;
  /** Default: <repo>. */
  workingDirectory?: string;
  /** Emulator time scale when the demo starts its own (default 30). */
  timeScale?: number;
  /** Use this emulator instead of starting (and stopping) one. */
  emulator?: Emulator;
  /** Queue-time variables (default: pollingIntervalSeconds=1, the emulator's runs are short). */
  queueVariables?: Record<string, string>;
  /** Default: samples/deploy/sample-request.json */
  requestFile?: string;
  write?: (line: string) => void;
}

export interface DemoResult {
  succeeded: boolean;
  steps: StepOutcome[];
  scoringUri?: string;
  answer?: HttpsResponse;
  durationMs: number;
}

/** What the sample's evaluate step logs in the demo (samples/pipelines/src/evaluate/evaluate.py logs `accuracy`). */
export const DEMO_ACCURACY = 0.91;

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const repoRoot = findRepoRoot(__dirname);
  const write = options.write ?? ((line: string) => console.log(line));
  const pipelineFile = options.pipelineFile ?? path.join(repoRoot, "samples", "azure-pipelines.yml");
  const requestFile = options.requestFile ?? path.join(repoRoot, "samples", "deploy", "sample-request.json");
  const definition = parsePipeline(await fs.promises.readFile(pipelineFile, "utf8"));

  const emu = options.emulator ?? (await startEmulator({ timeScale: options.timeScale ?? 30 }));
  try {
    write(`Azure emulator at ${emu.url} (subscription ${emu.subscriptionId}, resource group ${emu.resourceGroupName})`);
    write(`Pipeline ${path.relative(repoRoot, pipelineFile)}: ${definition.steps.length} steps\n`);
    // The demo's scenario: the evaluate step logs accuracy with MLflow, which RegisterModel's quality gate reads.
    emu.ml.scriptJobs({ metrics: { steps: { evaluate: { accuracy: DEMO_ACCURACY } } } });
    write(
      `The evaluate step will log accuracy=${DEMO_ACCURACY}: the register step's quality gate (accuracy >= 0.8, accuracy >= champion) passes, and the log says why.\n`,
    );
    const { connection, env } = emulatorConnection(emu, "federated");
    const run = await runPipeline(definition, {
      taskRoot: options.taskRoot ?? path.join(repoRoot, "build", "tasks"),
      workingDirectory: options.workingDirectory ?? repoRoot,
      connection,
      env,
      caCertPath: emu.caCertPath,
      queueVariables: options.queueVariables ?? { pollingIntervalSeconds: "1" },
      write,
    });
    const result: DemoResult = { succeeded: false, steps: run.steps, durationMs: 0 };
    const scoringUri = Object.entries(run.variables).find(([name]) => name.endsWith(".ScoringUri"))?.[1];
    const key = Object.entries(run.variables).find(([name]) => name.endsWith(".EndpointKey"))?.[1];
    if (run.succeeded && scoringUri && key) {
      const body = await fs.promises.readFile(requestFile, "utf8");
      write(`\n── Asking the deployed model for a prediction`);
      write(`  POST ${scoringUri}`);
      write(`  ${body.trim()}`);
      result.scoringUri = scoringUri;
      result.answer = await httpsRequest({
        method: "POST",
        url: scoringUri,
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body,
        caPem: emu.caCertPem,
      });
      write(`  → ${result.answer.status} ${result.answer.body.trim()}`);
      result.succeeded = result.answer.status >= 200 && result.answer.status < 300;
    } else if (run.succeeded) {
      write(`\nThe pipeline succeeded but set no <step>.ScoringUri / <step>.EndpointKey output: nothing to ask.`);
    }
    result.durationMs = performance.now() - started;
    write(
      `\n${result.succeeded ? "Demo succeeded" : "Demo FAILED"} in ${(result.durationMs / 1000).toFixed(1)} s: ` +
        run.steps.map((s) => `${s.reference === "script" ? s.displayName : s.reference} ${s.result}`).join(", "),
    );
    return result;
  } finally {
    if (!options.emulator) await emu.stop();
  }
}

if (require.main === module) {
  runDemo().then(
    (result) => {
      process.exitCode = result.succeeded ? 0 : 1;
    },
    (err: unknown) => {
      console.error(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
    },
  );
}

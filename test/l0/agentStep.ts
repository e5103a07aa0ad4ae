/**
 * What the agent hands a task step, for an L0 case: a fresh work folder (sources, temp, and a
 * folder outside both), the predefined variables, the service connections, and the inputs as the
 * agent passes them — defaults from task.json filled in, filePath inputs rooted at the sources
 * folder (an empty one becomes the sources folder itself, which tl.filePathSupplied tells apart).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { endpointEnvironment, predefinedVariables, variableEnvironment } from "../../devkit/harness/agentEnvironment";
import type { L0Connection } from "./connections";
import type { L0Case } from "./l0Case";
import type { UnbundledTask } from "./unbundledTask";

export interface L0Workspace {
  /** System.DefaultWorkingDirectory = Build.SourcesDirectory. */
  sources: string;
  /** Agent.TempDirectory. */
  temp: string;
  /** A folder outside every folder a task may read from. */
  outside: string;
  variables: Record<string, string>;
  /** Writes a file under the sources folder (or `outside` with `{ outside: true }`); returns its absolute path. */
  write(relativePath: string, content: string, options?: { outside?: boolean }): string;
  remove(): void;
}

export function createWorkspace(): L0Workspace {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-l0-"));
  const temp = path.join(root, "temp");
  const variables = predefinedVariables({ tempDirectory: temp, workFolder: path.join(root, "work"), collectionUri: "https://dev.azure.com/l0/" });
  const sources = variables["System.DefaultWorkingDirectory"]!;
  const outside = path.join(root, "outside");
  for (const dir of [sources, temp, outside]) fs.mkdirSync(dir, { recursive: true });
  return {
    sources,
    temp,
    outside,
    variables,
    write(relativePath, content, options = {}) {
      const file = path.join(options.outside ? outside : sources, relativePath);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      return file;
    },
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** The inputs the agent passes: `given` over task.json defaults; filePath inputs rooted at the sources folder. */
export function agentInputs(task: UnbundledTask, given: Record<string, string>, sources: string): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const input of task.inputs) {
    const value = given[input.name] ?? input.defaultValue ?? "";
    inputs[input.name] = input.type === "filePath" ? path.resolve(sources, value) : value;
  }
  for (const name of Object.keys(given)) {
    if (!(name in inputs)) throw new Error(`${task.name} has no input '${name}' (check the case).`);
  }
  return inputs;
}

export interface StepOptions {
  inputs: Record<string, string>;
  connections: L0Connection[];
  workspace: L0Workspace;
  /** Pipeline variables set for the job, e.g. { JobName: "..." }. */
  variables?: Record<string, string>;
}

export function agentStep(task: UnbundledTask, options: StepOptions): L0Case {
  const env: Record<string, string> = variableEnvironment({ ...options.workspace.variables, ...options.variables }, {});
  for (const connection of options.connections) Object.assign(env, endpointEnvironment(connection));
  return { task: task.name, entryPath: task.entryPath, inputs: agentInputs(task, options.inputs, options.workspace.sources), env };
}

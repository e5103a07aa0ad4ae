/**
 * Pipeline nodes of `type: parallel`: what the service checks before accepting the pipeline, and what
 * their step runs carry.
 *
 * Evidence: the node and component fields are those azure-ai-ml sends (Azure/azure-sdk-for-python
 * sdk/ml/azure-ai-ml/azure/ai/ml/entities/_builders/parallel.py `_to_rest_object`;
 * _schema/component/parallel_component.py, _schema/component/parallel_task.py: task types run_function,
 * model, function; _schema/job/parameterized_parallel.py: logging_level DEBUG/INFO/WARNING, integer
 * thresholds, retry_settings {timeout, max_retries}). The service's own refusals of a parallel node are
 * not recorded publicly: which of these it checks, and its messages, are guesses (GUESSES.md, "Azure ML
 * jobs and assets").
 */
import { isRecord } from "./common";

export interface NodeProblem {
  message: string;
  target: string;
}

const TASK_TYPES = ["run_function", "model", "function"];
const LOGGING_LEVELS = ["DEBUG", "INFO", "WARNING"];
const INTEGER_FIELDS = ["max_concurrency_per_instance", "error_threshold", "mini_batch_error_threshold"];
const BINDING = /^\$\{\{[^}]+\}\}$/;

/** The first problem of a parallel node (with its registered component's spec), or undefined. */
export function parallelNodeProblem(nodeName: string, node: Record<string, unknown>, spec: Record<string, unknown>, target: string): NodeProblem | undefined {
  if (spec.type !== "parallel") {
    return { message: `Node '${nodeName}' is of type parallel but its component is of type '${String(spec.type)}'.`, target: `${target}.componentId` };
  }
  const task = isRecord(node.task) ? node.task : isRecord(spec.task) ? spec.task : undefined;
  if (!task) return { message: `Parallel node '${nodeName}' has no task: neither the node nor its component defines one.`, target: `${target}.task` };
  if (typeof task.type !== "string" || !TASK_TYPES.includes(task.type)) {
    return { message: `Parallel node '${nodeName}': task.type must be one of ${TASK_TYPES.join(", ")}.`, target: `${target}.task.type` };
  }
  if (typeof task.environment !== "string" || task.environment === "") {
    return { message: `Parallel node '${nodeName}': task.environment is required.`, target: `${target}.task.environment` };
  }
  const size = node.mini_batch_size;
  if (size !== undefined && size !== null && !(Number.isInteger(size) && (size as number) > 0) && !(typeof size === "string" && BINDING.test(size))) {
    return { message: `Parallel node '${nodeName}': mini_batch_size must be a positive integer or a binding.`, target: `${target}.mini_batch_size` };
  }
  for (const field of INTEGER_FIELDS) {
    const value = node[field];
    if (value !== undefined && value !== null && !Number.isInteger(value)) {
      return { message: `Parallel node '${nodeName}': ${field} must be an integer.`, target: `${target}.${field}` };
    }
  }
  if (node.logging_level !== undefined && node.logging_level !== null && !LOGGING_LEVELS.includes(String(node.logging_level))) {
    return { message: `Parallel node '${nodeName}': logging_level must be one of ${LOGGING_LEVELS.join(", ")}.`, target: `${target}.logging_level` };
  }
  if (node.retry_settings !== undefined && node.retry_settings !== null) {
    const retry = node.retry_settings;
    const bad = !isRecord(retry) || Object.entries(retry).some(([k, v]) => !["timeout", "max_retries"].includes(k) || !Number.isInteger(v));
    if (bad) return { message: `Parallel node '${nodeName}': retry_settings takes integer timeout and max_retries only.`, target: `${target}.retry_settings` };
  }
  return undefined;
}

/** What a parallel step run carries from its task: the environment and code ids (without `azureml:`). */
export function parallelStepRunFields(node: Record<string, unknown>, spec: Record<string, unknown>): Record<string, unknown> {
  const task = isRecord(node.task) ? node.task : isRecord(spec.task) ? spec.task : {};
  const id = (v: unknown) => (typeof v === "string" ? v.replace(/^azureml:(?=\/)/, "") : undefined);
  return {
    ...(id(task.environment) ? { environmentId: id(task.environment) } : {}),
    ...(id(task.code) ? { codeId: id(task.code) } : {}),
  };
}

/**
 * The quality-gate inputs RegisterModel and DeployToAKS share: `qualityGate` (parsed here, before
 * any Azure call, so a malformed line fails the step with nothing changed) and `onGateFailure`.
 * Called by task entries only.
 */
import * as tl from "azure-pipelines-task-lib/task";
import { readEnum, readString } from "./inputs";
import { GATE_FAILURE_ACTIONS, parseQualityGate, type GateCondition, type GateFailureAction } from "./qualityGate";

export interface GateInputs {
  conditions: GateCondition[];
  onFailure: GateFailureAction;
}

/** Undefined when `qualityGate` holds no condition. */
export function readGateInputs(): GateInputs | undefined {
  const conditions = parseQualityGate(readString("qualityGate"), tl.loc);
  const onFailure = readEnum("onGateFailure", GATE_FAILURE_ACTIONS, "fail");
  return conditions.length > 0 ? { conditions, onFailure } : undefined;
}

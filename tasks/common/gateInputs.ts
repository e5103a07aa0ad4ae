/**
 * The quality-gate inputs RegisterModel and DeployToAKS share: `qualityGate` (parsed here, before
 * any Azure call, so a malformed line fails the step with nothing changed) and `onGateFailure`.
 * Called by task entries only.
 */
import type { InputReader } from "./inputs";
import type { Loc } from "./loc";
import { GATE_FAILURE_ACTIONS, parseQualityGate, type GateCondition, type GateFailureAction } from "./qualityGate";

export interface GateInputs {
  conditions: GateCondition[];
  onFailure: GateFailureAction;
}

/** Undefined when `qualityGate` holds no condition. */
export function readGateInputs(read: InputReader, loc: Loc): GateInputs | undefined {
  const conditions = parseQualityGate(read.readString("qualityGate"), loc);
  const onFailure = read.readEnum("onGateFailure", GATE_FAILURE_ACTIONS, "fail");
  return conditions.length > 0 ? { conditions, onFailure } : undefined;
}

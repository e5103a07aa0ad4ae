/**
 * Injected faults: the next `count` requests whose method and path match answer 429 (with
 * Retry-After), 500 or 503 with an ARM error body, have their connection destroyed, or are
 * answered normally after a delay.
 */

export type FaultKind = "throttle" | "500" | "503" | "reset" | "delay";

export interface FaultSpec {
  /** Only requests with this method (any when undefined). */
  method?: string;
  /** Tested against the decoded request path (no query). */
  path: RegExp;
  kind: FaultKind;
  /** How many matching requests it applies to (default 1). */
  count?: number;
  /** For throttle: the Retry-After seconds (default 1). */
  retryAfterSeconds?: number;
  /** For delay: milliseconds before the request is handled (default 1000). */
  delayMs?: number;
  /** For delay, in-process only (not settable through the control API): hold the request until this settles instead. */
  until?: Promise<unknown>;
}

export interface ActiveFault extends FaultSpec {
  id: number;
  remaining: number;
}

const KINDS: readonly FaultKind[] = ["throttle", "500", "503", "reset", "delay"];

export class Faults {
  private readonly active: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): ActiveFault {
    if (!KINDS.includes(spec.kind)) throw new RangeError(`unknown fault kind '${String(spec.kind)}' (one of ${KINDS.join(", ")})`);
    if (!(spec.path instanceof RegExp)) throw new TypeError("fault path must be a RegExp");
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new RangeError("fault count must be a positive integer");
    const fault: ActiveFault = { ...spec, id: this.nextId++, remaining: count };
    this.active.push(fault);
    return fault;
  }

  /** Takes one use of the first fault matching this request, if any. */
  take(method: string, path: string): ActiveFault | undefined {
    const i = this.active.findIndex((f) => (!f.method || f.method.toUpperCase() === method.toUpperCase()) && test(f.path, path));
    if (i < 0) return undefined;
    const fault = this.active[i];
    fault.remaining--;
    if (fault.remaining <= 0) this.active.splice(i, 1);
    return { ...fault };
  }

  list(): ActiveFault[] {
    return this.active.map((f) => ({ ...f }));
  }

  clear(): void {
    this.active.length = 0;
  }
}

function test(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  return re.test(s);
}

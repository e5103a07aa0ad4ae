/**
 * Reacting to what the emulator answers, at the moment it answers: the request log's `add` is
 * wrapped once per emulator so listeners run synchronously when an answer is logged (before it is
 * written to the socket). A fault armed by a trigger therefore reaches the very next matching
 * request, and the time a task reached a state (its first status poll) is known exactly.
 */
import type { Emulator, FaultSpec, LoggedRequest } from "../../devkit/emulator";
import type { ActiveFault } from "../../devkit/emulator/faults";

export interface RequestMatch {
  method?: string;
  path: RegExp;
}

type Listener = (entry: LoggedRequest) => void;

const listeners = new WeakMap<Emulator["requests"], Set<Listener>>();

/** Calls `listener` for every answer the emulator logs from now on; returns the unsubscribe function. */
export function onRequest(emu: Emulator, listener: Listener): () => void {
  let set = listeners.get(emu.requests);
  if (!set) {
    const created = new Set<Listener>();
    set = created;
    listeners.set(emu.requests, created);
    const log = emu.requests;
    const add = log.add.bind(log);
    log.add = (entry: LoggedRequest) => {
      add(entry);
      for (const l of [...created]) l(entry);
    };
  }
  set.add(listener);
  return () => set.delete(listener);
}

export function matches(entry: Pick<LoggedRequest, "method" | "path">, m: RequestMatch): boolean {
  m.path.lastIndex = 0;
  return (!m.method || m.method.toUpperCase() === entry.method) && m.path.test(entry.path);
}

/** A watch that records when the `occurrence`-th request matching `m` was answered (epoch ms). */
export interface RequestMark {
  readonly time: number | undefined;
  /** Resolves with the time (rejects when `timeoutInMs` passes first). */
  readonly seen: Promise<number>;
  cancel(): void;
}

export function markRequest(emu: Emulator, m: RequestMatch & { after?: RequestMatch; occurrence?: number }, timeoutInMs = 300_000): RequestMark {
  let time: number | undefined;
  let triggered = !m.after;
  let count = 0;
  let resolve!: (t: number) => void;
  let reject!: (e: Error) => void;
  const seen = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  seen.catch(() => undefined);
  const timer = setTimeout(() => {
    stop();
    reject(new Error(`no request ${m.method ?? "*"} ${m.path} within ${timeoutInMs} ms`));
  }, timeoutInMs);
  timer.unref();
  const stop = onRequest(emu, (entry) => {
    if (!triggered) {
      if (m.after && matches(entry, m.after) && entry.status >= 200 && entry.status < 300) triggered = true;
      return;
    }
    if (matches(entry, m) && ++count >= (m.occurrence ?? 1)) {
      time = Date.now();
      stop();
      clearTimeout(timer);
      resolve(time);
    }
  });
  return {
    get time() {
      return time;
    },
    seen,
    cancel: () => {
      stop();
      clearTimeout(timer);
    },
  };
}

/** A fault added now or once its trigger was answered; `consumed` once every use was taken. */
export interface ArmedFault {
  readonly added: ActiveFault | undefined;
  consumed(): boolean;
  disarm(): void;
}

/**
 * Adds `spec` now, or — with a trigger — once a request matching `trigger` was answered
 * successfully (2xx), e.g. a status-poll fault armed only after the job's PUT.
 */
export function armFault(emu: Emulator, spec: FaultSpec, trigger?: RequestMatch): ArmedFault {
  let added: ActiveFault | undefined;
  let stop = () => {};
  if (!trigger) added = emu.faults.add(spec);
  else {
    stop = onRequest(emu, (entry) => {
      if (matches(entry, trigger) && entry.status >= 200 && entry.status < 300) {
        stop();
        added = emu.faults.add(spec);
      }
    });
  }
  return {
    get added() {
      return added;
    },
    consumed: () => added !== undefined && !emu.faults.list().some((f) => f.id === added!.id),
    disarm: () => stop(),
  };
}

/** Requests the emulator answered with (or dropped for) an injected fault, matching `m`. */
export function faultedRequests(emu: Emulator, m: RequestMatch): LoggedRequest[] {
  return emu.requests.filter(m.method, m.path).filter((e) => e.fault !== undefined && e.fault !== "delay");
}

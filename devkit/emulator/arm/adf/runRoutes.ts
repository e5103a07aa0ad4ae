/**
 * Run routes: pipelines createRun (parameters; rerun options referencePipelineRunId, isRecovery,
 * startActivityName, startFromFailure), pipelineruns get / cancel (isRecursive),
 * queryPipelineRuns and queryActivityruns.
 */
import type { EmuRequest, EmuResponse } from "../../framework";
import { armError, checkBody } from "../../framework";
import { PROVIDER, badRequest, isRecord, ok } from "./common";
import { pipelineNotFound } from "./factories";
import { resolveParameters } from "./parameters";
import type { QueryFields } from "./query";
import { runQuery } from "./query";
import type { ActivityRunRecord, RunEngine, RunRecord } from "./runs";
import { isTerminalRun } from "./runs";
import type { AdfService, FactoryState, PipelineRecord } from "./state";

const RUN_FIELDS: QueryFields<{ run: RunRecord; engine: RunEngine }> = {
  operands: {
    PipelineName: (x) => x.run.pipeline.name,
    Status: (x) => x.run.status,
    RunId: (x) => x.run.runId,
    RunGroupId: (x) => x.run.runGroupId,
    LatestOnly: (x) => String(x.engine.isLatest(x.run)),
    TriggerName: () => "Manual",
  },
  sortKeys: {
    RunStart: (x) => x.run.runStartMs,
    RunEnd: (x) => x.run.runEndMs ?? Number.MAX_SAFE_INTEGER,
    PipelineName: (x) => x.run.pipeline.name.toLowerCase(),
    Status: (x) => x.run.status,
  },
  lastUpdatedMs: (x) => x.run.lastUpdatedMs,
  defaultOrder: { orderBy: "RunStart", order: "DESC" },
};

const ACTIVITY_FIELDS: QueryFields<ActivityRunRecord> = {
  operands: {
    ActivityName: (a) => a.name,
    ActivityType: (a) => a.type,
    Status: (a) => a.status,
  },
  sortKeys: {
    ActivityName: (a) => a.name.toLowerCase(),
    ActivityRunStart: (a) => a.startMs,
    ActivityRunEnd: (a) => a.endMs ?? Number.MAX_SAFE_INTEGER,
    Status: (a) => a.status,
  },
  lastUpdatedMs: (a) => a.lastUpdatedMs,
  defaultOrder: { orderBy: "ActivityRunStart", order: "ASC" },
};

export function runNotFound(f: FactoryState, runId: string): EmuResponse {
  return armError(404, "ResourceNotFound", `Pipeline run '${runId}' was not found in factory '${f.factoryName}' (resource group '${f.resourceGroupName}').`);
}

export function registerRunRoutes(adf: AdfService, engine: RunEngine): void {
  adf.factoryRoute("POST", "/pipelines/:pipelineName/createRun", `${PROVIDER}/factories/pipelines/createrun/action`, (req, f) => createRun(req, f, engine));
  adf.factoryRoute("GET", "/pipelineruns/:runId", `${PROVIDER}/factories/pipelineruns/read`, (req, f) => {
    const run = f.runs.get(req.params.runId);
    return run ? ok(engine.body(run)) : runNotFound(f, req.params.runId);
  });
  adf.factoryRoute("POST", "/pipelineruns/:runId/cancel", `${PROVIDER}/factories/pipelineruns/cancel/action`, (req, f) => {
    const run = f.runs.get(req.params.runId);
    if (!run) return runNotFound(f, req.params.runId);
    const recursive = readBool(req, "isRecursive");
    if (recursive === null) return badRequest("The query parameter 'isRecursive' must be true or false.", "isRecursive");
    if (!engine.cancel(run, recursive ?? false)) {
      return badRequest(
        `Pipeline run '${run.runId}' cannot be cancelled: it already ended with status ${run.status}.`,
        `pipeline/${run.pipeline.name}/runid/${run.runId}`,
      );
    }
    return { status: 200 };
  });
  adf.factoryRoute("POST", "/queryPipelineRuns", `${PROVIDER}/factories/querypipelineruns/read`, (req, f) =>
    runQuery(
      req,
      [...f.runs.values()].map((run) => ({ run, engine })),
      RUN_FIELDS,
      adf.pageSize,
      `runs/${f.factoryName}`,
      (x) => engine.body(x.run),
    ),
  );
  adf.factoryRoute("POST", "/pipelineruns/:runId/queryActivityruns", `${PROVIDER}/factories/pipelineruns/queryactivityruns/read`, (req, f) => {
    const run = f.runs.get(req.params.runId);
    if (!run) return runNotFound(f, req.params.runId);
    return runQuery(req, [...run.activities.values()], ACTIVITY_FIELDS, adf.pageSize, `activities/${run.runId}`, (a) => engine.activityBody(run, a));
  });
}

/** undefined = absent, null = not a boolean. */
function readBool(req: EmuRequest, name: string): boolean | undefined | null {
  const v = req.query.get(name);
  if (v === null || v === "") return undefined;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  return null;
}

function createRun(req: EmuRequest, f: FactoryState, engine: RunEngine): EmuResponse {
  const pipeline = f.pipelines.get(req.params.pipelineName.toLowerCase());
  if (!pipeline) return pipelineNotFound(f, req.params.pipelineName);
  const target = `pipeline/${pipeline.name}/`;
  if (req.rawBody.length > 0) {
    const invalid = checkBody(req.body, { type: "object" });
    if (invalid) return invalid;
  }
  const given = isRecord(req.body) ? req.body : {};
  const isRecovery = readBool(req, "isRecovery");
  const startFromFailure = readBool(req, "startFromFailure");
  if (isRecovery === null) return badRequest("The query parameter 'isRecovery' must be true or false.", "isRecovery");
  if (startFromFailure === null) return badRequest("The query parameter 'startFromFailure' must be true or false.", "startFromFailure");
  const referenceId = req.query.get("referencePipelineRunId") || undefined;
  const startActivityName = req.query.get("startActivityName") || undefined;

  if (!referenceId) {
    if (isRecovery || startActivityName || startFromFailure) {
      return badRequest("isRecovery, startActivityName and startFromFailure need referencePipelineRunId: a rerun recovers an earlier run.", target);
    }
    const resolved = resolveParameters(pipeline, given);
    if ("problem" in resolved) return badRequest(resolved.problem.message, target);
    return ok({ runId: engine.create(f, pipeline, resolved.values).runId });
  }

  const ref = f.runs.get(referenceId);
  if (!ref || ref.pipeline.name.toLowerCase() !== pipeline.name.toLowerCase()) {
    // Code, message and target as the service answered a bad reference (MicrosoftDocs/azure-docs issue 38179, azure-mgmt-datafactory CloudError).
    return badRequest(`Referenced pipeline run id ${referenceId} is not a valid run id.`, target, "ReferencedPipelineRunNotValid");
  }
  if ((startActivityName || startFromFailure) && !isRecovery) {
    return badRequest("startActivityName and startFromFailure are only used in recovery mode (isRecovery=true).", target);
  }
  // The referenced run's parameters are used; the body's only when no run is referenced.
  const resolved = resolveParameters(pipeline, ref.parameters);
  if ("problem" in resolved) return badRequest(resolved.problem.message, target);
  if (!isRecovery) return ok({ runId: engine.create(f, pipeline, resolved.values).runId });

  if (!isTerminalRun(ref.status)) {
    return badRequest(`Pipeline run ${ref.runId} is ${ref.status}; a run can only be recovered after it has ended.`, `${target}runid/${ref.runId}`);
  }
  const carriedOver = carried(pipeline, ref, startActivityName, startFromFailure ?? false);
  if (typeof carriedOver === "string") return badRequest(carriedOver, target);
  const run = engine.create(f, pipeline, resolved.values, {
    runGroupId: ref.runGroupId,
    carriedOver,
    rerun: {
      referencePipelineRunId: ref.runId,
      isRecovery: true,
      ...(startActivityName ? { startActivityName } : {}),
      ...(startFromFailure ? { startFromFailure } : {}),
    },
  });
  return ok({ runId: run.runId });
}

/**
 * Activities a recovery run takes over as Succeeded: with startActivityName, everything but that
 * activity and what depends on it; with startFromFailure, what succeeded in the reference run;
 * otherwise nothing (everything runs again). A string is the problem to answer with.
 */
function carried(pipeline: PipelineRecord, ref: RunRecord, startActivityName: string | undefined, startFromFailure: boolean): Set<string> | string {
  if (startActivityName) {
    const start = pipeline.activities.find((a) => a.name.toLowerCase() === startActivityName.toLowerCase());
    if (!start) return `Activity '${startActivityName}' was not found in pipeline '${pipeline.name}'.`;
    const rerun = new Set([start.name]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const a of pipeline.activities) {
        if (!rerun.has(a.name) && a.dependsOn.some((d) => rerun.has(d.activity))) {
          rerun.add(a.name);
          grew = true;
        }
      }
    }
    return new Set(pipeline.activities.filter((a) => !rerun.has(a.name)).map((a) => a.name));
  }
  if (startFromFailure) {
    if (ref.status === "Succeeded") return `Pipeline run ${ref.runId} succeeded; there is no failed activity to rerun from.`;
    const done = new Set<string>();
    for (const a of pipeline.activities) {
      if (ref.carriedOver.has(a.name) || ref.activities.get(a.name)?.status === "Succeeded") done.add(a.name);
    }
    return done;
  }
  return new Set();
}

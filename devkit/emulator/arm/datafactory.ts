/**
 * Data Factory (Microsoft.DataFactory, api-version 2018-06-01): factories, pipelines, pipeline
 * runs (createRun with parameters and recovery reruns, get, cancel, queryPipelineRuns) and
 * activity runs (queryActivityruns) — plus the control API tests use to seed factories and
 * pipelines and to script how runs go. The routes live in ./adf/*.ts.
 */
import type { EmulatorContext, EmulatorModule } from "../framework";
import type { FactoryRef } from "./adf/common";
import { normalizePipeline, registerFactoryRoutes } from "./adf/factories";
import { registerRunRoutes } from "./adf/runRoutes";
import type { RunRecord, RunScript, RunStatus, RunView } from "./adf/runs";
import { RunEngine } from "./adf/runs";
import type { PipelineSpec } from "./adf/state";
import { AdfService } from "./adf/state";

export type { FactoryRef } from "./adf/common";
export type { ActivityStatus, RunScript, RunStatus, RunView } from "./adf/runs";
export type { ActivitySpec, DependencyCondition, ParameterSpec, ParameterType, PipelineSpec } from "./adf/state";

export const DEFAULT_FACTORY = "mlops-adf";
export const DEFAULT_PIPELINE = "prepare-training-data";

/** The default scenario's pipeline: raw data → features → published dataset. */
export const DEFAULT_PIPELINE_SPEC: PipelineSpec = {
  description: "Copies raw data, cleans and featurizes it in Databricks, and publishes the prepared dataset for Azure Machine Learning.",
  parameters: {
    sourceContainer: { type: "String" },
    outputFolder: { type: "String", defaultValue: "prepared" },
    sampleFraction: { type: "Float", defaultValue: 1.0 },
  },
  activities: [
    { name: "CopyRawData", type: "Copy" },
    { name: "CleanAndFeaturize", type: "DatabricksNotebook", dependsOn: ["CopyRawData"] },
    { name: "PublishDataset", type: "Copy", dependsOn: ["CleanAndFeaturize"] },
  ],
  annotations: ["mlops"],
};

export class DataFactoryEmulator implements EmulatorModule {
  private state?: { adf: AdfService; engine: RunEngine };
  private defaultRef?: FactoryRef;

  register(ctx: EmulatorContext): void {
    const adf = new AdfService(ctx);
    const engine = new RunEngine(ctx.clock);
    registerFactoryRoutes(adf);
    registerRunRoutes(adf, engine);
    this.state = { adf, engine };
  }

  /** Seeds factory `mlops-adf` with pipeline `prepare-training-data` in this resource group. */
  seedDefaults(subscriptionId: string, resourceGroupName: string): void {
    this.addFactory(subscriptionId, resourceGroupName, DEFAULT_FACTORY);
    this.addPipeline(subscriptionId, resourceGroupName, DEFAULT_FACTORY, DEFAULT_PIPELINE, DEFAULT_PIPELINE_SPEC);
    this.defaultRef = { subscriptionId, resourceGroupName, factoryName: DEFAULT_FACTORY };
  }

  // -------------------------------------------------------------------------------------------
  // Seeding

  /** Adds a factory (location: the resource group's; the resource group is created if needed). */
  addFactory(subscriptionId: string, resourceGroupName: string, name: string, options: { location?: string; tags?: Record<string, string> } = {}): void {
    if (!/^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/.test(name) || name.length < 3 || name.length > 63) throw new Error(`invalid factory name '${name}'`);
    const { adf } = this.s();
    const rg = adf.ctx.world.addResourceGroup(subscriptionId, resourceGroupName);
    adf.addFactory({ subscriptionId, resourceGroupName, factoryName: name }, options.location ?? rg.location, options.tags ?? {});
  }

  /** Adds or replaces a pipeline; throws on definitions ADF would refuse (unknown dependencies, cycles, bad defaults). */
  addPipeline(subscriptionId: string, resourceGroupName: string, factoryName: string, name: string, spec: PipelineSpec): void {
    const f = this.s().adf.factory({ subscriptionId, resourceGroupName, factoryName });
    if (!f) throw new Error(`no factory '${factoryName}' in ${subscriptionId}/${resourceGroupName}`);
    f.pipelines.set(name.toLowerCase(), normalizePipeline(name, spec));
  }

  // -------------------------------------------------------------------------------------------
  // Scripting and inspection

  /** Script for runs created from now on, any pipeline (undefined: defaults, Succeeded). */
  scriptRuns(script: RunScript | undefined): void {
    this.s().engine.defaultScript = script ?? {};
  }

  /** Script for runs of this pipeline created from now on (merged over scriptRuns); undefined removes it. */
  scriptRun(pipelineName: string, script: RunScript | undefined): void {
    const scripts = this.s().engine.pipelineScripts;
    if (script) scripts.set(pipelineName.toLowerCase(), script);
    else scripts.delete(pipelineName.toLowerCase());
  }

  /** A run by id (any factory), or undefined. */
  run(runId: string): RunView | undefined {
    const r = this.find(runId);
    return r ? this.s().engine.view(r) : undefined;
  }

  /** Every run (of one factory, or of all), oldest first. */
  runs(ref?: FactoryRef): RunView[] {
    const { adf, engine } = this.s();
    const factories = ref ? [adf.factory(ref)].filter((f) => f !== undefined) : [...adf.factories.values()];
    return factories.flatMap((f) => [...f.runs.values()].map((r) => engine.view(r)));
  }

  /**
   * Forces a run's status. Terminal statuses end it now (Succeeded completes the remaining
   * activities, Failed fails the running ones with `error`, Cancelled cancels them) and record
   * `terminalAt`; InProgress starts a queued run; Canceling cancels it.
   */
  setRunStatus(runId: string, status: RunStatus, options: { message?: string; error?: { errorCode?: string; message?: string } } = {}): void {
    const r = this.find(runId);
    if (!r) throw new Error(`no pipeline run '${runId}'`);
    this.s().engine.force(r, status, options);
  }

  /** Ends a run now with a terminal status (default Succeeded); returns its view (with terminalAt). */
  finishRun(
    runId: string,
    status: "Succeeded" | "Failed" | "Cancelled" = "Succeeded",
    options: { message?: string; error?: { errorCode?: string; message?: string } } = {},
  ): RunView {
    this.setRunStatus(runId, status, options);
    return this.run(runId)!;
  }

  /** Items per page of lists (nextLink) and run queries (continuationToken). */
  setPageSize(size: number): void {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("page size must be a positive integer");
    this.s().adf.pageSize = size;
  }

  /** The default factory (after seedDefaults). */
  get defaultFactory(): FactoryRef | undefined {
    return this.defaultRef ? { ...this.defaultRef } : undefined;
  }

  /** Values of SecureString parameters runs were given (tests scan task output for them). */
  secrets(): string[] {
    const out = new Set<string>();
    for (const f of this.state?.adf.factories.values() ?? []) {
      for (const r of f.runs.values()) {
        for (const [k, v] of Object.entries(r.parameters)) if (r.pipeline.parameters[k]?.type === "SecureString" && typeof v === "string" && v) out.add(v);
      }
    }
    return [...out];
  }

  // -------------------------------------------------------------------------------------------
  // EmulatorModule

  reset(): void {
    if (!this.state) return;
    this.dispose();
    this.state.engine.defaultScript = {};
    this.state.engine.pipelineScripts.clear();
    this.state.adf.reset();
    this.defaultRef = undefined;
  }

  dispose(): void {
    if (!this.state) return;
    const { adf, engine } = this.state;
    for (const f of adf.factories.values()) engine.dispose(f.runs.values());
  }

  private find(runId: string): RunRecord | undefined {
    for (const f of this.s().adf.factories.values()) {
      const r = f.runs.get(runId);
      if (r) return r;
    }
    return undefined;
  }

  private s(): NonNullable<DataFactoryEmulator["state"]> {
    if (!this.state) throw new Error("DataFactoryEmulator is not registered with an emulator yet");
    return this.state;
  }
}

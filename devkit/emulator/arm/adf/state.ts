/**
 * The in-memory model of data factories (pipelines and their runs) and the service object the
 * route modules share (context, store, route registration under a factory).
 */
import { randomUUID } from "node:crypto";
import type { EmuRequest, EmuResponse, EmulatorContext } from "../../framework";
import { resourceNotFound } from "../../framework";
import type { FactoryRef } from "./common";
import { API_VERSIONS, FACTORY_PATTERN, factoryKey } from "./common";

export type ParameterType = "String" | "SecureString" | "Int" | "Float" | "Bool" | "Array" | "Object";
export const PARAMETER_TYPES: readonly ParameterType[] = ["String", "SecureString", "Int", "Float", "Bool", "Array", "Object"];

export interface ParameterSpec {
  type: ParameterType;
  /** Absent: the parameter is required. */
  defaultValue?: unknown;
}

export type DependencyCondition = "Succeeded" | "Failed" | "Skipped" | "Completed";

export interface ActivitySpec {
  name: string;
  /** e.g. Copy, DatabricksNotebook, ExecutePipeline, Wait, WebActivity. */
  type: string;
  /** Upstream activity names (condition Succeeded), or full dependencies. */
  dependsOn?: (string | { activity: string; dependencyConditions: DependencyCondition[] })[];
  typeProperties?: Record<string, unknown>;
  description?: string;
}

export interface PipelineSpec {
  description?: string;
  parameters?: Record<string, ParameterSpec>;
  activities: ActivitySpec[];
  annotations?: string[];
}

export interface PipelineRecord {
  name: string;
  description?: string;
  parameters: Record<string, ParameterSpec>;
  activities: {
    name: string;
    type: string;
    dependsOn: { activity: string; dependencyConditions: DependencyCondition[] }[];
    typeProperties: Record<string, unknown>;
    description?: string;
  }[];
  annotations: string[];
  etag: string;
}

export interface FactoryState extends FactoryRef {
  location: string;
  tags: Record<string, string>;
  createTime: string;
  etag: string;
  principalId: string;
  pipelines: Map<string, PipelineRecord>;
  /** Runs by id, in creation order. */
  runs: Map<string, import("./runs").RunRecord>;
}

export type FactoryHandler = (req: EmuRequest, factory: FactoryState) => EmuResponse | Promise<EmuResponse>;

export class AdfService {
  readonly factories = new Map<string, FactoryState>();
  /** Items per page of lists (nextLink) and run queries (continuationToken). */
  pageSize = 100;

  constructor(readonly ctx: EmulatorContext) {}

  factory(ref: FactoryRef): FactoryState | undefined {
    return this.factories.get(factoryKey(ref));
  }

  addFactory(ref: FactoryRef, location: string, tags: Record<string, string> = {}): FactoryState {
    const existing = this.factory(ref);
    if (existing) return existing;
    const f: FactoryState = {
      ...ref,
      location,
      tags,
      createTime: new Date().toISOString(),
      etag: `"${randomUUID()}"`,
      principalId: randomUUID(),
      pipelines: new Map(),
      runs: new Map(),
    };
    this.factories.set(factoryKey(ref), f);
    return f;
  }

  /** Registers a route under a factory; the handler gets the factory (ARM 404 when it does not exist). */
  factoryRoute(method: string, suffix: string, action: string, handler: FactoryHandler): void {
    this.ctx.router.add(
      method,
      FACTORY_PATTERN + suffix,
      (req) => {
        const f = this.factory({
          subscriptionId: req.params.subscriptionId,
          resourceGroupName: req.params.resourceGroupName,
          factoryName: req.params.factoryName,
        });
        if (!f) return resourceNotFound("Microsoft.DataFactory/factories", req.params.factoryName, req.params.resourceGroupName);
        return handler(req, f);
      },
      { auth: "arm", action, apiVersions: API_VERSIONS },
    );
  }

  reset(): void {
    this.factories.clear();
    this.pageSize = 100;
  }
}

/** Paths inside job and component YAML (code, inputs.*.path, component, conda_file) follow the working-folder rule of path inputs (common/confinement.ts). */
import { outsideWorkFolders } from "../../common/confinement";
import { DocumentReader } from "./documentReader";
import type { PlanBuilder } from "./planBuilder";
import type { YamlPath } from "./yamlSource";

/** Throws a located error when `local` (named at `p`) is, by its real path, outside the plan's working folders. */
export function refuseOutsideWorkFolders(ctx: { reader: DocumentReader; plan: PlanBuilder }, p: YamlPath, local: string): void {
  const roots = ctx.plan.workFolders;
  const real = outsideWorkFolders(local, roots);
  if (real === undefined) return;
  const { loc } = ctx.reader;
  const where = DocumentReader.describe(p);
  const message = real === local ? loc("LoaderOutsideWorkFolders", where, local, roots[0]) : loc("LoaderLinkOutsideWorkFolders", where, local, real, roots[0]);
  throw ctx.reader.error("InvalidValue", message, p);
}

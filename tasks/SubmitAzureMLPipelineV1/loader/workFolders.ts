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
  const target = real === local ? "" : `, a link to ${real},`;
  throw ctx.reader.error(
    "InvalidValue",
    `'${DocumentReader.describe(p)}' names ${local}${target} which is outside the pipeline's working folders. Keep the files the job uses under ${roots[0]}, with links that stay inside it.`,
    p,
  );
}

/** Every conformance case: the modules under cases/, each exporting `cases`. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { ConformanceCase } from "./case";

export const RECORDING_REPOSITORIES = ["Azure/azure-sdk-for-python", "Azure/azure-sdk-for-js", "Azure/azure-cli-extensions", "Azure/azure-rest-api-specs"];

export function loadCases(): { file: string; cases: ConformanceCase[] }[] {
  const dir = join(__dirname, "cases");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".js"))
    .sort()
    .map((file) => ({ file, cases: (require(join(dir, file)) as { cases: ConformanceCase[] }).cases }));
}

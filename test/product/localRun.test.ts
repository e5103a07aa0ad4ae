/**
 * `mlops-tasks run` (scripts/localRun.ts): argument errors, a task run against the emulator through
 * the real CLI (`--emulator`), and the developer-login path — a ManagedServiceIdentity connection
 * whose IDENTITY_ENDPOINT is the loopback token server — with the emulator's service principal
 * standing in for the developer's `az login`, so the path runs for real without leaving loopback.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import { findRepoRoot } from "../../devkit/repoRoot";
import { parseArgs, resolveTaskFolder, runWithDeveloperLogin, UsageError } from "../../scripts/localRun";
import { scopeForResource, startLoopbackTokenServer } from "../../scripts/loopbackTokenServer";
import { readyInfo, startEmulator, type Emulator } from "../../devkit/emulator";
import { emulatorConnection } from "../../devkit/harness/agentRunner";

const repoRoot = findRepoRoot(__dirname);
const cli = path.join(repoRoot, "out", "scripts", "localRun.js");
const taskRoot = path.join(repoRoot, "build", "tasks");

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: repoRoot, timeout: 110_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

const ADF_INPUTS = [
  "--input",
  "resourceGroupName=ml_rg",
  "--input",
  "factoryName=mlops-adf",
  "--input",
  "pipelineName=prepare-training-data",
  "--input",
  "parameters=sourceContainer: raw",
  "--input",
  "pollingIntervalSeconds=1",
];

describe("local run (mlops-tasks run)", function () {
  this.timeout(120_000);

  describe("arguments", () => {
    it("reads a run command (util.parseArgs: --input k=v and --input=k=v alike)", () => {
      assert.deepEqual(
        parseArgs(["run", "TriggerADFPipeline@1", "--input", "a=b=c", "--input=d=e", "--variable", "train.JobName=j1", "--emulator", "--time-scale", "10"]),
        {
          task: "TriggerADFPipeline@1",
          inputs: { a: "b=c", d: "e" },
          variables: { "train.JobName": "j1" },
          emulator: true,
          timeScale: 10,
        },
      );
      assert.deepEqual(parseArgs(["run", "RegisterModel", "--subscription", "sub-1"]), {
        task: "RegisterModel",
        inputs: {},
        variables: {},
        emulator: false,
        subscriptionId: "sub-1",
      });
      assert.deepEqual(parseArgs(["run", "T", "--emulator-url", "https://127.0.0.1:1", "--seed", "s.json"]), {
        task: "T",
        inputs: {},
        variables: {},
        emulator: false,
        emulatorUrl: "https://127.0.0.1:1",
        seed: "s.json",
      });
      for (const argv of [["--help"], ["-h"], ["help"], ["run", "--help"], ["run", "T", "-h"]])
        assert.deepEqual(parseArgs(argv), { help: true }, JSON.stringify(argv));
    });

    const bad: [string[], RegExp][] = [
      [[], /No command given/],
      [["deploy", "X"], /Unknown command 'deploy'/],
      [["run"], /Name the task to run/],
      [["run", "--emulator"], /Name the task to run/],
      [["run", "T", "--input", "novalue"], /--input needs name=value, not 'novalue'/],
      [["run", "T", "--input", "=x"], /--input needs name=value/],
      [["run", "T", "--input"], /--input needs name=value/],
      [["run", "T", "--frobnicate"], /Unknown option '--frobnicate'/],
      [["run", "T", "--time-scale", "0", "--emulator"], /--time-scale needs a positive number/],
      [["run", "T", "--time-scale", "5"], /--time-scale only applies with --emulator/],
      [["run", "T", "--emulator", "--subscription", "s"], /--subscription does not apply with --emulator/],
      [["run", "T", "--subscription"], /--subscription needs a value/],
      [["run", "T", "extra"], /Unexpected argument 'extra'/],
      [["run", "T", "--seed", "s.json"], /--seed needs an emulator/],
      [["run", "T", "--emulator", "--emulator-url", "https://127.0.0.1:1"], /--emulator and --emulator-url exclude each other/],
      [["run", "T", "--emulator-ready", "{}", "--subscription", "s"], /--subscription does not apply with --emulator-ready/],
    ];
    for (const [argv, message] of bad) {
      it(`refuses ${JSON.stringify(argv)}`, () => {
        assert.throws(
          () => parseArgs(argv),
          (err: Error) => err instanceof UsageError && message.test(err.message),
        );
      });
    }

    it("finds built tasks by name, name@major or folder, and lists them when it cannot", () => {
      assert.equal(resolveTaskFolder(taskRoot, "TriggerADFPipeline"), "TriggerADFPipelineV1");
      assert.equal(resolveTaskFolder(taskRoot, "triggeradfpipeline@1"), "TriggerADFPipelineV1");
      assert.equal(resolveTaskFolder(taskRoot, "DeployToAKSV1"), "DeployToAKSV1");
      assert.throws(() => resolveTaskFolder(taskRoot, "TriggerADFPipeline@2"), /No task 'TriggerADFPipeline@2'.*TriggerADFPipeline@1/);
      assert.throws(() => resolveTaskFolder(path.join(repoRoot, "no-such-dir"), "X"), /No built task .* npm run build/);
    });

    it("exits 2 with the usage for a bad command line, and for an unknown task", async () => {
      const usage = await runCli(["run"]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /Name the task to run[\s\S]*Usage: mlops-tasks run/);
      const unknown = await runCli(["run", "NoSuchTask", "--emulator"]);
      assert.equal(unknown.code, 2, unknown.stderr);
      assert.match(unknown.stderr, /No task 'NoSuchTask'.*RegisterModel@1/);
    });

    it("--help prints the usage and exits 0", async () => {
      for (const argv of [["--help"], ["run", "--help"]]) {
        const r = await runCli(argv);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^Usage: mlops-tasks run[\s\S]*--emulator-url <url>[\s\S]*--seed <file>/);
      }
    });

    it("refuses an emulator URL that is not on this machine, and a seed file that is not a list of calls", async () => {
      const remote = await runCli(["run", "TriggerADFPipeline", "--emulator-url", "https://example.com/"]);
      assert.equal(remote.code, 2);
      assert.match(remote.stderr, /--emulator-url must be the emulator's https URL on this machine/);
      const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "seed-"));
      try {
        await fs.promises.writeFile(path.join(dir, "seed.json"), JSON.stringify({ module: "ml" }));
        const seed = await runCli(["run", "TriggerADFPipeline", "--emulator", "--seed", path.join(dir, "seed.json")]);
        assert.equal(seed.code, 2);
        assert.match(seed.stderr, /seed\.json must hold a JSON array of \{"module", "method", "args"\} calls/);
      } finally {
        await fs.promises.rm(dir, { recursive: true, force: true });
      }
    });

    it("asks for a subscription when not using the emulator", async () => {
      const r = await runCli(["run", "TriggerADFPipeline", ...ADF_INPUTS]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--subscription <id>.*or use --emulator/);
    });
  });

  describe("--emulator", () => {
    it("runs the task against a fresh emulator and exits 0", async () => {
      const r = await runCli(["run", "TriggerADFPipeline@1", ...ADF_INPUTS, "--emulator"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /TriggerADFPipeline@1 \(WorkloadIdentityFederation connection to https:\/\/127\.0\.0\.1:\d+\/\)/);
      assert.match(r.stdout, /Pipeline 'prepare-training-data' run [0-9a-f-]+ succeeded/);
      assert.match(r.stdout, /→ output variable RunId = [0-9a-f-]{36}/);
      assert.match(r.stdout, /\nSucceeded\n/);
    });

    it("exits 1 when the task fails", async () => {
      const r = await runCli(["run", "TriggerADFPipeline", ...ADF_INPUTS, "--input", "factoryName=no-such-factory", "--emulator"]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /\nFailed: .*no-such-factory/);
    });
  });

  describe("a running emulator (npm run emulator), seeded", () => {
    let emu: Emulator;
    let dir: string;
    before(async () => {
      emu = await startEmulator({ azurite: false, timeScale: 30 });
      dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "seed-"));
      const seed = [
        {
          module: "datafactory",
          method: "addPipeline",
          args: ["{{subscriptionId}}", "{{resourceGroupName}}", "mlops-adf", "seeded-pipeline", { activities: [{ name: "CopyRawData", type: "Copy" }] }],
        },
      ];
      await fs.promises.writeFile(path.join(dir, "seed.json"), JSON.stringify(seed));
      await fs.promises.writeFile(path.join(dir, "emulator.txt"), `EMULATOR_READY ${JSON.stringify(readyInfo(emu))}\n`);
    });
    after(async () => {
      await emu?.stop();
      if (dir) await fs.promises.rm(dir, { recursive: true, force: true });
    });

    const seededInputs = [
      "--input=resourceGroupName=ml_rg",
      "--input=factoryName=mlops-adf",
      "--input=pipelineName=seeded-pipeline",
      "--input=pollingIntervalSeconds=1",
    ];

    it("--emulator-url with --seed: runs a pipeline only the seed created, in that emulator", async () => {
      const r = await runCli(["run", "TriggerADFPipeline", ...seededInputs, "--emulator-url", emu.url, "--seed", path.join(dir, "seed.json")]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /Seeded the emulator with 1 call\(s\)/);
      const runs = emu.datafactory.runs().filter((run) => run.pipelineName === "seeded-pipeline");
      assert.equal(runs.length, 1, "the run happened in the running emulator");
      assert.equal(runs[0].status, "Succeeded");
    });

    it("--emulator-ready with the EMULATOR_READY line npm run emulator printed", async () => {
      const r = await runCli(["run", "TriggerADFPipeline", ...seededInputs, "--emulator-ready", path.join(dir, "emulator.txt")]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(emu.datafactory.runs().filter((run) => run.pipelineName === "seeded-pipeline").length, 2);
    });
  });

  describe("your own login, through the loopback managed-identity endpoint", () => {
    let emu: Emulator;
    let credential: ClientSecretCredential;

    before(async () => {
      emu = await startEmulator({ azurite: false, timeScale: 30 });
      credential = new ClientSecretCredential(emu.tenantId, emu.identities.secret.clientId, emu.identities.secret.clientSecret, {
        authorityHost: emu.authorityHost,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: emu.caCertPem },
      });
    });

    after(async () => {
      await emu?.stop();
    });

    it("answers only requests with its header, with tokens from the credential", async () => {
      const server = await startLoopbackTokenServer(credential);
      try {
        assert.match(server.identityEndpoint, /^http:\/\/127\.0\.0\.1:\d+\//);
        const resource = emu.armAudience;
        const url = `${server.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(resource)}`;
        assert.equal((await get(url, {})).status, 401);
        assert.equal((await get(url, { "X-IDENTITY-HEADER": "wrong" })).status, 401);
        assert.equal((await get(`${server.identityEndpoint}?api-version=2019-08-01`, { "X-IDENTITY-HEADER": server.identityHeader })).status, 400);
        const ok = await get(url, { "X-IDENTITY-HEADER": server.identityHeader });
        assert.equal(ok.status, 200, ok.body);
        const body = JSON.parse(ok.body) as { access_token: string; expires_on: string; token_type: string };
        assert.equal(body.token_type, "Bearer");
        assert.ok(Number(body.expires_on) > Date.now() / 1000);
        assert.ok(emu.secrets().includes(body.access_token), "a token the emulator issued");
        assert.equal(server.tokensIssued, 1);
      } finally {
        await server.close();
      }
    });

    it("maps a resource to its scope as Entra ID expects", () => {
      assert.equal(scopeForResource("https://management.azure.com/"), "https://management.azure.com/.default");
      assert.equal(scopeForResource("https://management.azure.com"), "https://management.azure.com/.default");
    });

    it("runs a task signed in as the given credential (ManagedServiceIdentity connection)", async () => {
      const lines: string[] = [];
      const { connection } = emulatorConnection(emu, "secret");
      const run = await runWithDeveloperLogin({
        task: "TriggerADFPipeline",
        inputs: {
          resourceGroupName: "ml_rg",
          factoryName: "mlops-adf",
          pipelineName: "prepare-training-data",
          parameters: "sourceContainer: raw",
          pollingIntervalSeconds: "1",
        },
        credential,
        subscriptionId: emu.subscriptionId,
        armUrl: emu.armUrl,
        connectionData: connection.data,
        caCertPath: emu.caCertPath,
        write: (line) => lines.push(line),
      });
      assert.equal(run.result, "Succeeded", lines.join("\n"));
      assert.match(lines[0], /ManagedServiceIdentity connection/);
      const runId = run.variables["RunId"]?.value;
      assert.ok(runId && emu.datafactory.run(runId), "the run exists in the emulator");
      assert.ok(!lines.join("\n").includes(emu.identities.secret.clientSecret));
    });
  });
});

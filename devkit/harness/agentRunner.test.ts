import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TaskCommand } from "azure-pipelines-task-lib/taskcommand";
import { buildTask } from "../../scripts/build";
import { findRepoRoot } from "../repoRoot";
import { emulatorConnection, runTask, type EmulatorConnectionSource, type ServiceConnection } from "./agentRunner";
import { CommandRecorder, mergeTaskResults } from "./commandRecorder";
import { formatLoggingCommand, LineSplitter, parseLoggingCommand } from "./loggingCommands";

const FIXTURE = "EchoTaskV1";
const TRICKY = "100% done; [x] ]end\r\nnext %AZP25 %0A line";

const fakeEmulator: EmulatorConnectionSource = {
  armUrl: "https://127.0.0.1:1/",
  authorityHost: "https://127.0.0.1:1/",
  armAudience: "https://management.emulator.test/",
  tenantId: "72f988bf-0000-0000-0000-000000000001",
  subscriptionId: "00000000-1111-2222-3333-444444444444",
  subscriptionName: "Emulated subscription",
  identities: {
    secret: { clientId: "client-secret-app", clientSecret: "fake-secret-value" },
    certificate: { clientId: "client-cert-app", certificatePem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" },
    federated: { clientId: "client-wif-app", serviceConnectionId: "9a1b2c3d-0000-4000-8000-000000000abc" },
    managedIdentity: { identityEndpoint: "https://127.0.0.1:1/msi/token", identityHeader: "fake-identity-header" },
  },
  devops: {
    collectionUri: "https://127.0.0.1:1/devops/org/",
    projectId: "project-guid",
    planId: "plan-guid",
    jobId: "job-guid",
    hostType: "build",
    systemAccessToken: "fake-system-token",
    oidcRequestUri: "https://127.0.0.1:1/devops/org/project-guid/_apis/distributedtask/hubs/build/plans/plan-guid/jobs/job-guid/oidctoken",
  },
};

describe("agent runner", function () {
  this.timeout(30_000);
  let taskRoot: string;

  before(async () => {
    taskRoot = await fs.promises.mkdtemp(path.join(os.tmpdir(), "agent-runner-test-"));
    const fixture = path.join(findRepoRoot(__dirname), "test", "fixtures", FIXTURE);
    await buildTask(fixture, path.join(taskRoot, FIXTURE));
  });

  after(async () => {
    await fs.promises.rm(taskRoot, { recursive: true, force: true });
  });

  const connection: ServiceConnection = {
    id: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    url: "https://127.0.0.1:1/",
    scheme: "ServicePrincipal",
    authParameters: { authenticationType: "spnKey", serviceprincipalid: "sp-client", serviceprincipalkey: "sp-key", tenantid: "tenant" },
    data: { subscriptionId: "sub-1", environment: "AzureStack" },
  };

  describe("running a task as the agent does", () => {
    it("passes inputs, connection and variables in and collects every kind of output", async () => {
      const caCertPath = path.join(taskRoot, "ca.pem");
      const run = await runTask({
        task: FIXTURE,
        taskRoot,
        inputs: { message: TRICKY, connectedServiceName: connection.id },
        connection,
        variables: { "System.Debug": "true", "Build.BuildId": "4242" },
        secretVariables: { "Fixture.Secret": "s3cret-value" },
        caCertPath,
      });

      assert.equal(run.exitCode, 0, run.stderr);
      assert.equal(run.signal, null);
      assert.equal(run.timedOut, false);
      assert.equal(run.interrupted, false);
      assert.ok(run.durationMs > 0);
      assert.equal(run.result, "Succeeded");
      assert.equal(run.reportedResult, "Succeeded");
      assert.equal(run.resultMessage, `Echoed ${TRICKY.length} characters`);

      assert.deepEqual(run.variables["echoedMessage"], { value: TRICKY, isSecret: false, isOutput: true });
      assert.deepEqual(run.variables["echoedSecret"], { value: "s3cret-value", isSecret: true, isOutput: true });
      assert.deepEqual(run.secrets, ["derived-s3cret-value"]);
      assert.deepEqual(run.issues, [{ type: "warning", message: `Echoing: ${TRICKY}` }]);
      assert.equal(run.summaries.length, 1);
      assert.equal(run.summaries[0].content, `# Echo\n\n${TRICKY}\n`);
      assert.equal(fs.existsSync(run.summaries[0].path), false, "the per-run temp directory is removed");

      const context = JSON.parse(run.variables["context"].value) as Record<string, unknown>;
      const taskDir = path.join(taskRoot, FIXTURE);
      assert.deepEqual(context, {
        cwd: taskDir,
        taskDir,
        scheme: "ServicePrincipal",
        servicePrincipalId: "sp-client",
        endpointUrl: connection.url,
        subscriptionId: "sub-1",
        systemScheme: "OAuth",
        hasSystemToken: true,
        buildId: "4242",
        debug: "true",
        culture: "en-US",
        collectionUri: "https://127.0.0.1/mlops-org/",
        tempDirectoryExists: true,
        caCerts: caCertPath,
        inputsLeftInEnvironment: [],
        secretsLeftInEnvironment: [],
      });

      const complete = run.commands.filter((c) => c.area === "task" && c.action === "complete");
      assert.equal(complete.length, 1);
      assert.equal(complete[0].properties["result"], "Succeeded");
      assert.ok(run.stdout.includes("##vso[task.complete"));
    });

    it("hands workload identity federation connections and the job's DevOps identifiers to the task", async () => {
      const { connection: wif, env } = emulatorConnection(fakeEmulator, "federated");
      const run = await runTask({
        task: FIXTURE,
        taskRoot,
        inputs: { message: "hello", azureSubscription: "unused", connectedServiceName: wif.id },
        connection: wif,
        env,
      });
      assert.equal(run.result, "Succeeded", run.stdout);
      const context = JSON.parse(run.variables["context"].value) as Record<string, unknown>;
      assert.equal(context["scheme"], "WorkloadIdentityFederation");
      assert.equal(context["servicePrincipalId"], "client-wif-app");
      assert.equal(context["subscriptionId"], fakeEmulator.subscriptionId);
      assert.equal(context["collectionUri"], fakeEmulator.devops.collectionUri);
      assert.equal(context["hasSystemToken"], true);
    });

    it("reports a missing required input as a failed step with an error issue", async () => {
      const run = await runTask({ task: FIXTURE, taskRoot, inputs: {} });
      assert.equal(run.result, "Failed");
      assert.equal(run.reportedResult, "Failed");
      assert.deepEqual(run.issues, [{ type: "error", message: "Input required: message" }]);
    });

    it("fails the step when the process exits non-zero after reporting success", async () => {
      const run = await runTask({ task: FIXTURE, taskRoot, inputs: { message: "x", mode: "exitNonZero" } });
      assert.equal(run.exitCode, 3);
      assert.equal(run.reportedResult, "Succeeded");
      assert.equal(run.result, "Failed");
    });

    it("sends the interrupt signal once stdout matches", async () => {
      const run = await runTask({
        task: FIXTURE,
        taskRoot,
        inputs: { message: "x", mode: "waitForSignal" },
        interrupt: { signal: "SIGINT", when: /Waiting for cancellation/ },
        timeoutInMs: 10_000,
      });
      assert.equal(run.interrupted, true);
      assert.equal(run.timedOut, false);
      assert.equal(run.exitCode, 0);
      assert.equal(run.reportedResult, "Cancelled");
      assert.equal(run.resultMessage, "Cancelled by SIGINT");
      assert.equal(run.result, "Cancelled");
    });

    it("sends the interrupt signal afterMs after the output matched `when`", async () => {
      const run = await runTask({
        task: FIXTURE,
        taskRoot,
        inputs: { message: "x", mode: "waitForSignal" },
        interrupt: { signal: "SIGTERM", when: /Waiting for cancellation/, afterMs: 600 },
        timeoutInMs: 10_000,
      });
      assert.equal(run.interrupted, true);
      assert.equal(run.resultMessage, "Cancelled by SIGTERM");
      assert.ok(run.durationMs >= 600, `ran ${run.durationMs} ms`);
    });

    it("sends the interrupt signal afterMs after the start without `when`", async () => {
      const run = await runTask({
        task: FIXTURE,
        taskRoot,
        inputs: { message: "x", mode: "hang" },
        interrupt: { signal: "SIGTERM", afterMs: 400 },
        timeoutInMs: 1_500,
      });
      assert.equal(run.interrupted, true);
      assert.ok(run.durationMs >= 350, `ran ${run.durationMs} ms`);
    });

    it("kills a task that outlives its timeout and fails the step", async () => {
      const run = await runTask({ task: FIXTURE, taskRoot, inputs: { message: "x", mode: "hang" }, timeoutInMs: 800 });
      assert.equal(run.timedOut, true);
      assert.equal(run.signal, "SIGKILL");
      assert.equal(run.exitCode, null);
      assert.equal(run.reportedResult, undefined);
      assert.equal(run.result, "Failed");
      assert.ok(run.durationMs < 5_000);
    });

    it("keeps a cancelled step cancelled when the task ignores the signal and is killed", async () => {
      const run = await runTask({
        task: FIXTURE,
        taskRoot,
        inputs: { message: "x", mode: "hang" },
        interrupt: { signal: "SIGINT", when: /Waiting for cancellation/ },
        timeoutInMs: 800,
      });
      assert.equal(run.interrupted, true);
      assert.equal(run.timedOut, true);
      assert.equal(run.result, "Cancelled");
    });

    it("kills the task when the abort signal fires", async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const run = await runTask({
        task: FIXTURE,
        taskRoot,
        inputs: { message: "x", mode: "hang" },
        abortSignal: controller.signal,
      });
      assert.equal(run.signal, "SIGKILL");
      assert.equal(run.timedOut, false);
    });

    it("refuses a task folder that has not been built", async () => {
      await assert.rejects(runTask({ task: "NoSuchTaskV1", taskRoot, inputs: {} }), /NoSuchTaskV1.*does not exist: build the tasks first/);
    });
  });

  describe("emulatorConnection", () => {
    it("builds a service principal + secret connection", () => {
      const { connection: c, env } = emulatorConnection(fakeEmulator, "secret");
      assert.equal(c.scheme, "ServicePrincipal");
      assert.match(c.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(c.url, fakeEmulator.armUrl);
      assert.deepEqual(c.authParameters, {
        authenticationType: "spnKey",
        serviceprincipalid: "client-secret-app",
        serviceprincipalkey: "fake-secret-value",
        tenantid: fakeEmulator.tenantId,
      });
      assert.deepEqual(c.data, {
        subscriptionId: fakeEmulator.subscriptionId,
        subscriptionName: fakeEmulator.subscriptionName,
        environment: "AzureStack",
        scopeLevel: "Subscription",
        creationMode: "Manual",
        activeDirectoryAuthority: fakeEmulator.authorityHost,
        environmentAuthorityUrl: fakeEmulator.authorityHost,
        activeDirectoryServiceEndpointResourceId: fakeEmulator.armAudience,
      });
      assert.equal(env["SYSTEM_OIDCREQUESTURI"], fakeEmulator.devops.oidcRequestUri);
      assert.equal(env["SYSTEM_TEAMFOUNDATIONCOLLECTIONURI"], fakeEmulator.devops.collectionUri);
      assert.equal(env["ENDPOINT_URL_SYSTEMVSSCONNECTION"], fakeEmulator.devops.collectionUri);
      assert.deepEqual(JSON.parse(env["ENDPOINT_AUTH_SYSTEMVSSCONNECTION"]), { parameters: { AccessToken: "fake-system-token" }, scheme: "OAuth" });
      assert.equal(env["ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"], "fake-system-token");
      assert.equal(env["IDENTITY_ENDPOINT"], undefined);
    });

    it("builds a service principal + certificate connection", () => {
      const { connection: c } = emulatorConnection(fakeEmulator, "certificate");
      assert.equal(c.scheme, "ServicePrincipal");
      assert.equal(c.authParameters["authenticationType"], "spnCertificate");
      assert.equal(c.authParameters["servicePrincipalCertificate"], fakeEmulator.identities.certificate.certificatePem);
      assert.equal(c.authParameters["serviceprincipalid"], "client-cert-app");
    });

    it("uses the federated identity's service connection id for workload identity federation", () => {
      const { connection: c } = emulatorConnection(fakeEmulator, "federated");
      assert.equal(c.id, fakeEmulator.identities.federated.serviceConnectionId);
      assert.equal(c.scheme, "WorkloadIdentityFederation");
      assert.deepEqual(c.authParameters, { serviceprincipalid: "client-wif-app", tenantid: fakeEmulator.tenantId });
    });

    it("points a managed identity connection at the emulator's identity endpoint", () => {
      const { connection: c, env } = emulatorConnection(fakeEmulator, "managedIdentity");
      assert.equal(c.scheme, "ManagedServiceIdentity");
      assert.deepEqual(c.authParameters, { tenantid: fakeEmulator.tenantId });
      assert.equal(c.data["msiclientId"], undefined);
      assert.equal(env["IDENTITY_ENDPOINT"], fakeEmulator.identities.managedIdentity.identityEndpoint);
      assert.equal(env["IDENTITY_HEADER"], fakeEmulator.identities.managedIdentity.identityHeader);
    });
  });

  describe("logging commands", () => {
    it("round-trips task-lib's escaping of property values and messages", () => {
      const properties = { variable: "a;b]c%d\re\nf", issecret: "false", isOutput: "true" };
      const line = new TaskCommand("task.setvariable", properties, TRICKY).toString();
      const parsed = parseLoggingCommand(line);
      assert.deepEqual(parsed, { area: "task", action: "setvariable", properties, message: TRICKY });
      assert.equal(formatLoggingCommand(parsed!), line);
    });

    it("leaves empty property values out, as task-lib does", () => {
      const line = formatLoggingCommand({ area: "task", action: "logissue", properties: { type: "error", code: "" }, message: "m" });
      assert.equal(line, new TaskCommand("task.logissue", { type: "error", code: "" }, "m").toString());
      assert.equal(line, "##vso[task.logissue type=error;]m");
    });

    it("finds a command anywhere in a line and ignores lines that are not commands", () => {
      assert.deepEqual(parseLoggingCommand("prefix ##vso[build.addbuildtag]ml"), {
        area: "build",
        action: "addbuildtag",
        properties: {},
        message: "ml",
      });
      assert.equal(parseLoggingCommand("##[group]Title"), undefined);
      assert.equal(parseLoggingCommand("##vso[task.setvariable variable=x"), undefined);
      assert.equal(parseLoggingCommand("##vso[nodot]message"), undefined);
      assert.equal(parseLoggingCommand("##vso[task.setvariable novalue]x"), undefined);
    });

    it("splits chunks into lines, holding partial lines across chunks", () => {
      const splitter = new LineSplitter();
      assert.deepEqual(splitter.push("##vso[task.set"), []);
      assert.deepEqual(splitter.push("secret]abc\r\nnext"), ["##vso[task.setsecret]abc"]);
      assert.deepEqual(splitter.push(" line\n\n"), ["next line", ""]);
      assert.deepEqual(splitter.push("tail"), []);
      assert.deepEqual(splitter.flush(), ["tail"]);
      assert.deepEqual(splitter.flush(), []);
    });
  });

  describe("command recorder", () => {
    const parse = (line: string) => {
      const command = parseLoggingCommand(line);
      assert.ok(command, line);
      return command;
    };

    it("records summaries from addattachment and notes unreadable files", async () => {
      const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "recorder-"));
      try {
        await fs.promises.writeFile(path.join(dir, "s.md"), "# S");
        const recorder = new CommandRecorder(dir);
        recorder.record(parse("##vso[task.addattachment type=Distributedtask.Core.Summary;name=S;]s.md"));
        recorder.record(parse("##vso[task.addattachment type=other;name=x;]s.md"));
        recorder.record(parse("##vso[task.uploadsummary]missing.md"));
        assert.equal(recorder.summaries.length, 2);
        assert.deepEqual(recorder.summaries[0], { path: "s.md", content: "# S" });
        assert.equal(recorder.summaries[1].content, "");
        assert.match(recorder.summaries[1].readError ?? "", /ENOENT/);
      } finally {
        await fs.promises.rm(dir, { recursive: true, force: true });
      }
    });

    it("keeps the last valid task.complete, counts task.issue and task.logissue, keeps secrets secret", () => {
      const recorder = new CommandRecorder(os.tmpdir());
      recorder.record(parse("##vso[task.complete result=Failed;]first"));
      recorder.record(parse("##vso[task.complete result=SucceededWithIssues;]second"));
      recorder.record(parse("##vso[task.complete result=Bogus;]ignored"));
      recorder.record(parse("##vso[task.issue type=warning;source=TaskInternal;]w"));
      recorder.record(parse("##vso[task.logissue type=error;code=E1;]e"));
      recorder.record(parse("##vso[task.logissue type=info;]not an issue"));
      recorder.record(parse("##vso[task.setvariable variable=token;issecret=true;]one"));
      recorder.record(parse("##vso[task.setvariable variable=token;issecret=false;]two"));
      assert.equal(recorder.reportedResult, "SucceededWithIssues");
      assert.equal(recorder.resultMessage, "second");
      assert.deepEqual(recorder.issues, [
        { type: "warning", message: "w" },
        { type: "error", message: "e" },
      ]);
      assert.deepEqual(recorder.variables["token"], { value: "two", isSecret: true, isOutput: false });
      assert.equal(recorder.commands.length, 8);
    });

    it("merges results as the agent does", () => {
      assert.equal(mergeTaskResults(undefined, "Cancelled"), "Cancelled");
      assert.equal(mergeTaskResults("Succeeded", "Cancelled"), "Cancelled");
      assert.equal(mergeTaskResults("SucceededWithIssues", "Failed"), "Failed");
      assert.equal(mergeTaskResults("Failed", "Cancelled"), "Failed");
      assert.equal(mergeTaskResults("Cancelled", "Failed"), "Cancelled");
      assert.equal(mergeTaskResults("SucceededWithIssues", "Succeeded"), "SucceededWithIssues");
    });
  });
});

/**
 * The slice of Azure DevOps a pipeline job talks to for workload identity federation: the job's
 * `oidctoken` route (what AzurePipelinesCredential POSTs to through SYSTEM_OIDCREQUESTURI, and
 * what azure-devops-node-api's TaskApi.createOidcToken reaches after OPTIONS location discovery).
 * Requests must carry the job's system access token; the answer is a short-lived OIDC JWT whose
 * audience is api://AzureADTokenExchange and whose subject names the service connection.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { EmuRequest, EmuResponse, Router } from "./framework";
import { TOKEN_EXCHANGE_AUDIENCE } from "./identity";
import type { TokenIssuer } from "./tokens";

export const ORGANIZATION = "emulator-org";
export const PROJECT_NAME = "mlops";
export const OIDC_TOKEN_LOCATION_ID = "69a319f4-28c1-4bfd-93e6-ea0ff5c6f1a2";

export interface DevOpsInfo {
  collectionUri: string;
  projectId: string;
  planId: string;
  jobId: string;
  hostType: string;
  systemAccessToken: string;
  oidcRequestUri: string;
}

export class DevOpsEndpoint {
  readonly organizationId = randomUUID();
  readonly projectId = randomUUID();
  readonly planId = randomUUID();
  readonly jobId = randomUUID();
  readonly hostType = "build";
  readonly systemAccessToken = randomBytes(32).toString("base64url");
  /** Service connection id → name (the OIDC subject names the connection). */
  readonly serviceConnections = new Map<string, string>();
  /** OIDC token lifetime in seconds (short, like the real service's). */
  oidcTokenLifetimeSeconds = 600;

  constructor(
    private readonly oidc: TokenIssuer,
    private readonly baseUrl: () => string,
  ) {}

  /** The issuer of the OIDC tokens (what a federated identity credential names). */
  issuer(): string {
    return `${this.baseUrl()}/_oidc/${this.organizationId}`;
  }

  /** The subject for a service connection: sc://<org>/<project>/<connection name>. */
  subject(serviceConnectionId: string): string {
    const name = this.serviceConnections.get(serviceConnectionId.toLowerCase()) ?? serviceConnectionId;
    return `sc://${ORGANIZATION}/${PROJECT_NAME}/${name}`;
  }

  info(): DevOpsInfo {
    const collectionUri = `${this.baseUrl()}/${ORGANIZATION}/`;
    return {
      collectionUri,
      projectId: this.projectId,
      planId: this.planId,
      jobId: this.jobId,
      hostType: this.hostType,
      systemAccessToken: this.systemAccessToken,
      oidcRequestUri: `${collectionUri}${this.projectId}/_apis/distributedtask/hubs/${this.hostType}/plans/${this.planId}/jobs/${this.jobId}/oidctoken`,
    };
  }

  register(router: Router): void {
    const none = { auth: "none" as const };
    router.add("OPTIONS", `/${ORGANIZATION}/_apis/distributedtask`, () => this.locations(), none);
    router.add("POST", `/${ORGANIZATION}/:project/_apis/distributedtask/hubs/:hub/plans/:plan/jobs/:job/oidctoken`, (req) => this.createOidcToken(req), none);
  }

  private locations(): EmuResponse {
    return {
      status: 200,
      body: {
        count: 1,
        value: [
          {
            id: OIDC_TOKEN_LOCATION_ID,
            area: "distributedtask",
            resourceName: "oidctoken",
            routeTemplate: "{scopeIdentifier}/_apis/{area}/hubs/{hubName}/plans/{planId}/jobs/{jobId}/{resource}",
            resourceVersion: 1,
            minVersion: "7.1",
            maxVersion: "7.2",
            releasedVersion: "0.0",
          },
        ],
      },
    };
  }

  private createOidcToken(req: EmuRequest): EmuResponse {
    const auth = req.headers.authorization;
    const token = typeof auth === "string" ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
    if (token !== this.systemAccessToken) {
      return vssError(401, "TF400813: The user '' is not authorized to access this resource.", "UnauthorizedRequestException");
    }
    const { project, hub, plan, job } = req.params;
    if (project.toLowerCase() !== this.projectId.toLowerCase() && project.toLowerCase() !== PROJECT_NAME) {
      return vssError(
        404,
        `TF200016: The following project does not exist: ${project}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`,
        "ProjectDoesNotExistException",
      );
    }
    if (hub.toLowerCase() !== this.hostType || plan.toLowerCase() !== this.planId.toLowerCase() || job.toLowerCase() !== this.jobId.toLowerCase()) {
      return vssError(404, `Orchestration plan ${plan} (job ${job}) is not found in hub ${hub}.`, "TaskOrchestrationPlanNotFoundException");
    }
    const version = req.query.get("api-version") ?? /api-version=([\w.-]+)/.exec(String(req.headers.accept ?? ""))?.[1];
    if (!version) return vssError(400, "The requested REST API version is missing: specify api-version.", "VssVersionNotSpecifiedException");
    const serviceConnectionId = req.query.get("serviceConnectionId");
    if (!serviceConnectionId) return vssError(400, "The serviceConnectionId query parameter is required.", "ArgumentNullException");
    const oidcToken = this.oidc.issue(
      { iss: this.issuer(), aud: TOKEN_EXCHANGE_AUDIENCE, sub: this.subject(serviceConnectionId), ver: "1.0" },
      this.oidcTokenLifetimeSeconds,
    );
    return { status: 200, body: { oidcToken } };
  }
}

function vssError(status: number, message: string, typeKey: string): EmuResponse {
  return {
    status,
    body: {
      $id: "1",
      innerException: null,
      message,
      typeName: `Microsoft.TeamFoundation.${typeKey}, Microsoft.TeamFoundation.Framework.Server`,
      typeKey,
      errorCode: 0,
      eventId: 3000,
    },
  };
}

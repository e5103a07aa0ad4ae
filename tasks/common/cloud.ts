/**
 * Cloud endpoints from the service connection: the ARM URL, the authority host and the ARM
 * audience all come from the connection, so sovereign clouds, Azure Stack Hub and the emulator
 * work with no special case. Studio and portal links follow the cloud's name.
 */

export interface CloudEndpoints {
  /** AzureCloud, AzureUSGovernment, AzureChinaCloud, AzureStack... */
  name: string;
  /** ARM base URL without a trailing slash. */
  armUrl: string;
  /** Entra ID authority host without a trailing slash. */
  authorityHost: string;
  /** `<ARM audience>/.default` */
  armScope: string;
  /** False for authorities MSAL cannot validate through instance discovery (Azure Stack Hub, the emulator). */
  isKnownAuthority: boolean;
  portalUrl: string;
  mlStudioUrl: string;
  adfStudioUrl: string;
}

interface KnownCloud {
  authorityHost: string;
  armUrl: string;
  portalUrl: string;
  mlStudioUrl: string;
  adfStudioUrl: string;
}

const KNOWN_CLOUDS: Record<string, KnownCloud> = {
  azurecloud: {
    authorityHost: "https://login.microsoftonline.com",
    armUrl: "https://management.azure.com",
    portalUrl: "https://portal.azure.com",
    mlStudioUrl: "https://ml.azure.com",
    adfStudioUrl: "https://adf.azure.com",
  },
  azureusgovernment: {
    authorityHost: "https://login.microsoftonline.us",
    armUrl: "https://management.usgovcloudapi.net",
    portalUrl: "https://portal.azure.us",
    mlStudioUrl: "https://ml.azure.us",
    adfStudioUrl: "https://adf.azure.us",
  },
  azurechinacloud: {
    authorityHost: "https://login.chinacloudapi.cn",
    armUrl: "https://management.chinacloudapi.cn",
    portalUrl: "https://portal.azure.cn",
    mlStudioUrl: "https://studio.ml.azure.cn",
    adfStudioUrl: "https://adf.azure.cn",
  },
};

const KNOWN_AUTHORITY_HOSTS = new Set(Object.values(KNOWN_CLOUDS).map((c) => c.authorityHost));

/**
 * @param endpointUrl the connection's URL (ENDPOINT_URL_<id>), the ARM base URL
 * @param data the connection's data (environment, activeDirectoryAuthority,
 *   environmentAuthorityUrl, activeDirectoryServiceEndpointResourceId)
 */
export function cloudFromConnection(endpointUrl: string | undefined, data: Record<string, string | undefined>): CloudEndpoints {
  const name = data["environment"] || "AzureCloud";
  const known = KNOWN_CLOUDS[name.toLowerCase()];
  const armUrl = trimSlash(endpointUrl || known?.armUrl || KNOWN_CLOUDS["azurecloud"].armUrl);
  const authorityHost = trimSlash(
    data["activeDirectoryAuthority"] || data["environmentAuthorityUrl"] || known?.authorityHost || KNOWN_CLOUDS["azurecloud"].authorityHost,
  );
  // ARM accepts tokens for its own URL as audience; a connection may name another one.
  const audience = data["activeDirectoryServiceEndpointResourceId"] || `${armUrl}/`;
  const links = known ?? KNOWN_CLOUDS["azurecloud"];
  return {
    name,
    armUrl,
    authorityHost,
    armScope: scopeFor(audience),
    isKnownAuthority: KNOWN_AUTHORITY_HOSTS.has(authorityHost.toLowerCase()),
    portalUrl: links.portalUrl,
    mlStudioUrl: links.mlStudioUrl,
    adfStudioUrl: links.adfStudioUrl,
  };
}

/** `https://management.azure.com/` → `https://management.azure.com/.default` */
export function scopeFor(audience: string): string {
  return audience.endsWith("/.default") ? audience : `${trimSlash(audience)}/.default`;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

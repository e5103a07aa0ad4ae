/**
 * A proxy URL with credentials in it (`Agent.ProxyUrl` = `http://user:password@proxy:8080`):
 * task-lib prints `Agent.ProxyUrl=<value>` in its debug output as soon as it loads, and the agent
 * does not know the embedded password is a secret. Each task entry imports this module FIRST,
 * before anything loads task-lib: it takes the credentials out of the variable (task-lib then
 * only ever sees and prints the bare URL), registers the password with the agent's masker, and
 * keeps them for agentNetwork.ts, which still sends them to the proxy.
 * It writes to stdout itself (one `task.setsecret` line, formatted as task-lib does) because
 * task-lib cannot be loaded yet.
 */

export interface ProxyUrlCredentials {
  username?: string;
  password?: string;
}

const VARIABLE = "AGENT_PROXYURL";

function takeCredentials(env: NodeJS.ProcessEnv): ProxyUrlCredentials {
  const value = env[VARIABLE];
  if (!value?.includes("@")) return {};
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return {};
  }
  if (!url.username && !url.password) return {};
  const credentials = { username: decode(url.username) || undefined, password: decode(url.password) || undefined };
  for (const secret of new Set([url.password, credentials.password])) {
    if (secret && !/[\r\n]/.test(secret)) process.stdout.write(`##vso[task.setsecret]${secret.replace(/%/g, "%AZP25")}\n`);
  }
  url.username = "";
  url.password = "";
  env[VARIABLE] = value.endsWith("/") || url.pathname !== "/" ? url.toString() : url.toString().replace(/\/$/, "");
  return credentials;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The credentials that were in Agent.ProxyUrl (taken out when this module loaded). */
export const proxyUrlCredentials: ProxyUrlCredentials = takeCredentials(process.env);

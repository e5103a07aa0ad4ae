/**
 * Every task run in the tests is scanned for every secret the test world knows (client secrets,
 * certificate keys, tokens, OIDC tokens, storage and endpoint keys): sources register here (the
 * emulator does when it starts) and runTask fails the run when its output holds one. The only
 * lines allowed to carry a secret are the logging commands that hand it to the agent to mask
 * (`task.setsecret`, and `task.setvariable` with `issecret=true`).
 */
const sources = new Set<() => Iterable<string>>();

/** Adds a source of secrets; returns a function that removes it. */
export function registerSecretSource(source: () => Iterable<string>): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

const HANDS_SECRET_TO_AGENT = /^##vso\[task\.(setsecret|setvariable [^\]]*\bissecret=true)/i;

/** `output` without the lines that hand a secret to the agent (the agent consumes them and shows nothing). */
export function visibleOutput(output: string): string {
  return output
    .split(/\r?\n/)
    .filter((line) => !HANDS_SECRET_TO_AGENT.test(line.trim()))
    .join("\n");
}

/** Secrets (at least 8 characters) found in `output`, outside the lines that hand them to the agent. */
export function leakedSecrets(output: string, extra: Iterable<string> = []): string[] {
  const visible = visibleOutput(output);
  const found = new Set<string>();
  const candidates = [...extra];
  for (const source of sources) candidates.push(...source());
  for (const secret of candidates) {
    if (secret && secret.length >= 8 && visible.includes(secret)) found.add(secret);
  }
  return [...found];
}

export class SecretLeakError extends Error {
  override readonly name = "SecretLeakError";
}

/**
 * Text that comes from outside the task (service answers, job and step errors, logs, URIs, file
 * names) is printed to stdout, the agent's command channel. The agent runs a `##vso[` command
 * found anywhere in a line and a `##[` formatting command at the start of one. Every line the
 * tasks print goes through `neutralizeCommands` (logging.ts, the one writer of stdout); values
 * from outside also go through `remoteText`, which keeps them on one line.
 */

/** Every `##vso[` and `##[` (any case) broken with a space, so no line of `text` can be a command. */
export function neutralizeCommands(text: string): string {
  return text.replace(/##(vso)?\[/gi, (match) => match.replace("[", " ["));
}

/** `text` (a string, or any value as JSON) on one line, unable to start a logging command. */
export function remoteText(text: unknown): string {
  if (text === undefined || text === null) return "";
  const s = typeof text === "string" ? text : (JSON.stringify(text) ?? String(text));
  return neutralizeCommands(s.replace(/\s*[\r\n\u2028\u2029\u0085]+\s*/g, " ")).trim();
}

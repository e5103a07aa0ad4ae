/**
 * Text that comes from outside the task (service answers, job and step errors, logs, URIs, file
 * names) is printed to stdout, the agent's command channel: make it one line and unable to start
 * a logging command. Every such text reaches the log through this function.
 */
export function remoteText(text: unknown): string {
  if (text === undefined || text === null) return "";
  const s = typeof text === "string" ? text : JSON.stringify(text);
  return s
    .replace(/\s*[\r\n]+\s*/g, " ")
    .replace(/##(vso)?\[/gi, (match) => match.replace("[", " ["))
    .trim();
}

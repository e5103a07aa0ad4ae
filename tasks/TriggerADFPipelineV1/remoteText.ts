/**
 * Text that comes from Data Factory (activity errors, run messages) is printed to stdout, the
 * agent's command channel: make it one line and unable to start a logging command.
 */
export function remoteText(text: unknown): string {
  if (text === undefined || text === null) return "";
  const s = typeof text === "string" ? text : JSON.stringify(text);
  return s
    .replace(/\s*[\r\n]+\s*/g, " ")
    .replace(/##(vso)?\[/gi, (match) => match.replace("[", " ["))
    .trim();
}

/**
 * What Azure DevOps does with a task.json `dataSourceBindings` entry when the classic editor
 * fills a pick list: resolve `endpointUrl` (Mustache `{{{endpoint.url}}}`, `{{{endpoint.<data key>}}}`
 * and `$(input)` values), GET it with the connection's token, pick items with `resultSelector`
 * (`jsonpath:` — the subset real bindings use: `$`, `.name`, `['name']`, `[*]`, `.*`, `[n]` and
 * filters `[?(@.a.b == 'x')]` / `!=` with a string, number or boolean literal) and
 * render each through `resultTemplate` (Mustache: `{{{x}}}` raw, `{{x}}` HTML-escaped, dotted
 * names) into `{ Value, DisplayValue }` (a template that renders to plain text gives that text as
 * both). Of sections, only the documented `{{#if x}}…{{/if}}` and `{{#unless x}}…{{/unless}}` block
 * helpers (microsoft/azure-pipelines-extensions docs/authoring/endpoints/mustacheHelpers.md); other
 * sections and helpers are refused, so a binding that needs them fails loudly here.
 *
 * Paging (allPickListItems): `initialContextTemplate` gives the first context, `endpointUrl` is rendered
 * with it, then while `callbackRequiredTemplate` renders to `true` on the answer,
 * `callbackContextTemplate` (rendered on the answer) is the next context; at most 5 calls
 * (microsoft/azure-pipelines-extensions docs/authoring/endpoints/pagination.md, "Throttling").
 */

export interface DataSourceBinding {
  target?: string;
  endpointId?: string;
  endpointUrl?: string;
  resultSelector?: string;
  resultTemplate?: string;
  dataSourceName?: string;
  initialContextTemplate?: string;
  callbackContextTemplate?: string;
  callbackRequiredTemplate?: string;
}

/** Calls a data source makes at most when it pages (pagination.md, "Throttling"). */
export const MAX_PAGE_CALLS = 5;

export interface PickListItem {
  Value: string;
  DisplayValue: string;
  /** The selected JSON item it was rendered from (for tests; the editor does not keep it). */
  source: unknown;
}

function lookup(context: unknown, name: string): unknown {
  if (name === ".") return context;
  let value: unknown = context;
  for (const part of name.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function htmlEscape(text: string): string {
  return text.replace(/[&<>"'`=/]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function truthy(value: unknown): boolean {
  return !(value === undefined || value === null || value === false || value === "" || (Array.isArray(value) && value.length === 0));
}

/** Mustache variables (`{{{name}}}`, `{{&name}}` raw, `{{name}}` escaped) and the `if` / `unless` block helpers. */
export function renderMustache(template: string, context: unknown): string {
  const blocks = template.replace(/\{\{#(if|unless)\s+([^}\s]+)\s*\}\}([\s\S]*?)\{\{\/\1\}\}/g, (_, helper: string, name: string, body: string) =>
    truthy(lookup(context, name)) === (helper === "if") ? body : "",
  );
  return blocks.replace(/\{\{\{\s*([^}]*?)\s*\}\}\}|\{\{\s*([#^/!>&]?)\s*([^}]*?)\s*\}\}/g, (tag, raw: string | undefined, sigil: string, name: string) => {
    if (raw !== undefined) return text(lookup(context, raw));
    if (sigil === "&") return text(lookup(context, name));
    if (sigil !== "") throw new Error(`Mustache tag '${tag}' is not supported by this renderer.`);
    return htmlEscape(text(lookup(context, name)));
  });
}

/** `$(input)` → the input's current value; an input with no value is an error (the editor would send nothing). */
export function substituteInputs(template: string, inputValues: Record<string, string>): string {
  return template.replace(/\$\(([A-Za-z][A-Za-z0-9]*)\)/g, (_, name: string) => {
    const value = inputValues[name];
    if (value === undefined) throw new Error(`$(${name}) has no value: give input '${name}' a value first.`);
    return value;
  });
}

export function resolveEndpointUrl(
  binding: DataSourceBinding,
  endpoint: { url: string; data: Record<string, string> },
  inputValues: Record<string, string>,
  pageContext: Record<string, unknown> = {},
): string {
  if (!binding.endpointUrl) throw new Error(`binding for '${binding.target}' has no endpointUrl (named data sources are resolved by Azure DevOps itself).`);
  const withInputs = substituteInputs(binding.endpointUrl, inputValues);
  return renderMustache(withInputs, { ...pageContext, endpoint: { url: endpoint.url, ...endpoint.data } });
}

/**
 * Every page of a binding's list, as the editor fetches it: `get` answers one URL with its JSON body.
 * Returns the items and the URLs called.
 */
export async function allPickListItems(
  binding: DataSourceBinding,
  endpoint: { url: string; data: Record<string, string> },
  inputValues: Record<string, string>,
  get: (url: string) => Promise<unknown>,
): Promise<{ items: PickListItem[]; urls: string[] }> {
  const items: PickListItem[] = [];
  const urls: string[] = [];
  let context = binding.initialContextTemplate ? (JSON.parse(renderMustache(binding.initialContextTemplate, {})) as Record<string, unknown>) : {};
  for (;;) {
    const url = resolveEndpointUrl(binding, endpoint, inputValues, context);
    urls.push(url);
    const body = await get(url);
    items.push(...pickListItems(binding, body));
    const more = binding.callbackRequiredTemplate !== undefined && renderMustache(binding.callbackRequiredTemplate, body).trim() === "true";
    if (!more || urls.length >= MAX_PAGE_CALLS) return { items, urls };
    context = JSON.parse(renderMustache(binding.callbackContextTemplate ?? "{}", body)) as Record<string, unknown>;
  }
}

type PathStep =
  | { kind: "name"; name: string }
  | { kind: "wildcard" }
  | { kind: "index"; index: number }
  | { kind: "filter"; path: string; operator: "==" | "!="; literal: string | number | boolean };

function filterLiteral(text: string): string | number | boolean {
  if (/^'.*'$|^".*"$/.test(text)) return text.slice(1, -1);
  if (text === "true" || text === "false") return text === "true";
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  throw new Error(`JSONPath filter literal '${text}' is not a string, number or boolean.`);
}

export function parseJsonPath(expression: string): PathStep[] {
  if (!expression.startsWith("$")) throw new Error(`JSONPath '${expression}' must start with $.`);
  const steps: PathStep[] = [];
  const token = /\.([A-Za-z_$][\w$-]*)|\.\*|\[\*\]|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]|\[\?\(\s*@\.([\w.$-]+)\s*(==|!=)\s*('[^']*'|"[^"]*"|[\w.-]+)\s*\)\]/y;
  let position = 1;
  while (position < expression.length) {
    token.lastIndex = position;
    const m = token.exec(expression);
    if (!m) throw new Error(`JSONPath '${expression}': cannot read '${expression.slice(position)}' (supported: .name, ['name'], [*], .*, [n]).`);
    if (m[1] !== undefined) steps.push({ kind: "name", name: m[1] });
    else if (m[2] !== undefined) steps.push({ kind: "index", index: Number(m[2]) });
    else if (m[3] !== undefined || m[4] !== undefined) steps.push({ kind: "name", name: (m[3] ?? m[4]) as string });
    else if (m[5] !== undefined) steps.push({ kind: "filter", path: m[5], operator: m[6] as "==" | "!=", literal: filterLiteral(m[7]) });
    else steps.push({ kind: "wildcard" });
    position = token.lastIndex;
  }
  return steps;
}

export function selectJsonPath(document: unknown, expression: string): unknown[] {
  let nodes: unknown[] = [document];
  for (const step of parseJsonPath(expression)) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (typeof node !== "object" || node === null) continue;
      if (step.kind === "wildcard") next.push(...(Array.isArray(node) ? node : Object.values(node)));
      else if (step.kind === "filter") {
        const candidates = Array.isArray(node) ? node : Object.values(node);
        next.push(...candidates.filter((c) => (lookup(c, step.path) === step.literal) === (step.operator === "==")));
      } else if (step.kind === "index") {
        if (Array.isArray(node) && step.index < node.length) next.push(node[step.index]);
      } else if (!Array.isArray(node) && step.name in node) next.push((node as Record<string, unknown>)[step.name]);
    }
    nodes = next;
  }
  return nodes;
}

/** The pick list items from a response body, as the editor shows them. */
export function pickListItems(binding: DataSourceBinding, responseBody: unknown): PickListItem[] {
  const selector = binding.resultSelector ?? "none";
  let items: unknown[];
  if (selector.startsWith("jsonpath:")) items = selectJsonPath(responseBody, selector.slice("jsonpath:".length).trim());
  else if (selector === "none") items = Array.isArray(responseBody) ? responseBody : [responseBody];
  else throw new Error(`resultSelector '${selector}' is not supported by this test (jsonpath: and none are).`);
  return items.map((item) => {
    if (!binding.resultTemplate) {
      const value = text(item);
      return { Value: value, DisplayValue: value, source: item };
    }
    const rendered = renderMustache(binding.resultTemplate, item);
    let parsed: unknown;
    try {
      parsed = JSON.parse(rendered);
    } catch {
      return { Value: rendered, DisplayValue: rendered, source: item };
    }
    const record = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
    if (typeof record["Value"] !== "string") throw new Error(`resultTemplate rendered JSON without a string "Value": ${rendered}`);
    return { Value: record["Value"], DisplayValue: typeof record["DisplayValue"] === "string" ? record["DisplayValue"] : record["Value"], source: item };
  });
}

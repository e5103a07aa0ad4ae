/** Naming rules of the Azure resources the tasks name (checked before any remote call). */

export interface AzureNameRule {
  /** "resource group", "Azure ML asset"... for the message. */
  kind: string;
  pattern: RegExp;
  minLength: number;
  maxLength: number;
  /** The rule in words, for the message. */
  description: string;
}

export const NAME_RULES = {
  resourceGroup: {
    kind: "resource group",
    pattern: /^[-\w.()]*[-\w()]$/u,
    minLength: 1,
    maxLength: 90,
    description: "letters, digits, underscores, hyphens, periods and parentheses, not ending with a period",
  },
  dataFactory: {
    kind: "data factory",
    pattern: /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/,
    minLength: 3,
    maxLength: 63,
    description: "letters, digits and single hyphens, starting and ending with a letter or digit",
  },
  adfPipeline: {
    kind: "Data Factory pipeline",
    pattern: /^[A-Za-z0-9_][^.+?/<>*%&:\\]*$/,
    minLength: 1,
    maxLength: 260,
    description: "starting with a letter, digit or underscore, without . + ? / < > * % & : \\",
  },
  workspace: {
    kind: "Azure ML workspace",
    pattern: /^[A-Za-z0-9][\w-]*$/,
    minLength: 3,
    maxLength: 33,
    description: "letters, digits, underscores and hyphens, starting with a letter or digit",
  },
  asset: {
    kind: "Azure ML asset",
    pattern: /^[A-Za-z0-9_][\w.-]*$/,
    minLength: 1,
    maxLength: 255,
    description: "letters, digits, underscores, hyphens and periods, starting with a letter, digit or underscore",
  },
  job: {
    kind: "Azure ML job",
    pattern: /^[A-Za-z0-9_][\w-]*$/,
    minLength: 1,
    maxLength: 255,
    description: "letters, digits, underscores and hyphens, starting with a letter, digit or underscore",
  },
  compute: {
    kind: "Azure ML compute",
    pattern: /^[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/,
    minLength: 2,
    maxLength: 16,
    description: "letters, digits and hyphens, starting with a letter, not ending with a hyphen",
  },
  onlineEndpoint: {
    kind: "online endpoint",
    pattern: /^[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/,
    minLength: 3,
    maxLength: 32,
    description: "letters, digits and hyphens, starting with a letter, not ending with a hyphen",
  },
  onlineDeployment: {
    kind: "online deployment",
    pattern: /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/,
    minLength: 3,
    maxLength: 32,
    description: "letters, digits and hyphens, starting with a letter or digit, not ending with a hyphen",
  },
  aksCluster: {
    kind: "AKS cluster",
    pattern: /^[A-Za-z0-9][\w-]*[A-Za-z0-9]$|^[A-Za-z0-9]$/,
    minLength: 1,
    maxLength: 63,
    description: "letters, digits, underscores and hyphens, starting and ending with a letter or digit",
  },
} satisfies Record<string, AzureNameRule>;

/** Undefined when `name` follows `rule`, else what is wrong with it. */
export function checkAzureName(name: string, rule: AzureNameRule): string | undefined {
  if (name.length < rule.minLength || name.length > rule.maxLength) {
    return `${rule.minLength}-${rule.maxLength} characters`;
  }
  return rule.pattern.test(name) ? undefined : rule.description;
}

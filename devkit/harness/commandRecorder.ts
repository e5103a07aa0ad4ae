/**
 * What the agent keeps from a task's logging commands: result, variables, secrets, issues and
 * summaries. Fed one parsed command at a time, in output order.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { commandProperty, type LoggingCommand } from "./loggingCommands";

export type TaskResultName = "Succeeded" | "SucceededWithIssues" | "Failed" | "Cancelled" | "Skipped";

export interface RecordedVariable {
  value: string;
  isSecret: boolean;
  isOutput: boolean;
}

export interface RecordedIssue {
  type: "error" | "warning";
  message: string;
}

export interface RecordedSummary {
  /** The path as the task wrote it. */
  path: string;
  /** The file's content, read when the command arrived ("" when it could not be read). */
  content: string;
  /** Why the file could not be read, when it could not. */
  readError?: string;
}

const RESULT_NAMES: Record<string, TaskResultName> = {
  succeeded: "Succeeded",
  succeededwithissues: "SucceededWithIssues",
  failed: "Failed",
  cancelled: "Cancelled",
  canceled: "Cancelled",
  skipped: "Skipped",
};

/** The agent's TaskResult order: a later, worse result wins; Failed and Cancelled stay. */
const RESULT_RANK: Record<TaskResultName, number> = {
  Succeeded: 0,
  SucceededWithIssues: 1,
  Failed: 2,
  Cancelled: 3,
  Skipped: 4,
};

/**
 * Merges a step's current result with a new one as the agent's TaskResultUtil.MergeTaskResults
 * does: Failed or Cancelled is final; otherwise the higher-ranked (worse) result wins.
 */
export function mergeTaskResults(current: TaskResultName | undefined, coming: TaskResultName): TaskResultName {
  if (current === undefined) {
    return coming;
  }
  if (current === "Failed" || current === "Cancelled") {
    return current;
  }
  return RESULT_RANK[coming] > RESULT_RANK[current] ? coming : current;
}

function isTrue(value: string | undefined): boolean {
  return (value ?? "").trim().toLowerCase() === "true";
}

export class CommandRecorder {
  readonly commands: LoggingCommand[] = [];
  readonly variables: Record<string, RecordedVariable> = {};
  readonly secrets: string[] = [];
  readonly issues: RecordedIssue[] = [];
  readonly summaries: RecordedSummary[] = [];
  /** The result of the last `task.complete` (the agent sets the step's command result from it). */
  reportedResult?: TaskResultName;
  resultMessage?: string;

  /** @param cwd the task's working directory, to resolve relative summary paths. */
  constructor(private readonly cwd: string) {}

  record(command: LoggingCommand): void {
    this.commands.push(command);
    if (command.area !== "task") {
      return;
    }
    switch (command.action) {
      case "complete":
        this.recordComplete(command);
        break;
      case "setvariable":
        this.recordVariable(command);
        break;
      case "setsecret":
        if (command.message) {
          this.secrets.push(command.message);
        }
        break;
      case "issue":
      case "logissue":
        this.recordIssue(command);
        break;
      case "uploadsummary":
        this.recordSummary(command.message);
        break;
      case "addattachment":
        if ((commandProperty(command, "type") ?? "").toLowerCase() === "distributedtask.core.summary") {
          this.recordSummary(command.message);
        }
        break;
      default:
        break;
    }
  }

  private recordComplete(command: LoggingCommand): void {
    const name = RESULT_NAMES[(commandProperty(command, "result") ?? "").trim().toLowerCase()];
    if (name === undefined) {
      return; // the agent rejects an unknown result and keeps the previous one
    }
    this.reportedResult = name;
    this.resultMessage = command.message || undefined;
  }

  private recordVariable(command: LoggingCommand): void {
    const name = commandProperty(command, "variable");
    if (!name) {
      return;
    }
    const previous = this.variables[name];
    const isSecret = isTrue(commandProperty(command, "issecret")) || previous?.isSecret === true;
    this.variables[name] = {
      value: command.message,
      isSecret,
      isOutput: isTrue(commandProperty(command, "isoutput")),
    };
  }

  private recordIssue(command: LoggingCommand): void {
    const type = (commandProperty(command, "type") ?? "").toLowerCase();
    if (type === "error" || type === "warning") {
      this.issues.push({ type, message: command.message });
    }
  }

  private recordSummary(summaryPath: string): void {
    const resolved = path.resolve(this.cwd, summaryPath);
    try {
      this.summaries.push({ path: summaryPath, content: fs.readFileSync(resolved, "utf8") });
    } catch (err) {
      this.summaries.push({ path: summaryPath, content: "", readError: (err as Error).message });
    }
  }
}

/**
 * A message lookup: a task.json `messages` key and its parameters give the user-facing text. Entries pass
 * task-lib's loc; unit tests pass `taskLoc` (taskLibContext.testing.ts). Modules of `tasks/common`
 * and of a task's operation take it as a parameter (or from the context, operation.ts) and never call task-lib.
 */
export type Loc = (key: string, ...params: unknown[]) => string;

/**
 * A message lookup: a task.json `messages` key and its parameters give the user-facing text. Entries pass
 * task-lib's `tl.loc`; unit tests pass a lookup over the task's own task.json. Modules of `tasks/common`
 * and of a task's operation take it as a parameter and never call `tl.loc` themselves.
 */
export type Loc = (key: string, ...params: unknown[]) => string;

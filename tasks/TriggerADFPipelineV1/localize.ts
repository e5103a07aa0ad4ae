/**
 * How operation modules word user-facing messages without calling task-lib: the entry passes
 * `tl.loc`; unit tests pass a formatter over this task's task.json `messages`.
 */
export type Localize = (key: string, ...args: unknown[]) => string;

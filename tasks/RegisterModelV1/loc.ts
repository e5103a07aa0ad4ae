/**
 * Localized messages: the entry passes task-lib's `tl.loc`; operations take it as a function so
 * they stay free of task-lib (tests pass one that formats task.json's messages).
 */
export type Loc = (key: string, ...params: unknown[]) => string;

/** One problem with one setting: which variable, and what was expected (never the value). */
export interface ConfigIssue {
  readonly variable: string;
  readonly problem: string;
}

/** Every configuration problem found at start-up, listed together so one restart fixes them all. */
export class ConfigError extends Error {
  override name = 'ConfigError' as const;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i.variable}: ${i.problem}`).join('\n')}`);
    this.issues = issues;
  }
}

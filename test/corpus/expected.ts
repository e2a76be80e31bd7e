/** What one corpus case expects from one command (`expected.json` in each case directory). */
export interface Expectation {
  /** Exit status; a list when more than one documented status is acceptable. */
  exitCode: number | number[];
  /** Stable error code printed as "[E_…]" (one of these, when a list). */
  errorCode?: string | string[];
  /** Text the error output must contain. */
  messageIncludes?: string;
  /** Dead-letter lines the import must write (each must be present, and nothing else). */
  rejects?: { line: number; model?: string; reasonIncludes: string }[];
  /** The target database's tables hold exactly what they held before the command. */
  databaseUnchanged: boolean;
}

export interface CorpusCase {
  name: string;
  description: string;
  verify: Expectation;
  import: Expectation;
}

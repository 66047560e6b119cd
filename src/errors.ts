/**
 * Error classes with a stable `code`, structured `data` and an optional `cause`.
 * Expected errors (bad config, usage, missing file) are NucmeshError: the CLI prints
 * their message without a stack trace. Anything else is a bug and keeps its stack.
 */
export type ErrorData = Record<string, unknown>;

export class NucmeshError extends Error {
  readonly code: string;
  readonly data: ErrorData;
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;

  constructor(code: string, message: string, options: { data?: ErrorData; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.data = options.data ?? {};
    this.exitCode = options.exitCode ?? 1;
  }

  toJSON(): { code: string; message: string; data: ErrorData } {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/** The command line was wrong: exit code 2. */
export class UsageError extends NucmeshError {
  constructor(message: string, data: ErrorData = {}) {
    super('E_USAGE', message, { data, exitCode: 2 });
  }
}

/** One problem found while validating a document: where it is and what was expected. */
export interface ValidationIssue {
  /** JSON-pointer-like path of the bad field, e.g. `/api/port`; `/` for the document itself. */
  path: string;
  message: string;
}

/** A config or input document failed validation; every issue names its field. */
export class ValidationError extends NucmeshError {
  readonly issues: ValidationIssue[];
  constructor(what: string, issues: ValidationIssue[], cause?: unknown) {
    const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
    super('E_INVALID', `${what} is invalid:\n${lines}`, { data: { what, issues }, cause });
    this.issues = issues;
  }
}

export function isNucmeshError(e: unknown): e is NucmeshError {
  return e instanceof NucmeshError;
}

/** The message of anything thrown, for logs. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

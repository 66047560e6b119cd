/**
 * The error catalogue and the error classes. Every error code nucmesh uses (in errors it throws,
 * in API answers) is listed once in ERROR_CATALOGUE with a sentence saying what it means;
 * NucmeshError's `code` is typed by it.
 * Expected errors (bad config, usage, missing file) are NucmeshError, with a stable `code`,
 * structured `data` and an optional `cause`: the CLI prints their message without a stack trace.
 * Anything else is a bug and keeps its stack.
 */
export const ERROR_CATALOGUE = {
  E_USAGE: 'The command line is wrong: an unknown command or option, or a missing or bad argument (exit code 2).',
  E_INVALID: 'A document or request failed validation; the message names every bad field.',
  E_BAD_REQUEST: 'An API request could not be read: not JSON, too large, or of a content type the route does not take.',
  E_NOT_FOUND: 'No API route answers this method and path.',
  E_FLEET_READ: 'The fleet config file cannot be read (missing, or not readable).',
  E_FLEET_WRITE: 'A new fleet config cannot be written (the file exists already, or its directory is not writable).',
  E_STATE_READ: 'A state file in the data dir cannot be read.',
  E_STATE_CORRUPT: 'A state file in the data dir is not what nucmesh writes; it is never reset silently.',
  E_IDENTITY_CORRUPT: 'The persisted node identity is not a nucmesh identity.',
  E_CAPTURE_DIR: 'A hardware capture directory cannot be read or written.',
  E_STEP_FAILED: 'A boot step failed; the agent runs it again.',
  E_STEP_ORDER: 'A boot step needs a field no earlier step provides: the boot sequence is wrong (a bug).',
  E_API_LISTEN: 'The API cannot listen on its address and port (taken, or not an address of this host).',
  E_STOPPED: 'The agent was stopped before the operation finished.',
  E_STOPPING: 'The node is shutting down: its peers are to treat it as gone.',
  E_NOT_READY:
    'Discovery is not running yet (no fleet config, or still starting), or the node is no cluster server yet: ' +
    'the peer or join routes cannot answer.',
  E_BAD_NOTICE: 'A down notice was refused: its MAC does not verify with the fleet key, or it names another fleet.',
  E_JOIN_REFUSED:
    'A join request was refused: wrong fleet key, unknown fleet, an unknown, reused or expired challenge or a ' +
    'bad proof (one code for all, so the answer does not say which check failed).',
  E_JOIN_UNAVAILABLE:
    'The server cannot take joiners now: its k3s tokens are not readable or not in the full K10 form ' +
    '(with the CA hash), or its join ledger cannot be written.',
  E_JOIN_FAILED: 'Joining through a server peer failed; the reason (refused, wait, bad server proof, …) is in data.',
  E_CLUSTER_GONE:
    'The cluster this node set out to join vanished before it was up (its seed died): the node decides again.',
  E_K3S_MISSING:
    'This image has no k3s executable (built --without-k3s): discovery and the API run, the node cannot join a cluster.',
  E_K3S_CONFIG:
    'The k3s options cannot be turned into a k3s config drop-in (a fleet k3s flag that is not --key[=value], or one nucmesh sets itself), or the drop-in cannot be written.',
  E_K3S_TOKEN:
    'A k3s join token is not in the full K10<CA hash>::<user>:<password> form, or the token files in the k3s data dir cannot be read.',
  E_KUBE_API: "The cluster's Kubernetes API did not answer, or refused a request (the status and path are in data).",
  E_LEAVE_REFUSED:
    'The node cannot leave its cluster now: the last server, a server whose leaving breaks etcd quorum, ' +
    'or a drain a PodDisruptionBudget held past its time (the message says which).',
  E_K3S_LABELS: "The node's labels cannot be read or set through the Kubernetes API (k3s not up, or no rights).",
  E_K3S_START:
    'The k3s service could not be started or stopped (systemctl failed, or the executable could not be run).',
  E_K3S_NOT_READY:
    'The k3s service did not become ready (API server /readyz and the Node Ready condition) before the wait was stopped.',
  E_TLS_REQUIRED: 'The API port speaks HTTPS: plain HTTP is taken only from the loopback address.',
  E_NODE_CERT:
    "The node's API certificate cannot be made or written (data dir not writable, or a fleet CA key that is not ECDSA P-256).",
  E_UNAUTHORIZED:
    "An API request came without a bearer token, or with one that is not the fleet config's reader or admin token.",
  E_FORBIDDEN: 'An API request with the reader token asked for a route that needs the admin token.',
  E_RATE_LIMITED:
    'Too many requests or failed attempts (API tokens, join proofs) from one address: it is refused for a while.',
  E_UNAVAILABLE:
    'What the API route answers with is not there yet (the cluster is not up, or the part is not running).',
  E_INSTALL_SOURCE:
    'The installer cannot use the disk it booted from as the source (not a nucmesh disk, or unreadable).',
  E_INSTALL_TARGET:
    'The disk to install onto cannot be used (too small, not attached, not eligible, or not blank under wipe: blank-only).',
  E_INSTALL_TOOL: 'A program the installer runs (sfdisk, tune2fs, mtools, efibootmgr, lsblk, wipefs) failed.',
  E_INSTALL_VERIFY:
    'What the installer read back from the target disk differs from what it wrote: the disk is not made bootable.',
  E_INTERNAL: 'An unexpected error inside nucmesh (a bug); the API answers it without any detail.',
} as const satisfies Record<`E_${string}`, string>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every error code, in catalogue order. */
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

export type ErrorData = Record<string, unknown>;

export interface NucmeshErrorOptions {
  data?: ErrorData;
  cause?: unknown;
  /** Process exit code the CLI uses (default 1). */
  exitCode?: number;
}

export class NucmeshError extends Error {
  readonly code: ErrorCode;
  readonly data: ErrorData;
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: NucmeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.data = options.data ?? {};
    this.exitCode = options.exitCode ?? 1;
  }

  toJSON(): { code: ErrorCode; message: string; data: ErrorData } {
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

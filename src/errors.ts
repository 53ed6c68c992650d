// One error class per family. A user-facing error carries a message that says what was wrong, where, and how to
// fix it; the CLI prints `error.message` on one line and exits with `exitCode`.

export class MeetaraError extends Error {
  /** Process exit code the CLI uses for this error: 1 bad input or failed check, 2 usage error. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A GGUF file is malformed or uses something we do not support. */
export class GgufFormatError extends MeetaraError {}

/** A command was called the wrong way (unknown option value, missing argument). */
export class UsageError extends MeetaraError {
  override readonly exitCode = 2;
}

/** Bad input that is not a GGUF file: a path, a JSONL line, an option value. */
export class InputError extends MeetaraError {}

/** A transfer or deployment package fails verification: bad manifest, unsafe path, missing, truncated or tampered file. */
export class PackageIntegrityError extends MeetaraError {}

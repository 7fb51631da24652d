import { ERROR_TABLE, type ErrorKey, type ErrorSpec } from "./error-table.js";

/** A field and what is wrong with it, sent as google.rpc.BadRequest. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * An expected failure of a use case (insufficient balance, unknown order...). Its key
 * names a row of the error table; rpc layers translate it, nobody invents codes.
 */
export class DomainError extends Error {
  readonly spec: ErrorSpec;

  constructor(
    readonly key: ErrorKey,
    message?: string,
    readonly violations: readonly FieldViolation[] = [],
    readonly metadata: Readonly<Record<string, string>> = {},
  ) {
    super(message ?? ERROR_TABLE[key].msg);
    this.name = "DomainError";
    this.spec = ERROR_TABLE[key];
  }
}

export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}

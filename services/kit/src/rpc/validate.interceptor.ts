import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator, type Validator } from "@bufbuild/protovalidate";
import type { Interceptor } from "@connectrpc/connect";
import { DomainError } from "../errors/domain-error.js";
import { toConnectError } from "../errors/connect-errors.js";

/**
 * Checks a message against the protovalidate rules in its schema: undefined when it is valid,
 * otherwise a MANDATORY_PARAM_EMPTY_OR_MALFORMED DomainError naming each bad field. Also for
 * the parts of a request checked one by one (a batch whose items fail alone).
 */
export function validationError<Desc extends DescMessage>(validator: Validator, schema: Desc, message: MessageShape<Desc>, what = "request"): DomainError | undefined {
  const result = validator.validate(schema, message);
  if (result.kind === "error") throw result.error;
  if (result.kind !== "invalid") return undefined;
  const violations = result.violations.map((violation) => ({
    field: pathToString(violation.field) || `(${what})`,
    description: violation.message,
  }));
  const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", `invalid ${what}: ${summary}`, violations);
}

/**
 * Server interceptor: checks each request message against the protovalidate rules in its
 * schema. A bad request fails with InvalidArgument, ErrorInfo reason -1102 and a
 * google.rpc.BadRequest naming each field, before any handler (and so any state) runs.
 */
export function validateInterceptor(validator: Validator = createValidator()): Interceptor {
  return (next) => async (request) => {
    if (!request.stream) {
      const error = validationError(validator, request.method.input, request.message);
      if (error) throw toConnectError(error);
    }
    return next(request);
  };
}

import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator, type Validator } from "@bufbuild/protovalidate";
import type { Interceptor } from "@connectrpc/connect";
import { DomainError } from "../errors/domain-error.js";
import { toConnectError } from "../errors/connect-errors.js";

/**
 * Server interceptor: checks each request message against the protovalidate rules in its
 * schema. A bad request fails with InvalidArgument, ErrorInfo reason -1102 and a
 * google.rpc.BadRequest naming each field, before any handler (and so any state) runs.
 */
export function validateInterceptor(validator: Validator = createValidator()): Interceptor {
  return (next) => async (request) => {
    if (!request.stream) {
      const result = validator.validate(request.method.input, request.message);
      if (result.kind === "invalid") {
        const violations = result.violations.map((violation) => ({
          field: pathToString(violation.field) || "(request)",
          description: violation.message,
        }));
        const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
        throw toConnectError(new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", `invalid request: ${summary}`, violations));
      }
      if (result.kind === "error") throw result.error;
    }
    return next(request);
  };
}

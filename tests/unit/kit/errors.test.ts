import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { ERROR_TABLE } from "#kit/errors/error-table.js";
import { toConnectError, toRestError } from "#kit/errors/connect-errors.js";

describe("error table", () => {
  it("maps a domain error to gRPC status, ErrorInfo(reason = Binance code) and HTTP + {code,msg}", () => {
    const error = new DomainError("INSUFFICIENT_BALANCE");
    const connectError = toConnectError(error);
    expect(connectError.code).toBe(Code.FailedPrecondition);
    const [info] = connectError.findDetails(ErrorInfoSchema);
    expect(info.reason).toBe("-2010");
    expect(info.domain).toBe("exchange");
    expect(toRestError(connectError)).toEqual({ status: 400, body: { code: -2010, msg: "Account has insufficient balance for requested action." } });
  });

  it("carries field violations as google.rpc.BadRequest", () => {
    const connectError = toConnectError(new DomainError("BAD_SYMBOL", "Invalid symbol.", [{ field: "symbol", description: "unknown" }]));
    const [badRequest] = connectError.findDetails(BadRequestSchema);
    expect(badRequest.fieldViolations).toEqual([expect.objectContaining({ field: "symbol", description: "unknown" })]);
  });

  it("gives every row a consistent HTTP status for its gRPC code class", () => {
    for (const [key, spec] of Object.entries(ERROR_TABLE)) {
      expect(spec.http, key).toBeGreaterThanOrEqual(400);
      expect(spec.binance, key).toBeLessThan(0);
    }
  });

  it("maps a plain InvalidArgument (e.g. from another validator) to -1102", () => {
    expect(toRestError(new ConnectError("bad", Code.InvalidArgument))).toEqual({ status: 400, body: { code: -1102, msg: "bad" } });
  });
});

import { Code } from "@connectrpc/connect";

// One table maps every domain error to a gRPC status, an HTTP status and Binance's
// {code, msg}. The edge only translates with it; it never invents an error of its own.

export interface ErrorSpec {
  /** gRPC / Connect status code. */
  readonly grpc: Code;
  /** HTTP status for the REST API. */
  readonly http: number;
  /** Binance error code, also sent as google.rpc.ErrorInfo.reason. */
  readonly binance: number;
  /** Default message, Binance's wording where it has one. */
  readonly msg: string;
}

export const ERROR_TABLE = {
  UNKNOWN: { grpc: Code.Internal, http: 500, binance: -1000, msg: "An unknown error occurred while processing the request." },
  DISCONNECTED: { grpc: Code.Unavailable, http: 503, binance: -1001, msg: "Internal error; unable to process your request. Please try again." },
  UNAUTHORIZED: { grpc: Code.Unauthenticated, http: 401, binance: -1002, msg: "You are not authorized to execute this request." },
  TOO_MANY_REQUESTS: { grpc: Code.ResourceExhausted, http: 429, binance: -1003, msg: "Too many requests." },
  IP_BANNED: { grpc: Code.ResourceExhausted, http: 418, binance: -1003, msg: "Way too many requests; IP banned. Please use WebSocket Streams for live updates to avoid bans." },
  TOO_MANY_ORDERS: { grpc: Code.ResourceExhausted, http: 429, binance: -1015, msg: "Too many new orders." },
  TIMEOUT: { grpc: Code.DeadlineExceeded, http: 503, binance: -1007, msg: "Timeout waiting for response from backend server. Send status unknown; execution status unknown." },
  INVALID_TIMESTAMP: { grpc: Code.InvalidArgument, http: 400, binance: -1021, msg: "Timestamp for this request is outside of the recvWindow." },
  INVALID_SIGNATURE: { grpc: Code.Unauthenticated, http: 401, binance: -1022, msg: "Signature for this request is not valid." },
  ILLEGAL_CHARS: { grpc: Code.InvalidArgument, http: 400, binance: -1100, msg: "Illegal characters found in a parameter." },
  MANDATORY_PARAM_EMPTY_OR_MALFORMED: { grpc: Code.InvalidArgument, http: 400, binance: -1102, msg: "A mandatory parameter was not sent, was empty/null, or malformed." },
  BAD_PRECISION: { grpc: Code.InvalidArgument, http: 400, binance: -1111, msg: "Precision is over the maximum defined for this asset." },
  INVALID_PARAMETER: { grpc: Code.InvalidArgument, http: 400, binance: -1130, msg: "Invalid data sent for a parameter." },
  INVALID_TIF: { grpc: Code.InvalidArgument, http: 400, binance: -1115, msg: "Invalid timeInForce." },
  INVALID_ORDER_TYPE: { grpc: Code.InvalidArgument, http: 400, binance: -1116, msg: "Invalid orderType." },
  INVALID_SIDE: { grpc: Code.InvalidArgument, http: 400, binance: -1117, msg: "Invalid side." },
  BAD_INTERVAL: { grpc: Code.InvalidArgument, http: 400, binance: -1120, msg: "Invalid interval." },
  BAD_SYMBOL: { grpc: Code.InvalidArgument, http: 400, binance: -1121, msg: "Invalid symbol." },
  MORE_THAN_XX_HOURS: { grpc: Code.InvalidArgument, http: 400, binance: -1127, msg: "More than 24 hours between startTime and endTime." },
  OPTIONAL_PARAMS_BAD_COMBO: { grpc: Code.InvalidArgument, http: 400, binance: -1128, msg: "Combination of optional parameters invalid." },
  OCO_ORDER_TYPE_REJECTED: { grpc: Code.InvalidArgument, http: 400, binance: -1158, msg: "Order type not supported in OCO." },
  BUY_OCO_LIMIT_MUST_BE_BELOW: { grpc: Code.InvalidArgument, http: 400, binance: -1165, msg: "A limit order in a buy OCO must be below." },
  SELL_OCO_LIMIT_MUST_BE_ABOVE: { grpc: Code.InvalidArgument, http: 400, binance: -1166, msg: "A limit order in a sell OCO must be above." },
  BOTH_OCO_ORDERS_CANNOT_BE_LIMIT: { grpc: Code.InvalidArgument, http: 400, binance: -1168, msg: "At least one OCO order must be contingent." },
  BUY_OCO_STOP_LOSS_MUST_BE_ABOVE: { grpc: Code.InvalidArgument, http: 400, binance: -1196, msg: "A stop loss order in a buy OCO must be above." },
  SELL_OCO_STOP_LOSS_MUST_BE_BELOW: { grpc: Code.InvalidArgument, http: 400, binance: -1197, msg: "A stop loss order in a sell OCO must be below." },
  BUY_OCO_TAKE_PROFIT_MUST_BE_BELOW: { grpc: Code.InvalidArgument, http: 400, binance: -1198, msg: "A take profit order in a buy OCO must be below." },
  SELL_OCO_TAKE_PROFIT_MUST_BE_ABOVE: { grpc: Code.InvalidArgument, http: 400, binance: -1199, msg: "A take profit order in a sell OCO must be above." },
  FILTER_FAILURE: { grpc: Code.InvalidArgument, http: 400, binance: -1013, msg: "Filter failure." },
  INVALID_LISTEN_KEY: { grpc: Code.NotFound, http: 400, binance: -1125, msg: "This listenKey does not exist." },
  NEW_ORDER_REJECTED: { grpc: Code.FailedPrecondition, http: 400, binance: -2010, msg: "New order rejected." },
  INSUFFICIENT_BALANCE: { grpc: Code.FailedPrecondition, http: 400, binance: -2010, msg: "Account has insufficient balance for requested action." },
  CANCEL_REJECTED: { grpc: Code.FailedPrecondition, http: 400, binance: -2011, msg: "Cancel rejected." },
  NO_SUCH_ORDER: { grpc: Code.NotFound, http: 400, binance: -2013, msg: "Order does not exist." },
  BAD_API_KEY_FORMAT: { grpc: Code.Unauthenticated, http: 401, binance: -2014, msg: "API-key format invalid." },
  REJECTED_MBX_KEY: { grpc: Code.PermissionDenied, http: 401, binance: -2015, msg: "Invalid API-key, IP, or permissions for action." },
  FORBIDDEN: { grpc: Code.PermissionDenied, http: 403, binance: -2015, msg: "Not allowed to act on this account." },
  INVALID_STATE: { grpc: Code.FailedPrecondition, http: 400, binance: -1000, msg: "The resource is not in a state that allows this action." },
  NOT_FOUND: { grpc: Code.NotFound, http: 404, binance: -1000, msg: "Not found." },
  ALREADY_EXISTS: { grpc: Code.AlreadyExists, http: 409, binance: -1000, msg: "Already exists." },
  DUPLICATE_REQUEST: { grpc: Code.AlreadyExists, http: 409, binance: -2026, msg: "Duplicate request with different content." },
  MFA_REQUIRED: { grpc: Code.PermissionDenied, http: 403, binance: -1002, msg: "Two-factor authentication code required." },
  ACCOUNT_LOCKED: { grpc: Code.ResourceExhausted, http: 429, binance: -1002, msg: "Too many failed attempts; try again later." },
  WITHDRAWALS_LOCKED: { grpc: Code.FailedPrecondition, http: 400, binance: -4000, msg: "Withdrawals are locked for 24 hours after a security change." },
  ACCOUNT_FROZEN: { grpc: Code.FailedPrecondition, http: 400, binance: -2010, msg: "This action is disabled on this account." },
  SYMBOL_NOT_TRADING: { grpc: Code.FailedPrecondition, http: 400, binance: -1013, msg: "Symbol is not trading." },
  UNIMPLEMENTED: { grpc: Code.Unimplemented, http: 501, binance: -1000, msg: "Not implemented." },
  UNSUPPORTED_OPERATION: { grpc: Code.FailedPrecondition, http: 400, binance: -1020, msg: "This operation is not supported." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorKey = keyof typeof ERROR_TABLE;

/** The gRPC code -> HTTP status mapping used when an error did not come from the table. */
export function httpStatusForCode(code: Code): number {
  switch (code) {
    case Code.InvalidArgument:
    case Code.FailedPrecondition:
    case Code.OutOfRange:
      return 400;
    case Code.Unauthenticated:
      return 401;
    case Code.PermissionDenied:
      return 403;
    case Code.NotFound:
      return 404;
    case Code.AlreadyExists:
    case Code.Aborted:
      return 409;
    case Code.ResourceExhausted:
      return 429;
    case Code.Unimplemented:
      return 501;
    case Code.Unavailable:
    case Code.DeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

// @exchange/sdk: typed clients for the public Connect API and the REST signing helpers. The generated messages and
// service descriptors are re-exported per service (src/gen/ is generated: never edit it).
export { ExchangeClient, bearerToken, type ExchangeClientOptions } from "./client.js";
export { ed25519Signer, generateEd25519Key, hmacSha256Signer, signQuery, signedRequest, type RequestSigner, type SignOptions, type SigningKey } from "./signing.js";
export * as auth from "./gen/exchange/auth/v1/auth_pb.js";
export * as common from "./gen/exchange/common/v1/common_pb.js";
export * as marketdata from "./gen/exchange/marketdata/v1/marketdata_pb.js";
export * as order from "./gen/exchange/order/v1/order_pb.js";
export * as wallet from "./gen/exchange/wallet/v1/wallet_pb.js";
export { ApiKeyType, Permission } from "./gen/exchange/auth/v1/auth_pb.js";
export { OrderStatus, OrderType, Side, TimeInForce } from "./gen/exchange/common/v1/common_pb.js";
export { Code, ConnectError } from "@connectrpc/connect";

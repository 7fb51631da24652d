import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { Permission, PrincipalSchema } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { assertWithdrawalsUnlocked, bearerTokenOf } from "../../../edge/src/connect/caller.js";
import { corsHeaders } from "../../../edge/src/connect/public-api.js";
import { PUBLIC_METHODS, permissionFor } from "../../../edge/src/connect/public-methods.js";
import { ownAccount } from "../../../edge/src/connect/public.routes.js";

describe("the public Connect API's pure parts", () => {
  const alice = create(PrincipalSchema, { userId: "alice" });

  it("fills in or keeps the caller's own account and refuses any other", () => {
    expect(ownAccount(alice, "", "account_id")).toBe("alice");
    expect(ownAccount(alice, "alice", "account_id")).toBe("alice");
    let error: unknown;
    try {
      ownAccount(alice, "bob", "cancel.account_id");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).spec.grpc).toBe(Code.PermissionDenied);
    expect((error as DomainError).violations).toEqual([{ field: "cancel.account_id", description: expect.any(String) }]);
    expect((error as DomainError).metadata).toEqual({ userId: "bob" });
  });

  it("refuses withdrawals until the principal's lock has run out", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(() => assertWithdrawalsUnlocked(alice, now)).not.toThrow(); // 0: never locked
    expect(() => assertWithdrawalsUnlocked(create(PrincipalSchema, { userId: "alice", withdrawalLockedUntil: BigInt(now) }), now)).not.toThrow();
    let error: unknown;
    try {
      assertWithdrawalsUnlocked(create(PrincipalSchema, { userId: "alice", withdrawalLockedUntil: BigInt(now + 1000) }), now);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).key).toBe("WITHDRAWALS_LOCKED");
    expect((error as DomainError).spec.grpc).toBe(Code.FailedPrecondition);
    expect((error as DomainError).message).toContain("2026-01-01T00:00:01.000Z");
    expect((error as DomainError).metadata).toEqual({ lockedUntil: String(now + 1000) });
  });

  it("reads a bearer token only from a well-formed authorization header", () => {
    expect(bearerTokenOf(new Headers({ authorization: "Bearer abc.def" }))).toBe("abc.def");
    expect(bearerTokenOf(new Headers({ authorization: "bearer abc" }))).toBe("abc");
    expect(bearerTokenOf(new Headers({ authorization: "Basic abc" }))).toBeUndefined();
    expect(bearerTokenOf(new Headers({ authorization: "Bearer a b" }))).toBeUndefined();
    expect(bearerTokenOf(new Headers())).toBeUndefined();
  });

  it("sends CORS headers to allowed origins only", () => {
    const allowed = ["https://app.example.com"];
    expect(corsHeaders(undefined, allowed, true)).toEqual({});
    expect(corsHeaders("https://evil.example.com", allowed, true)).toEqual({});
    expect(corsHeaders("https://app.example.com", [], true)).toEqual({});
    const preflight = corsHeaders("https://app.example.com", allowed, true);
    expect(preflight).toMatchObject({ "Access-Control-Allow-Origin": "https://app.example.com", Vary: "Origin" });
    expect(preflight["Access-Control-Allow-Headers"]).toMatch(/Authorization/);
    expect(preflight["Access-Control-Allow-Headers"]).toMatch(/X-Grpc-Web/i);
    expect(preflight).not.toHaveProperty("Access-Control-Allow-Credentials");
    expect(corsHeaders("https://app.example.com", allowed, false)["Access-Control-Expose-Headers"]).toMatch(/Grpc-Status.*X-MBX-USED-WEIGHT-1M/i);
  });

  it("allow-lists user RPCs and no operator or internal one", () => {
    const orderOperators = ["ArchiveTradesDay", "VerifyTradesArchive"];
    for (const method of OrderService.methods) expect(PUBLIC_METHODS.has(`${OrderService.typeName}/${method.name}`), method.name).toBe(!orderOperators.includes(method.name));
    const wallet = [...PUBLIC_METHODS.keys()].filter((key) => key.startsWith(WalletService.typeName)).map((key) => key.split("/")[1]);
    expect(wallet.sort()).toEqual(["GetBalances", "GetDepositAddress", "GetFeeRates", "GetWithdrawalAllowList", "ListAssets", "ListDeposits", "ListLedgerEntries", "ListWithdrawals", "RequestAccountStatement", "RequestWithdrawal", "SetWithdrawalAllowList", "StreamBalanceUpdates"]);
    // Moving funds out needs the withdraw permission and waits out the lock; reading does not.
    for (const name of ["RequestWithdrawal", "SetWithdrawalAllowList"]) expect(PUBLIC_METHODS.get(`${WalletService.typeName}/${name}`)).toMatchObject({ access: "withdraw", withdrawalLock: true });
    expect(permissionFor("withdraw")).toBe(Permission.WITHDRAW);
    expect(PUBLIC_METHODS.get(`${WalletService.typeName}/GetWithdrawalAllowList`)).toMatchObject({ access: "read" });
    expect(PUBLIC_METHODS.get(`${WalletService.typeName}/GetWithdrawalAllowList`)?.withdrawalLock).toBeUndefined();
    for (const internal of ["exchange.auth.v1.AuthService/Authenticate", "exchange.auth.v1.AuthService/VerifyMfa", "exchange.auth.v1.AuthService/GetAccountSecurity"]) {
      expect(PUBLIC_METHODS.has(internal)).toBe(false);
    }
    expect([...PUBLIC_METHODS.keys()].some((key) => key.startsWith("exchange.matching."))).toBe(false);
  });
});

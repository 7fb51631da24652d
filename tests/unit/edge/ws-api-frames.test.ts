import { describe, expect, it } from "vitest";
import { parseRequest, responseText, signaturePayload } from "../../../edge/src/ws-api/frames.js";
import { routesByMethod, ROUTE_OF_METHOD } from "../../../edge/src/ws-api/methods.js";
import type { Route } from "../../../edge/src/rest/router.js";

describe("WebSocket API request frames", () => {
  it("reads id, method (v3/ prefix dropped) and params as REST strings", () => {
    const request = parseRequest(JSON.stringify({ id: "a-1", method: "v3/order.place", params: { symbol: "BTCUSDT", quantity: "0.5", timestamp: 1645423376532, test: true, symbols: ["A1", "B2"] } }));
    expect(request).toEqual({
      id: "a-1",
      method: "order.place",
      params: new Map([
        ["symbol", "BTCUSDT"],
        ["quantity", "0.5"],
        ["timestamp", "1645423376532"],
        ["test", "true"],
        ["symbols", '["A1","B2"]'],
      ]),
    });
    expect(parseRequest('{"id":null,"method":"ping"}')).toEqual({ id: null, method: "ping", params: new Map() });
  });

  it("answers a frame that is not a request with -1135, echoing the id when it could be read", () => {
    expect(parseRequest("{")).toEqual({ invalid: { id: null, status: 400, error: { code: -1135, msg: "Invalid JSON Request" } } });
    expect(parseRequest("[1]")).toMatchObject({ invalid: { id: null, error: { code: -1135 } } });
    expect(parseRequest('{"method":"ping"}')).toMatchObject({ invalid: { id: null, error: { code: -1135 } } });
    expect(parseRequest('{"id":1.5,"method":"ping"}')).toMatchObject({ invalid: { id: null } });
    expect(parseRequest(JSON.stringify({ id: "x".repeat(37), method: "ping" }))).toMatchObject({ invalid: { id: null } });
    expect(parseRequest('{"id":3}')).toMatchObject({ invalid: { id: 3, error: { code: -1135 } } });
    expect(parseRequest('{"id":4,"method":"depth","params":"symbol=BTCUSDT"}')).toMatchObject({ invalid: { id: 4, error: { msg: expect.stringContaining("params") } } });
    expect(parseRequest('{"id":5,"method":"depth","params":{"symbol":null}}')).toMatchObject({ invalid: { id: 5, error: { msg: expect.stringContaining("'symbol'") } } });
    expect(parseRequest('{"id":6,"method":"depth","params":{"symbols":[1,2]}}')).toMatchObject({ invalid: { id: 6 } });
  });

  it("signs the parameters sorted by name, signature left out, values as sent", () => {
    const params = new Map([
      ["symbol", "BTCUSDT"],
      ["side", "SELL"],
      ["type", "LIMIT"],
      ["timeInForce", "GTC"],
      ["quantity", "0.01000000"],
      ["price", "52000.00"],
      ["recvWindow", "100"],
      ["timestamp", "1645423376532"],
      ["apiKey", "KEY"],
      ["signature", "ignored"],
    ]);
    expect(signaturePayload(params)).toBe("apiKey=KEY&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT");
  });

  it("writes ids (bigint) as JSON numbers", () => {
    expect(responseText({ id: 1, status: 200, result: { orderId: 12n } })).toBe('{"id":1,"status":200,"result":{"orderId":12}}');
  });
});

describe("WebSocket API methods", () => {
  it("maps each method to the REST route of the same name, skipping routes this edge does not serve", () => {
    const route = (method: Route["method"], path: string): Route => ({ method, path, security: "NONE", weight: 1, handle: async () => ({}) });
    const byMethod = routesByMethod([route("GET", "/api/v3/depth"), route("POST", "/api/v3/order"), route("GET", "/api/v3/unnamed")]);
    expect([...byMethod.keys()].sort()).toEqual(["depth", "order.place"]);
    expect(byMethod.get("order.place")?.path).toBe("/api/v3/order");
    expect(ROUTE_OF_METHOD["order.cancel"]).toBe("DELETE /api/v3/order");
  });
});

import type { ConnectRouter } from "@connectrpc/connect";
import { SymbolAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import type { AuditLog } from "#kit/ports/audit-log.port.js";
import type { OperatorGate } from "#kit/ports/operator-gate.port.js";
import { auditLimit, operatorOf, toAuditMessage } from "#kit/rpc/operator.js";
import type { SymbolAdmin } from "../domain/symbol-admin.use-case.js";
import { toSymbolInfo } from "./order.mapper.js";

export interface SymbolAdminRoutesDeps {
  readonly admin: SymbolAdmin;
  readonly gate: OperatorGate;
  readonly audit: AuditLog;
}

/** exchange.admin.v1.SymbolAdminService: the operator first (auth decides), then one use case. */
export function symbolAdminRoutes(deps: SymbolAdminRoutesDeps) {
  const { admin, gate } = deps;
  return (router: ConnectRouter) =>
    router.service(SymbolAdminService, {
      async listSymbols(_request, context) {
        await operatorOf(gate, context);
        return { symbols: (await admin.list()).map(toSymbolInfo) };
      },
      async addSymbol(request, context) {
        const operator = await operatorOf(gate, context);
        const f = request.filters!;
        const { spec, audit } = await admin.add(operator, {
          symbol: request.symbol,
          baseAsset: request.baseAsset,
          quoteAsset: request.quoteAsset,
          status: request.status,
          reason: request.reason,
          filters: {
            tickSize: f.tickSize,
            stepSize: f.stepSize,
            minPrice: f.minPrice,
            maxPrice: f.maxPrice,
            minQty: f.minQty,
            maxQty: f.maxQty,
            minNotional: f.minNotional,
            maxNotional: f.maxNotional,
            marketBandBps: f.marketBandBps,
            avgPriceMins: f.avgPriceMins,
          },
        });
        return { symbol: toSymbolInfo(spec), audit: toAuditMessage(audit) };
      },
      async setSymbolStatus(request, context) {
        const operator = await operatorOf(gate, context);
        const { spec, audit } = await admin.setStatus(operator, request.symbol, request.status, request.reason);
        return { symbol: toSymbolInfo(spec), audit: toAuditMessage(audit) };
      },
      async haltSymbols(request, context) {
        const operator = await operatorOf(gate, context);
        const halted = await admin.halt(operator, request.symbols, request.reason);
        return { symbols: halted.map((h) => toSymbolInfo(h.spec)), audit: halted.map((h) => toAuditMessage(h.audit)) };
      },
      async delistSymbol(request, context) {
        const operator = await operatorOf(gate, context);
        const { spec, canceled, audit } = await admin.delist(operator, request.symbol, request.reason);
        return { symbol: toSymbolInfo(spec), canceledOrders: canceled, audit: toAuditMessage(audit) };
      },
      async listSymbolAudit(request, context) {
        await operatorOf(gate, context);
        const entries = await deps.audit.list({ beforeId: Number(request.beforeId), limit: auditLimit(request.limit) });
        return { entries: entries.map(toAuditMessage) };
      },
    });
}

import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { callerPolicy, OPS, type CallerRule } from "#kit/rpc/caller-policy.js";

/** Order holds funds for orders and settles their trades; nobody else does. */
const ORDER: CallerRule = { services: ["order"], operators: false };
/** Money moved or released by an operator's decision, and operators' reports: an operator's token or the tooling's key. */
const OPERATORS: CallerRule = { services: [OPS], operators: true };

/** wallet.v1's guarded RPCs (docs/auth.md, "Who may call internal RPCs"); the others act for the account named. */
export const WALLET_CALLERS = callerPolicy(WalletService, {
  createHold: ORDER,
  createHolds: ORDER,
  voidHold: ORDER,
  moveHold: ORDER,
  reduceHold: ORDER,
  settleTrade: ORDER,
  settleTrades: ORDER,
  transfer: OPERATORS,
  creditAccount: OPERATORS,
  approveWithdrawal: OPERATORS,
  rejectWithdrawal: OPERATORS,
  listWithdrawalApprovals: OPERATORS,
  archiveLedgerDay: OPERATORS,
  verifyLedgerArchive: OPERATORS,
});

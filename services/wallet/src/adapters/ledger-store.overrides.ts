import type { LedgerStore } from "../ports/ledger-store.port.js";

/** `store` with some methods replaced; every other method is the store's own, called on it. */
export function withOverrides(store: LedgerStore, overrides: Partial<LedgerStore>): LedgerStore {
  return {
    engine: store.engine,
    execute: (commands) => store.execute(commands),
    balances: (account) => store.balances(account),
    doc: (id) => store.doc(id),
    transfer: (id) => store.transfer(id),
    listDocs: (account, type, page) => store.listDocs(account, type, page),
    dueDocs: (type, now, limit) => store.dueDocs(type, now, limit),
    awaitingApproval: (page) => store.awaitingApproval(page),
    entries: (account, asset, page) => store.entries(account, asset, page),
    audit: () => store.audit(),
    close: () => store.close(),
    ...overrides,
  };
}

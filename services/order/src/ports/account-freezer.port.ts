/** auth's account freeze as order's back office needs it. */
export interface AccountFreezer {
  /** Freezes or unfreezes the account; answers whether it was frozen before. NOT_FOUND for an unknown account. */
  setFrozen(accountId: string, frozen: boolean): Promise<boolean>;
}

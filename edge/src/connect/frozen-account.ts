import type { Client } from "@connectrpc/connect";
import type { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";

// An order-entry stream is authenticated once, when it opens; an operator may freeze the account
// afterwards (auth's frozen_at). So each of its requests asks auth again (GetAccountSecurity) and a
// frozen account's is refused as auth refuses it elsewhere: ACCOUNT_FROZEN, -2010 "This action is
// disabled on this account." Never a stale answer: a request is answered by a lookup that started
// after it was read. Requests read while one lookup is in flight share the next, so a burst costs
// two lookups, not one each.

export class FrozenAccountCheck {
  private inFlight?: Promise<void>;
  private queued?: Promise<void>;

  constructor(
    private readonly auth: Pick<Client<typeof AuthService>, "getAccountSecurity">,
    private readonly userId: string,
    private readonly signal?: AbortSignal,
  ) {}

  /** Resolves when the account is not frozen; rejects ACCOUNT_FROZEN when it is (or with auth's error). */
  assertNotFrozen(): Promise<void> {
    if (this.queued) return this.queued;
    const running = this.inFlight;
    if (!running) return this.start();
    const settled = () => undefined;
    this.queued = running.then(settled, settled).then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<void> {
    const lookup = this.lookup();
    this.inFlight = lookup;
    const clear = () => {
      if (this.inFlight === lookup) this.inFlight = undefined;
    };
    lookup.then(clear, clear);
    return lookup;
  }

  private async lookup(): Promise<void> {
    const { frozenAt } = await this.auth.getAccountSecurity({ userId: this.userId }, { signal: this.signal });
    if (frozenAt > 0n) throw new DomainError("ACCOUNT_FROZEN", undefined, [], { frozenAt: String(frozenAt) });
  }
}

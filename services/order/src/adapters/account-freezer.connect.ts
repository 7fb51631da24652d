import { createClient, type Transport } from "@connectrpc/connect";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import type { AccountFreezer } from "../ports/account-freezer.port.js";

/** auth.v1 SetAccountFrozen (internal). */
export class ConnectAccountFreezer implements AccountFreezer {
  private readonly client;

  constructor(transport: Transport) {
    this.client = createClient(AuthService, transport);
  }

  async setFrozen(accountId: string, frozen: boolean): Promise<boolean> {
    return (await this.client.setAccountFrozen({ userId: accountId, frozen })).wasFrozen;
  }
}

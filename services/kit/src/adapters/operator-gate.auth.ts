import { createClient, type Transport } from "@connectrpc/connect";
import { AuthService, Role } from "#gen/exchange/auth/v1/auth_pb.js";
import { DomainError } from "../errors/domain-error.js";
import type { Operator, OperatorGate } from "../ports/operator-gate.port.js";

/** auth decides: Authenticate with the bearer token and required_role OPERATOR (admin holds every role). */
export class AuthOperatorGate implements OperatorGate {
  private readonly client;

  constructor(transport: Transport) {
    this.client = createClient(AuthService, transport);
  }

  async authorize(bearerToken: string | undefined): Promise<Operator> {
    if (!bearerToken) throw new DomainError("UNAUTHORIZED", "An operator's bearer token is required.");
    const { principal } = await this.client.authenticate({ credential: { case: "bearerToken", value: bearerToken }, requiredRole: Role.OPERATOR });
    if (!principal?.userId) throw new DomainError("UNAUTHORIZED", "Unknown account.");
    return { userId: principal.userId };
  }
}

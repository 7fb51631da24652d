/** An operator of the back office, as auth vouched for it. */
export interface Operator {
  readonly userId: string;
}

/**
 * Who may run the back office. `authorize` answers the operator behind a bearer token, or throws: UNAUTHORIZED
 * (Unauthenticated) without a valid token, FORBIDDEN (PermissionDenied) when its account lacks the operator role.
 */
export interface OperatorGate {
  authorize(bearerToken: string | undefined): Promise<Operator>;
}

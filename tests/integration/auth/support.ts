
export { PG_URL, freshPgSchema } from "../../support/postgres.js";
import { engines } from "../../support/engines.js";

export const AWS_ENDPOINT = engines.awsEndpoint;
export const AWS_REGION = engines.awsRegion;


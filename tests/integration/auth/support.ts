
export { PG_URL, freshPgSchema } from "../../support/postgres.js";
export const AWS_ENDPOINT = process.env.EXCHANGE_AWS_ENDPOINT ?? "http://127.0.0.1:55000";
export const AWS_REGION = process.env.AWS_REGION ?? "us-east-1";
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";


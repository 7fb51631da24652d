import { S3ObjectStore } from "#kit/adapters/object-store.s3.js";
import { objectStoreContract } from "#kit/ports/object-store.contract.js";
import { engines, run } from "./env.js";

let n = 0;
objectStoreContract("s3", () => ({
  open: async () => new S3ObjectStore({ bucket: `ports-test-${run}-${n++}`, endpoint: engines.awsEndpoint, region: engines.awsRegion }),
}));

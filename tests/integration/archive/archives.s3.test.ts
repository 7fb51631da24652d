import { engines, run } from "../kit/ports/env.js";
import { archivesSuite } from "./archives.suite.js";

let n = 0;
archivesSuite("S3 (moto)", () => ({ EXCHANGE_OBJECT_STORE: "s3", EXCHANGE_S3_BUCKET: `archives-${run}-${n++}`, EXCHANGE_AWS_ENDPOINT: engines.awsEndpoint, AWS_REGION: engines.awsRegion }));

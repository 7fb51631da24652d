import { archivesSuite } from "./archives.suite.js";

archivesSuite("directory object store (embedded)", () => ({ EXCHANGE_OBJECT_STORE: "file" }));

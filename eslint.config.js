import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["gen/**", "dist/**", ".dist-tmp/**", "node_modules/**", "data/**", ".infra/**", "helm/**", "web/dist/**", "artifacts/**", "tmp/**", "sdk/typescript/src/gen/**", "sdk/typescript/dist/**", "sdk/go/**", "sdk/python/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    // Hexagonal boundaries: domain logic is free of I/O, engines and transport; ports name
    // capabilities without naming engines.
    files: ["services/*/src/domain/**/*.ts", "services/*/src/ports/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/adapters/**", "**/rpc/**"], message: "domain/ and ports/ must not depend on adapters or rpc" },
            { group: ["node:fs", "node:fs/*", "node:net", "node:http", "node:http2", "node:child_process", "fs", "net", "http"], message: "no I/O in domain/ or ports/" },
            { group: ["kysely", "pg", "better-sqlite3", "kafkajs", "ioredis", "@aws-sdk/*", "@opensearch-project/*", "@grpc/*", "@connectrpc/*"], message: "engines and transports belong in adapters/ and rpc/" },
          ],
        },
      ],
    },
  },
  {
    // Money is never a JS float: parseFloat/Number.parseFloat/toFixed have no place in this code.
    files: ["services/**/*.ts", "edge/**/*.ts"],
    rules: {
      "no-restricted-globals": ["error", { name: "parseFloat", message: "Money is exact: use #kit/money/decimal.js" }],
      "no-restricted-properties": [
        "error",
        { object: "Number", property: "parseFloat", message: "Money is exact: use #kit/money/decimal.js" },
        { property: "toFixed", message: "Money is exact: use formatUnits" },
      ],
    },
  },
);

import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["gen/**", "node_modules/**", "data/**", ".infra/**", "helm/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off",
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

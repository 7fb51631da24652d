import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

// proto/buf/validate/validate.proto is our subset of protovalidate's schema. The validator
// reads rules with the package's full schema, so every field we declare must have the
// package's number and type, or rules would be silently misread.

interface DeclaredField {
  message: string;
  name: string;
  number: number;
}

function declaredFields(source: string): DeclaredField[] {
  const fields: DeclaredField[] = [];
  const stack: string[] = [];
  for (const raw of source.split("\n")) {
    const line = raw.trim();
    const open = /^(message|extend)\s+([\w.]+)\s*\{/.exec(line);
    if (open) {
      stack.push(open[1] === "message" ? open[2] : `extend ${open[2]}`);
      continue;
    }
    if (/^(oneof|enum)\s+\w+\s*\{/.test(line)) {
      stack.push(line.startsWith("enum") ? "enum" : stack[stack.length - 1]);
      continue;
    }
    if (line === "}") {
      stack.pop();
      continue;
    }
    const field = /^(?:optional |repeated )?[\w.]+\s+(\w+)\s*=\s*(\d+);/.exec(line);
    const owner = stack[stack.length - 1];
    if (field && owner && owner !== "enum" && !owner.startsWith("extend")) {
      fields.push({ message: owner, name: field[1], number: Number(field[2]) });
    }
  }
  return fields;
}

describe("vendored protovalidate subset", () => {
  const source = readFileSync(new URL("../../../proto/buf/validate/validate.proto", import.meta.url), "utf8");
  const fields = declaredFields(source);

  it("declares the messages the project's rules use", () => {
    expect(fields.length).toBeGreaterThan(60);
    expect(new Set(fields.map((f) => f.message))).toEqual(
      new Set(["Rule", "MessageRules", "MessageOneofRule", "OneofRules", "FieldRules", "Int32Rules", "Int64Rules", "UInt32Rules", "UInt64Rules", "BoolRules", "StringRules", "BytesRules", "EnumRules", "RepeatedRules"]),
    );
  });

  it("matches the installed package's field numbers exactly", () => {
    for (const field of fields) {
      const message = file_buf_validate_validate.messages.find((m) => m.name === field.message);
      expect(message, field.message).toBeDefined();
      const theirs = message!.fields.find((f) => f.name === field.name);
      expect(theirs, `${field.message}.${field.name}`).toBeDefined();
      expect(theirs!.number, `${field.message}.${field.name}`).toBe(field.number);
    }
  });

  it("uses the package's extension numbers", () => {
    const numbers = Object.fromEntries(file_buf_validate_validate.extensions.map((x) => [x.name, x.number]));
    expect(source).toContain(`optional FieldRules field = ${numbers.field};`);
    expect(source).toContain(`optional MessageRules message = ${numbers.message};`);
    expect(source).toContain(`optional OneofRules oneof = ${numbers.oneof};`);
  });
});

// The distributed harness builds each process's environment as the kubelet would: these are the rules it relies on.
import { describe, expect, it } from "vitest";
import type { Container, KubeObject } from "../../support/distributed/chart.js";
import { expandKubernetesReferences, podEnvironment } from "../../support/distributed/pod-env.js";

const pod = { name: "rel-auth-0", namespace: "exchange", labels: { "app.kubernetes.io/component": "auth" }, podIP: "127.0.0.1" };
const objects: KubeObject[] = [
  { kind: "ConfigMap", metadata: { name: "rel-config" }, data: { REDIS: "redis://r:6379", SHADOWED: "from-config" } },
  { kind: "Secret", metadata: { name: "rel-secrets" }, data: { db: Buffer.from("postgres://a").toString("base64") }, stringData: { other: "plain" } },
];

describe("expandKubernetesReferences", () => {
  it("replaces defined $(VAR), keeps undefined ones as written, and reads $$ as one $", () => {
    const defined = new Map([["A", "1"], ["B", "two"]]);
    expect(expandKubernetesReferences("x$(A)y$(B)", defined)).toBe("x1ytwo");
    expect(expandKubernetesReferences("$(NOPE)-$(A)", defined)).toBe("$(NOPE)-1");
    expect(expandKubernetesReferences("$$(A) $$ $x $", defined)).toBe("$(A) $ $x $");
    expect(expandKubernetesReferences("$(A", defined)).toBe("$(A");
  });
});

describe("podEnvironment", () => {
  const container: Container = {
    name: "auth",
    envFrom: [{ configMapRef: { name: "rel-config" } }],
    env: [
      { name: "PORT", value: "8080" },
      { name: "LISTEN", value: "0.0.0.0:$(PORT)" },
      { name: "LATER", value: "$(AFTER)" },
      { name: "AFTER", value: "too late" },
      { name: "CACHE", value: "$(REDIS)" },
      { name: "SHADOWED", value: "from-env" },
      { name: "DB", valueFrom: { secretKeyRef: { name: "rel-secrets", key: "db" } } },
      { name: "OTHER", valueFrom: { secretKeyRef: { name: "rel-secrets", key: "other" } } },
      { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "COMPONENT", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app.kubernetes.io/component']" } } },
    ],
  };

  it("takes envFrom first, then env in order: references to earlier entries and the ConfigMap expand, later ones do not", () => {
    expect(podEnvironment(container, objects, pod)).toEqual({
      REDIS: "redis://r:6379",
      SHADOWED: "from-env",
      PORT: "8080",
      LISTEN: "0.0.0.0:8080",
      LATER: "$(AFTER)",
      AFTER: "too late",
      CACHE: "redis://r:6379",
      DB: "postgres://a",
      OTHER: "plain",
      POD: "rel-auth-0",
      COMPONENT: "auth",
    });
  });

  it("applies overrides in place (references see them) and refuses one for a variable the chart does not set", () => {
    expect(podEnvironment(container, objects, pod, { PORT: "9999" }).LISTEN).toBe("0.0.0.0:9999");
    expect(() => podEnvironment(container, objects, pod, { NEW_THING: "x" })).toThrow(/NEW_THING/);
  });

  it("fails like a pod that cannot start on a missing Secret key, unless the reference is optional", () => {
    const missing = (optional?: boolean): Container => ({ name: "c", env: [{ name: "X", valueFrom: { secretKeyRef: { name: "rel-secrets", key: "nope", optional } } }] });
    expect(() => podEnvironment(missing(), objects, pod)).toThrow(/nope/);
    expect(podEnvironment(missing(true), objects, pod)).toEqual({});
  });
});

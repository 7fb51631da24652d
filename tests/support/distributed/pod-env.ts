// A container's environment as the kubelet builds it: envFrom sources first (later ones win), then `env` in order,
// each `value` with its $(VAR) references expanded against what is defined so far, `valueFrom` read from the
// pod (fieldRef), a Secret or a ConfigMap. A missing non-optional Secret/ConfigMap or key is an error, as it keeps
// a pod from starting.
import type { Container, KubeObject } from "./chart.js";

export interface PodIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly podIP: string;
}

/** Kubernetes' $(VAR) expansion: defined names are replaced, undefined ones stay as written, `$$` is one `$`. */
export function expandKubernetesReferences(input: string, defined: ReadonlyMap<string, string>): string {
  let out = "";
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== "$" || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === "$") {
      out += "$";
      i += 1;
    } else if (next === "(") {
      const close = input.indexOf(")", i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += defined.get(name) ?? `$(${name})`;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

function dataOf(objects: readonly KubeObject[], kind: "Secret" | "ConfigMap", name: string): Record<string, string> | undefined {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) return undefined;
  if (kind === "ConfigMap") return { ...object.data };
  const decoded = Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
  return { ...decoded, ...object.stringData };
}

function fieldOf(pod: PodIdentity, path: string): string {
  if (path === "metadata.name") return pod.name;
  if (path === "metadata.namespace") return pod.namespace;
  if (path === "status.podIP") return pod.podIP;
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return pod.labels[label[1]!] ?? "";
  throw new Error(`fieldRef ${path} is not supported by the harness`);
}

/**
 * The environment of `container` in `pod`. `overrides` replace the value of variables the container defines
 * (before expansion, so references to them see the new value); naming a variable it does not define is an error,
 * so an override can only ever adjust the chart, never add to it.
 */
export function podEnvironment(container: Container, objects: readonly KubeObject[], pod: PodIdentity, overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) throw new Error(`${container.name}: an envFrom source the harness does not know`);
    const data = dataOf(objects, source.configMapRef ? "ConfigMap" : "Secret", ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new Error(`${container.name}: envFrom ${source.configMapRef ? "ConfigMap" : "Secret"} ${ref.name} is not rendered`);
    }
    for (const [key, value] of Object.entries(data)) env.set(`${source.prefix ?? ""}${key}`, value);
  }
  const defined = new Set((container.env ?? []).map((e) => e.name));
  for (const name of Object.keys(overrides)) {
    if (!defined.has(name)) throw new Error(`${container.name}: override ${name} names a variable the chart does not set`);
  }
  for (const variable of container.env ?? []) {
    if (variable.name in overrides) {
      env.set(variable.name, expandKubernetesReferences(overrides[variable.name]!, env));
    } else if (variable.valueFrom) {
      const from = variable.valueFrom;
      if (from.fieldRef) {
        env.set(variable.name, fieldOf(pod, from.fieldRef.fieldPath));
      } else {
        const ref = from.secretKeyRef ?? from.configMapKeyRef;
        if (!ref) throw new Error(`${container.name}: ${variable.name} has a valueFrom the harness does not know`);
        const kind = from.secretKeyRef ? "Secret" : "ConfigMap";
        const value = dataOf(objects, kind, ref.name)?.[ref.key];
        if (value !== undefined) env.set(variable.name, value);
        else if (!ref.optional) throw new Error(`${container.name}: ${variable.name} reads key ${ref.key} of ${kind} ${ref.name}, which is not rendered`);
      }
    } else {
      env.set(variable.name, expandKubernetesReferences(variable.value ?? "", env));
    }
  }
  return Object.fromEntries(env);
}

// The chart as Kubernetes would see it: `helm template` of helm/exchange, parsed into objects, and each component's
// workload (kind, replicas, its one container). The distributed harness takes every process's environment from here.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "../../..");
export const CHART = join(REPO, "helm/exchange");
const KUBE_VERSION = "1.30.0";

/** Where tests/infra/helm/check.sh installs helm and the virtualenv with PyYAML (INFRA_DIR, else <repo>/.infra). */
function tools() {
  const dir = join(process.env.INFRA_DIR ? resolve(process.env.INFRA_DIR) : join(REPO, ".infra"), "helm");
  return { helm: process.env.HELM ?? join(dir, "bin/helm"), python: join(dir, "venv/bin/python") };
}

// Parsed Kubernetes objects: only the fields the harness reads are typed.
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly fieldRef?: { readonly fieldPath: string };
    readonly secretKeyRef?: { readonly name: string; readonly key: string; readonly optional?: boolean };
    readonly configMapKeyRef?: { readonly name: string; readonly key: string; readonly optional?: boolean };
  };
}
export interface EnvFromSource {
  readonly prefix?: string;
  readonly configMapRef?: { readonly name: string; readonly optional?: boolean };
  readonly secretRef?: { readonly name: string; readonly optional?: boolean };
}
export interface Container {
  readonly name: string;
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly EnvFromSource[];
}
export interface KubeObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
  readonly spec?: {
    readonly replicas?: number;
    readonly minReplicas?: number;
    readonly template?: { readonly metadata: { readonly labels?: Record<string, string> }; readonly spec: { readonly containers: readonly Container[] } };
  };
}

export interface Workload {
  /** The component: its EXCHANGE_SERVICE and app.kubernetes.io/component label. */
  readonly component: string;
  readonly kind: "Deployment" | "StatefulSet";
  readonly name: string;
  readonly replicas: number;
  readonly podLabels: Record<string, string>;
  readonly container: Container;
}

export interface RenderedChart {
  readonly namespace: string;
  readonly objects: readonly KubeObject[];
  readonly workloads: readonly Workload[];
}

/** `helm template <release> helm/exchange -f <values...> --set-string <k=v...>`, parsed. Fails with helm's own message. */
export function renderChart(options: { release: string; namespace?: string; valuesFiles: readonly string[]; setString?: Record<string, string> }): RenderedChart {
  const { helm, python } = tools();
  for (const [what, path] of [["helm", helm], ["the virtualenv with PyYAML", python]] as const) {
    if (!existsSync(path)) throw new Error(`${what} is missing (${path}): run \`bash tests/infra/helm/check.sh install\` (INFRA_DIR=${process.env.INFRA_DIR ?? "<repo>/.infra"})`);
  }
  const namespace = options.namespace ?? "exchange";
  const args = ["template", options.release, CHART, "--namespace", namespace, "--kube-version", KUBE_VERSION];
  for (const file of options.valuesFiles) args.push("-f", file);
  // Commas and backslashes are helm's own syntax in --set values.
  for (const [key, value] of Object.entries(options.setString ?? {})) args.push("--set-string", `${key}=${value.replace(/[\\,]/g, (c) => `\\${c}`)}`);
  const rendered = spawnSync(helm, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (rendered.status !== 0) throw new Error(`helm template failed:\n${rendered.stderr}`);
  const json = execFileSync(python, ["-c", "import json,sys,yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))"], {
    input: rendered.stdout,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const objects = JSON.parse(json) as KubeObject[];
  const workloads = objects
    .filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet")
    .map((o): Workload => {
      const template = o.spec!.template!;
      const labels = template.metadata.labels ?? {};
      const component = labels["app.kubernetes.io/component"];
      if (!component) throw new Error(`${o.kind}/${o.metadata.name} has no app.kubernetes.io/component label`);
      return {
        component,
        kind: o.kind as Workload["kind"],
        name: o.metadata.name,
        // An HPA owns the count when replicas is absent: start its minimum, as the HPA would.
        replicas: o.spec!.replicas ?? hpaMinimum(objects, o.metadata.name) ?? 1,
        podLabels: labels,
        container: template.spec.containers[0]!,
      };
    });
  return { namespace, objects, workloads };
}

function hpaMinimum(objects: readonly KubeObject[], workload: string): number | undefined {
  return objects.find((o) => o.kind === "HorizontalPodAutoscaler" && o.metadata.name === workload)?.spec?.minReplicas;
}

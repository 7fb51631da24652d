// The Helm chart (helm/exchange), rendered with each ci/*-values.yaml fixture and checked as parsed objects:
// one workload, Service and ServiceAccount per component, gRPC probes, locked-down pods, a default-deny
// NetworkPolicy plus an allow-list per component naming its callers, matching as a StatefulSet without HPA,
// and the <NAME>_ADDR wiring. Needs helm and the kubernetes-validate virtualenv (PyYAML) that
// tests/infra/helm/check.sh installs under .infra/helm; tests/infra/helm/check.sh also validates the same
// renders against the Kubernetes schemas.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../../..");
const chart = join(repo, "helm/exchange");
const tools = join(process.env.INFRA_DIR ? resolve(process.env.INFRA_DIR) : join(repo, ".infra"), "helm");
const helm = process.env.HELM ?? join(tools, "bin/helm");
const python = join(tools, "venv/bin/python");
const KUBE_VERSION = "1.30.0";

const COMPONENTS = ["auth", "edge", "marketdata", "matching", "notifier", "order", "wallet"] as const;
type Component = (typeof COMPONENTS)[number];
/** Who calls whom: the chart's `calls` lists. */
const CALLS: Record<Component, Component[]> = {
  auth: [],
  edge: ["auth", "wallet", "order", "matching", "marketdata", "notifier"],
  marketdata: ["matching", "order"],
  matching: [],
  notifier: [],
  order: ["wallet", "matching", "auth"],
  wallet: ["auth"],
};
/** Components that admit the edge and what fronts it (`edge: true`); wallet and order trust their callers, so never. */
const EDGE_CALLS: Component[] = ["auth", "edge", "marketdata"];

// Parsed Kubernetes objects: loosely typed on purpose, the assertions say what must be there.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

function toolsPresent(): string | undefined {
  const missing = [
    existsSync(helm) ? undefined : `helm (${helm})`,
    existsSync(python) ? undefined : `the kubernetes-validate virtualenv (${python})`,
  ].filter(Boolean);
  return missing.length ? `missing ${missing.join(" and ")}: run tests/infra/helm/check.sh (or \`bash tests/infra/helm/check.sh install\`) first` : undefined;
}

function template(release: string, args: readonly string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(helm, ["template", release, chart, "--namespace", "exchange", "--kube-version", KUBE_VERSION, ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function render(release: string, args: readonly string[]): Obj[] {
  const result = template(release, args);
  if (result.status !== 0) throw new Error(`helm template ${args.join(" ")} failed:\n${result.stderr}`);
  const json = execFileSync(python, ["-c", "import json,sys,yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))"], {
    input: result.stdout,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(json) as Obj[];
}

const FIXTURES = [
  { file: "ci/default-values.yaml", release: "rel", prefix: "rel" },
  { file: "ci/hardened-values.yaml", release: "rel", prefix: "exchange" }, // fullnameOverride: exchange
  { file: "ci/loopback-values.yaml", release: "rel", prefix: "exchange" }, // the distributed end-to-end harness's
];

describe("helm chart helm/exchange", () => {
  beforeAll(() => {
    const problem = toolsPresent();
    if (problem) throw new Error(problem);
  });

  it("passes helm lint --strict with its defaults and every ci fixture", () => {
    for (const args of [[], ...FIXTURES.map((f) => ["-f", join(chart, f.file)])]) {
      const lint = spawnSync(helm, ["lint", "--strict", chart, ...args], { encoding: "utf8" });
      expect(lint.status, `${args.join(" ")}\n${lint.stdout}${lint.stderr}`).toBe(0);
    }
  });

  describe.each(FIXTURES)("rendered with $file", ({ file, release, prefix }) => {
    let docs: Obj[] = [];
    const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata?.name === name);
    const workloadOf = (c: Component) => find(c === "matching" ? "StatefulSet" : "Deployment", `${prefix}-${c}`);
    const containerOf = (c: Component) => workloadOf(c).spec.template.spec.containers[0];
    const envOf = (c: Component) => new Map<string, Obj>(containerOf(c).env.map((e: Obj) => [e.name, e]));

    beforeAll(() => {
      docs = render(release, ["-f", join(chart, file)]);
    });

    it("labels every object with the release", () => {
      expect(docs.length).toBeGreaterThan(20);
      for (const d of docs) expect(d.metadata.labels?.["app.kubernetes.io/instance"], `${d.kind}/${d.metadata.name}`).toBe(release);
    });

    it.each(COMPONENTS)("%s: a workload, a Service on 8080 (h2c) and 8081, and its own ServiceAccount", (c) => {
      const workload = workloadOf(c);
      expect(workload, `workload for ${c}`).toBeDefined();
      expect(workload.metadata.labels["app.kubernetes.io/component"]).toBe(c);
      expect(workload.spec.template.metadata.labels["app.kubernetes.io/component"]).toBe(c);
      const service = find("Service", `${prefix}-${c}`);
      expect(service, `Service for ${c}`).toBeDefined();
      expect(service.spec.selector).toMatchObject({ "app.kubernetes.io/component": c, "app.kubernetes.io/instance": release });
      expect(service.spec.ports).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: "grpc", port: 8080, appProtocol: "kubernetes.io/h2c" }),
          expect.objectContaining({ name: "http", port: 8081 }),
        ]),
      );
      const account = find("ServiceAccount", `${prefix}-${c}`);
      expect(account, `ServiceAccount for ${c}`).toBeDefined();
      expect(workload.spec.template.spec.serviceAccountName).toBe(`${prefix}-${c}`);
    });

    it.each(COMPONENTS)("%s: gRPC startup, readiness and liveness probes on 8080", (c) => {
      const container = containerOf(c);
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        expect(container[probe], `${c} ${probe}`).toMatchObject({ grpc: { port: 8080 } });
      }
      expect(container.ports).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: "grpc", containerPort: 8080 }),
          expect.objectContaining({ name: "http", containerPort: 8081 }),
        ]),
      );
    });

    it.each(COMPONENTS)("%s: non-root uid 1000, read-only root, no capabilities, RuntimeDefault seccomp, /tmp emptyDir", (c) => {
      const pod = workloadOf(c).spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } });
      const container = containerOf(c);
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(container.securityContext.capabilities.add ?? []).toEqual([]);
      const tmp = container.volumeMounts.find((m: Obj) => m.mountPath === "/tmp");
      expect(tmp).toBeDefined();
      expect(pod.volumes.find((v: Obj) => v.name === tmp.name).emptyDir).toBeDefined();
      expect(pod.automountServiceAccountToken).toBe(false);
    });

    it.each(COMPONENTS)("%s: runs one service from the one image, with <NAME>_ADDR for exactly the services it calls", (c) => {
      const env = envOf(c);
      expect(env.get("EXCHANGE_SERVICE")?.value).toBe(c);
      expect(env.get("EXCHANGE_HOST")?.value).toBe("0.0.0.0");
      expect(env.get("EXCHANGE_GRPC_PORT")?.value).toBe("8080");
      expect(env.get("EXCHANGE_HTTP_PORT")?.value).toBe("8081");
      expect(env.get("OTEL_SERVICE_NAME")?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.labels['app.kubernetes.io/component']");
      const addrs = Object.fromEntries([...env.values()].filter((e) => e.name.endsWith("_ADDR")).map((e) => [e.name, e.value]));
      // hardened runs two matching replicas (a leader and a warm standby per symbol): its callers get every pod
      const addressOf = (callee: string) =>
        callee === "matching" && file.includes("hardened")
          ? [0, 1].map((i) => `http://${prefix}-matching-${i}.${prefix}-matching-headless:8080`).join(",")
          : `http://${prefix}-${callee}:8080`;
      expect(addrs).toEqual(Object.fromEntries(CALLS[c].map((callee) => [`${callee.toUpperCase()}_ADDR`, addressOf(callee)])));
      // every address names a Service this release renders
      for (const callee of CALLS[c]) expect(find("Service", `${prefix}-${callee}`)).toBeDefined();
      const images = new Set(COMPONENTS.map((other) => containerOf(other).image));
      expect(images.size).toBe(1);
      expect(containerOf(c).envFrom).toEqual(expect.arrayContaining([{ configMapRef: { name: `${prefix}-config` } }]));
    });

    it("takes engine settings from values: Kafka brokers, the AWS endpoint (only on loopback), connection strings from a Secret", () => {
      const config = find("ConfigMap", `${prefix}-config`);
      if (file.includes("loopback")) {
        expect(config.data).toMatchObject({ EXCHANGE_KAFKA_BROKERS: "127.0.0.1:59092", EXCHANGE_AWS_ENDPOINT: "http://127.0.0.1:55000" });
      } else {
        expect(config.data.EXCHANGE_KAFKA_BROKERS).toMatch(/kafka\..+\.amazonaws\.com:9092/);
        expect(config.data).not.toHaveProperty("EXCHANGE_AWS_ENDPOINT");
      }
      expect(envOf("matching").get("MATCHING_JOURNAL")?.value).toBe("kafka");
      expect(envOf("order").get("ORDER_UPDATES")?.value).toBe("kafka"); // user data streams across order replicas
      expect(config.data).toMatchObject({ EXCHANGE_EVENT_LOG: "kafka", MATCHING_EVENTS: "event-log", MATCHING_EVENTS_TOPIC: "exchange.matching.events.v1" }); // the event backbone
      for (const [c, variable] of [["order", "ORDER_DATABASE_URL"], ["auth", "AUTH_DATABASE_URL"], ["wallet", "WALLET_LEDGER_URL"], ["marketdata", "MARKETDATA_DATABASE_URL"], ["notifier", "NOTIFIER_DATABASE_URL"]] as const) {
        const ref = envOf(c).get(variable)?.valueFrom?.secretKeyRef;
        expect(ref, `${c} ${variable}`).toBeDefined();
        expect(ref.name).toBe(file.includes("hardened") ? "exchange-connection-strings" : `${prefix}-secrets`);
      }
      for (const d of docs) if (d.kind === "Secret") expect(file).not.toContain("hardened"); // only the dev and loopback fixtures render one
    });

    it("hands out service keys from the Secret: order presents its own, wallet and auth admit it, no one else holds one", () => {
      const keyRef = (c: Component, variable: string) => envOf(c).get(variable)?.valueFrom?.secretKeyRef;
      expect(keyRef("order", "EXCHANGE_SERVICE_KEY")).toMatchObject({ key: "service-key-order" });
      for (const c of ["wallet", "auth"] as const) expect(keyRef(c, "EXCHANGE_CALLER_KEY_ORDER"), c).toMatchObject({ key: "service-key-order" });
      // The operator tooling's key only where a fixture adds it (the loopback harness credits accounts with it).
      const tooling = file.includes("loopback") ? ["order", "wallet"] : [];
      for (const c of COMPONENTS) expect(keyRef(c, "EXCHANGE_CALLER_KEY_OPS")?.key, c).toBe(tooling.includes(c) ? "service-key-ops" : undefined);
      const holders: Record<Component, string[]> = { auth: ["EXCHANGE_CALLER_KEY_ORDER"], edge: [], marketdata: [], matching: [], notifier: [], order: ["EXCHANGE_SERVICE_KEY"], wallet: ["EXCHANGE_CALLER_KEY_ORDER"] };
      for (const c of COMPONENTS) {
        const keys = [...envOf(c).keys()].filter((name) => /^EXCHANGE_(SERVICE_KEY|CALLER_KEY_)/.test(name) && name !== "EXCHANGE_CALLER_KEY_OPS");
        expect(keys.sort(), c).toEqual(holders[c]);
      }
      const secret = docs.find((d) => d.kind === "Secret");
      if (secret) expect(secret.stringData["service-key-order"].length).toBeGreaterThanOrEqual(32);
    });

    it("gives auth's replicas one shared replay cache: AUTH_REPLAY_CACHE_URL from the ConfigMap's Redis", () => {
      expect(workloadOf("auth").spec.replicas ?? find("HorizontalPodAutoscaler", `${prefix}-auth`)?.spec.minReplicas).toBeGreaterThan(1);
      // Kubernetes expands $(VAR) from envFrom (the ConfigMap) as well as from earlier env entries.
      expect(envOf("auth").get("AUTH_REPLAY_CACHE_URL")?.value).toBe("$(EXCHANGE_REDIS_URL)");
      expect(find("ConfigMap", `${prefix}-config`).data.EXCHANGE_REDIS_URL).toMatch(file.includes("loopback") ? /^redis:\/\/127\.0\.0\.1:/ : /^rediss:\/\//);
      for (const c of COMPONENTS.filter((other) => other !== "auth")) expect(envOf(c).has("AUTH_REPLAY_CACHE_URL"), c).toBe(false);
    });

    it("gives the edge's replicas one shared listen-key store: EDGE_LISTEN_KEY_REDIS_URL from the ConfigMap's Redis", () => {
      expect(workloadOf("edge").spec.replicas ?? find("HorizontalPodAutoscaler", `${prefix}-edge`)?.spec.minReplicas).toBeGreaterThan(1);
      expect(envOf("edge").get("EDGE_LISTEN_KEY_REDIS_URL")?.value).toBe("$(EXCHANGE_REDIS_URL)");
      for (const c of COMPONENTS.filter((other) => other !== "edge")) expect(envOf(c).has("EDGE_LISTEN_KEY_REDIS_URL"), c).toBe(false);
    });

    it("gives the edge's replicas one rate-limit budget: EDGE_RATE_LIMIT_REDIS_URL from the ConfigMap's Redis", () => {
      expect(envOf("edge").get("EDGE_RATE_LIMIT_REDIS_URL")?.value).toBe("$(EXCHANGE_REDIS_URL)");
      expect(find("ConfigMap", `${prefix}-config`).data.EXCHANGE_REDIS_URL).toMatch(file.includes("loopback") ? /^redis:\/\/127\.0\.0\.1:/ : /^rediss:\/\//);
      for (const c of COMPONENTS.filter((other) => other !== "edge")) expect(envOf(c).has("EDGE_RATE_LIMIT_REDIS_URL"), c).toBe(false);
    });

    it("denies all traffic to and from the release's pods by default", () => {
      const deny = find("NetworkPolicy", `${prefix}-default-deny`);
      expect(deny).toBeDefined();
      expect(deny.spec.podSelector.matchLabels).toEqual({ "app.kubernetes.io/name": "exchange", "app.kubernetes.io/instance": release });
      expect(deny.spec.policyTypes).toEqual(["Ingress", "Egress"]);
      expect(deny.spec.ingress ?? []).toEqual([]);
      expect(deny.spec.egress ?? []).toEqual([]);
    });

    it.each(COMPONENTS)("%s: a NetworkPolicy that admits only its callers", (c) => {
      const policy = find("NetworkPolicy", `${prefix}-${c}`);
      expect(policy, `NetworkPolicy for ${c}`).toBeDefined();
      expect(policy.spec.podSelector.matchLabels).toMatchObject({ "app.kubernetes.io/component": c, "app.kubernetes.io/instance": release });
      const callers = new Set<string>();
      for (const rule of policy.spec.ingress ?? []) {
        for (const peer of rule.from ?? []) {
          const component = peer.podSelector?.matchLabels?.["app.kubernetes.io/component"];
          if (component) callers.add(component);
        }
      }
      const expected = COMPONENTS.filter((other) => CALLS[other].includes(c)) as string[];
      if (EDGE_CALLS.includes(c) && !expected.includes("edge")) expected.push("edge");
      expect([...callers].sort()).toEqual(expected.sort());
      // and may reach the services it calls
      const callees = new Set<string>();
      for (const rule of policy.spec.egress ?? []) {
        for (const peer of rule.to ?? []) {
          const component = peer.podSelector?.matchLabels?.["app.kubernetes.io/component"];
          if (component) callees.add(component);
        }
      }
      expect([...callees].sort()).toEqual([...CALLS[c]].sort());
    });

    it("runs matching as a StatefulSet with a snapshot volume per replica, started in parallel, never autoscaled", () => {
      const matching = find("StatefulSet", `${prefix}-matching`);
      expect(matching.spec.podManagementPolicy).toBe("Parallel");
      expect(matching.spec.serviceName).toBe(`${prefix}-matching-headless`);
      expect(find("Service", `${prefix}-matching-headless`).spec.clusterIP).toBe("None");
      expect(matching.spec.volumeClaimTemplates.map((t: Obj) => t.metadata.name)).toEqual(["data"]);
      expect(containerOf("matching").volumeMounts.find((m: Obj) => m.name === "data").mountPath).toBe("/var/lib/exchange");
      expect(envOf("matching").get("MATCHING_DATA_DIR")?.value).toBe("/var/lib/exchange/matching");
      expect(find("Deployment", `${prefix}-matching`)).toBeUndefined();
      const hpas = docs.filter((d) => d.kind === "HorizontalPodAutoscaler");
      for (const hpa of hpas) {
        expect(hpa.spec.scaleTargetRef.kind).toBe("Deployment");
        expect(hpa.spec.scaleTargetRef.name).not.toBe(`${prefix}-matching`);
      }
      for (const c of COMPONENTS.filter((other) => other !== "matching")) expect(workloadOf(c).kind).toBe("Deployment");
    });

    if (file.includes("hardened")) {
      it("admits the edge's peers (load balancer, ingress) to the edge, auth and marketdata only: never to wallet or order", () => {
        const peersOf = (c: string): Obj[] =>
          (find("NetworkPolicy", `${prefix}-${c}`).spec.ingress ?? [])
            .filter((rule: Obj) => (rule.ports ?? []).some((port: Obj) => port.port === "grpc")) // metrics scrapers reach http only
            .flatMap((rule: Obj) => (rule.from ?? []).filter((peer: Obj) => peer.ipBlock || peer.namespaceSelector));
        for (const c of ["edge", "auth", "marketdata"]) expect(peersOf(c).length, c).toBeGreaterThan(0);
        for (const c of ["wallet", "order", "matching"]) expect(peersOf(c), c).toEqual([]);
      });

      it("adds HPAs and PodDisruptionBudgets for the stateless services and an IRSA role per ServiceAccount", () => {
        for (const c of COMPONENTS) {
          expect(find("ServiceAccount", `${prefix}-${c}`).metadata.annotations["eks.amazonaws.com/role-arn"]).toBe(
            `arn:aws:iam::123456789012:role/exchange-${c}`,
          );
          expect(find("PodDisruptionBudget", `${prefix}-${c}`), `PDB ${c}`).toBeDefined();
          if (c === "matching") continue;
          expect(find("HorizontalPodAutoscaler", `${prefix}-${c}`), `HPA ${c}`).toBeDefined();
          expect(workloadOf(c).spec.replicas).toBeUndefined(); // the HPA owns the count
        }
      });
    }
  });

  it("refuses more than one matching replica without leases, and runs them with leases as leader and standbys", () => {
    const without = template("rel", ["--set", "components.matching.replicas=2"]);
    expect(without.status).not.toBe(0);
    expect(without.stderr).toContain("components.matching.replicas > 1 needs leases");
    const docs = render("rel", ["--set", "components.matching.replicas=3", "--set", "components.matching.secretEnv.MATCHING_LEASE_DATABASE_URL=lease-url"]);
    const matching = docs.find((d) => d.kind === "StatefulSet" && d.metadata?.name === "rel-matching");
    expect(matching.spec.replicas).toBe(3);
    const order = docs.find((d) => d.kind === "Deployment" && d.metadata?.name === "rel-order");
    const addr = order.spec.template.spec.containers[0].env.find((e: Obj) => e.name === "MATCHING_ADDR");
    expect(addr.value.split(",")).toEqual([0, 1, 2].map((i) => `http://rel-matching-${i}.rel-matching-headless:8080`));
  });

  it("passes components.edge.corsOrigins to the edge as EDGE_CORS_ORIGINS (empty by default) and to no other component", () => {
    const envOf = (docs: Obj[], c: Component) => {
      const workload = docs.find((d) => (d.kind === "Deployment" || d.kind === "StatefulSet") && d.metadata?.name === `rel-${c}`);
      return new Map<string, Obj>(workload.spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e]));
    };
    const defaults = render("rel", []);
    expect(envOf(defaults, "edge").get("EDGE_CORS_ORIGINS")).toEqual({ name: "EDGE_CORS_ORIGINS", value: "" });
    const origins = "https://app.example.com,https://admin.example.com";
    const set = render("rel", ["--set-string", `components.edge.corsOrigins=${origins.replace(",", "\\,")}`]);
    expect(envOf(set, "edge").get("EDGE_CORS_ORIGINS")?.value).toBe(origins);
    for (const c of COMPONENTS.filter((other) => other !== "edge")) expect(envOf(set, c).has("EDGE_CORS_ORIGINS"), c).toBe(false);
  });

  it("passes components.matching.commandsTopic to matching as MATCHING_COMMANDS_TOPIC (the shared default otherwise) and to no other component", () => {
    const envOf = (docs: Obj[], c: Component) => {
      const workload = docs.find((d) => (d.kind === "Deployment" || d.kind === "StatefulSet") && d.metadata?.name === `rel-${c}`);
      return new Map<string, Obj>(workload.spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e]));
    };
    expect(envOf(render("rel", []), "matching").get("MATCHING_COMMANDS_TOPIC")).toEqual({ name: "MATCHING_COMMANDS_TOPIC", value: "exchange.matching.commands.v1" });
    const set = render("rel", ["--set-string", "components.matching.commandsTopic=staging.matching.commands.v1"]);
    expect(envOf(set, "matching").get("MATCHING_COMMANDS_TOPIC")?.value).toBe("staging.matching.commands.v1");
    for (const c of COMPONENTS.filter((other) => other !== "matching")) expect(envOf(set, c).has("MATCHING_COMMANDS_TOPIC"), c).toBe(false);
    expect(template("rel", ["--set-string", "components.matching.commandsTopic=no spaces"]).status).not.toBe(0);
  });

  it("refuses an HPA on matching and calls to a component that is not there", () => {
    const hpa = template("rel", ["--set", "components.matching.autoscaling.enabled=true"]);
    expect(hpa.status).not.toBe(0);
    expect(hpa.stderr).toMatch(/autoscaling|StatefulSet|partitions/);
    const unknown = template("rel", ["--set", "components.order.calls={wallet,nosuch}"]);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/nosuch/);
    const disabled = template("rel", ["--set", "components.auth.enabled=false"]);
    expect(disabled.status).not.toBe(0); // wallet calls auth
    expect(disabled.stderr).toMatch(/auth/);
  });

  it("refuses values that would unlock the pods (values.schema.json)", () => {
    for (const setting of [
      "default.securityContext.runAsNonRoot=false",
      "components.order.securityContext.readOnlyRootFilesystem=false",
      "components.wallet.securityContext.allowPrivilegeEscalation=true",
      "components.order.workload=Job",
      "components.auth.serviceAccount.roleArn=not-an-arn",
    ]) {
      const result = template("rel", ["--set", setting]);
      expect(result.status, setting).not.toBe(0);
      expect(result.stderr, setting).toMatch(/schema/);
    }
  });
  describe("monitoring and ingress (ci/hardened-values.yaml turns them on)", () => {
    let docs: Obj[] = [];
    beforeAll(() => {
      docs = render("rel", ["-f", join(chart, "ci/hardened-values.yaml")]);
    });

    it("scrapes every component's /metrics on its http port, labelled by component", () => {
      const monitor = docs.find((d) => d.kind === "PodMonitor");
      expect(monitor.metadata.labels.release).toBe("kube-prometheus-stack");
      expect(monitor.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "exchange", "app.kubernetes.io/instance": "rel" });
      const [endpoint] = monitor.spec.podMetricsEndpoints;
      expect(endpoint).toMatchObject({ port: "http", path: "/metrics" });
      expect(endpoint.relabelings).toContainEqual({ sourceLabels: ["__meta_kubernetes_pod_label_app_kubernetes_io_component"], targetLabel: "component" });
      const service = render("rel", ["-f", join(chart, "ci/hardened-values.yaml"), "--set", "monitoring.scrape.kind=ServiceMonitor"]).find((d) => d.kind === "ServiceMonitor");
      expect(service.spec.endpoints[0]).toMatchObject({ port: "http", path: "/metrics" });
    });

    it("carries files/prometheus-rules.yaml unchanged in the PrometheusRule", () => {
      const rule = docs.find((d) => d.kind === "PrometheusRule");
      const file = JSON.parse(
        execFileSync(python, ["-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", join(chart, "files/prometheus-rules.yaml")], { encoding: "utf8" }),
      ) as Obj;
      expect(rule.spec).toEqual(file);
      const alerts = file.groups.flatMap((group: Obj) => group.rules.map((r: Obj) => r.alert).filter(Boolean));
      expect(alerts).toEqual(expect.arrayContaining(["ExchangeConservationBroken", "ExchangeEventConsumerLagging", "ExchangeRpcErrorRate", "ExchangeRpcLatencyHigh", "ExchangeWithdrawalsWaitingTooLong", "ExchangeCertificateExpiresSoon", "ExchangeMatchingTwoWriters"]));
    });

    it("routes REST and WebSockets to the edge's http port and gRPC to its h2c port, both over TLS on one ALB", () => {
      const http = docs.find((d) => d.kind === "Ingress" && d.metadata.name === "exchange-edge-http");
      const grpc = docs.find((d) => d.kind === "Ingress" && d.metadata.name === "exchange-edge-grpc");
      for (const ingress of [http, grpc]) {
        expect(ingress.spec.ingressClassName).toBe("alb");
        expect(ingress.metadata.annotations).toMatchObject({ "alb.ingress.kubernetes.io/group.name": "exchange", "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS":443}]', "alb.ingress.kubernetes.io/target-type": "ip" });
        expect(ingress.metadata.annotations["alb.ingress.kubernetes.io/certificate-arn"]).toMatch(/^arn:aws:acm:/);
        expect(ingress.spec.tls[0].hosts).toEqual([ingress.spec.rules[0].host]);
      }
      expect(http.spec.rules[0].http.paths.map((p: Obj) => [p.path, p.backend.service.name, p.backend.service.port.name])).toEqual([
        ["/api/", "exchange-edge", "http"],
        ["/ws", "exchange-edge", "http"],
        ["/stream", "exchange-edge", "http"],
        ["/connect/", "exchange-edge", "http"],
      ]);
      expect(grpc.metadata.annotations).toMatchObject({ "alb.ingress.kubernetes.io/backend-protocol-version": "GRPC", "alb.ingress.kubernetes.io/healthcheck-path": "/grpc.health.v1.Health/Check" });
      expect(grpc.spec.rules[0].http.paths).toEqual([{ path: "/connect/", pathType: "Prefix", backend: { service: { name: "exchange-edge", port: { name: "grpc" } } } }]);
      // One host for both: /connect/ goes to gRPC only, or the ALB would see two rules for one path.
      const shared = render("rel", ["-f", join(chart, "ci/hardened-values.yaml"), "--set", "ingress.grpcHost=api.exchange.example.com"]);
      const sharedHttp = shared.find((d) => d.kind === "Ingress" && d.metadata.name === "exchange-edge-http");
      expect(sharedHttp.spec.rules[0].http.paths.map((p: Obj) => p.path)).toEqual(["/api/", "/ws", "/stream"]);
    });

    it("ships each dashboard in a ConfigMap Grafana's sidecar picks up, the JSON unchanged", () => {
      const maps = docs.filter((d) => d.kind === "ConfigMap" && d.metadata.labels?.grafana_dashboard === "1");
      expect(maps.map((m) => m.metadata.name).sort()).toEqual(["exchange-dashboard-exchange-edge", "exchange-dashboard-exchange-matching", "exchange-dashboard-exchange-order-path", "exchange-dashboard-exchange-overview", "exchange-dashboard-exchange-wallet"]);
      for (const map of maps) {
        expect(map.metadata.annotations).toEqual({ grafana_folder: "Exchange" });
        const [[file, json]] = Object.entries(map.data) as [string, string][];
        expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync(join(chart, "files/dashboards", file), "utf8")));
      }
    });

    it("renders none of them by default", () => {
      const defaults = render("rel", ["-f", join(chart, "ci/default-values.yaml")]);
      expect(defaults.filter((d) => ["PodMonitor", "ServiceMonitor", "PrometheusRule", "Ingress"].includes(d.kind) || d.metadata.labels?.grafana_dashboard)).toEqual([]);
    });
  });
});

{{/*
The objects one component renders. Each takes a dict: root, name, component (merged values, see
exchange.component.values), raw (the component's own block).
*/}}

{{/* The chart's environment for a component, then secretEnv, then default.env, then the component's env. */}}
{{- define "exchange.env" -}}
{{- $root := .root -}}
{{- $c := .component -}}
- name: EXCHANGE_SERVICE
  value: {{ .name | quote }}
- name: EXCHANGE_HOST
  value: "0.0.0.0"
- name: EXCHANGE_GRPC_PORT
  value: {{ $c.ports.grpc | quote }}
- name: EXCHANGE_HTTP_PORT
  value: {{ $c.ports.http | quote }}
- name: EXCHANGE_DATA_DIR
  value: {{ ternary "/var/lib/exchange" "/tmp/exchange" (eq $c.workload "StatefulSet") | quote }}
{{- if eq .name "matching" }}
- name: MATCHING_DATA_DIR
  value: /var/lib/exchange/matching
- name: MATCHING_COMMANDS_TOPIC
  value: {{ $c.commandsTopic | default "exchange.matching.commands.v1" | quote }}
{{- end }}
{{- if eq .name "edge" }}
- name: EDGE_CORS_ORIGINS
  value: {{ $c.corsOrigins | default "" | quote }}
{{- end }}
{{- range $callee := $c.calls }}
{{- $target := index $root.Values.components $callee }}
{{- $calleeName := include "exchange.component.fullname" (dict "root" $root "name" $callee) }}
{{- $calleeReplicas := int (ternary $target.replicas 1 (hasKey $target "replicas")) }}
- name: {{ printf "%s_ADDR" (upper $callee) }}
{{- if and (eq ($target.workload | default "Deployment") "StatefulSet") (gt $calleeReplicas 1) }}
  {{- /* Replicas that lead per key (matching: a leader per symbol, warm standbys): every pod, by its stable name. */}}
  {{- $pods := list }}
  {{- range $i := until $calleeReplicas }}
  {{- $pods = append $pods (printf "http://%s-%d.%s-headless:%v" $calleeName $i $calleeName $target.ports.grpc) }}
  {{- end }}
  value: {{ join "," $pods | quote }}
{{- else }}
  value: {{ printf "http://%s:%v" $calleeName $target.ports.grpc | quote }}
{{- end }}
{{- end }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_SERVICE_NAME
  valueFrom:
    fieldRef:
      fieldPath: "metadata.labels['app.kubernetes.io/component']"
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "%s,k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME)" $c.otel.resourceAttributes | trimPrefix "," | quote }}
{{- with $c.otel.exporterEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- range $var, $key := $c.secretEnv }}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ include "exchange.secretName" $root }}
      key: {{ $key }}
{{- end }}
{{- with $root.Values.default.env }}
{{ toYaml . }}
{{- end }}
{{- with .raw.env }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "exchange.probe" -}}
grpc:
  port: {{ .port }}
periodSeconds: {{ .probe.periodSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
{{- end -}}

{{- define "exchange.podTemplate" -}}
{{- $root := .root -}}
{{- $c := .component -}}
metadata:
  labels:
    {{- include "exchange.component.selectorLabels" . | nindent 4 }}
    app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
    {{- with $c.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include (print $root.Template.BasePath "/config.yaml") $root | sha256sum }}
    {{- with $c.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "exchange.component.serviceAccountName" . }}
  # IRSA injects its own projected token; nothing here talks to the Kubernetes API.
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- with $c.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml $c.podSecurityContext | nindent 4 }}
  containers:
    - name: {{ .name }}
      image: {{ include "exchange.image" . | quote }}
      imagePullPolicy: {{ $c.image.pullPolicy }}
      ports:
        - name: grpc
          containerPort: {{ $c.ports.grpc }}
          protocol: TCP
        - name: http
          containerPort: {{ $c.ports.http }}
          protocol: TCP
      env:
        {{- include "exchange.env" . | nindent 8 }}
      envFrom:
        - configMapRef:
            name: {{ include "exchange.prefix" $root }}-config
        {{- with $root.Values.default.envFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with .raw.envFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      startupProbe:
        {{- include "exchange.probe" (dict "port" $c.ports.grpc "probe" $c.probes.startup) | nindent 8 }}
      readinessProbe:
        {{- include "exchange.probe" (dict "port" $c.ports.grpc "probe" $c.probes.readiness) | nindent 8 }}
      livenessProbe:
        {{- include "exchange.probe" (dict "port" $c.ports.grpc "probe" $c.probes.liveness) | nindent 8 }}
      resources:
        {{- toYaml $c.resources | nindent 8 }}
      securityContext:
        {{- toYaml $c.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if eq $c.workload "StatefulSet" }}
        - name: data
          mountPath: /var/lib/exchange
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ $c.tmpSizeLimit }}
    {{- if and (eq $c.workload "StatefulSet") (not $c.persistence.enabled) }}
    - name: data
      emptyDir: {}
    {{- end }}
  {{- with $c.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{- define "exchange.deployment" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "exchange.component.fullname" . }}
  labels:
    {{- include "exchange.component.labels" . | nindent 4 }}
spec:
  {{- if not .component.autoscaling.enabled }}
  replicas: {{ .replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "exchange.component.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    {{- include "exchange.podTemplate" . | nindent 4 }}
{{- end -}}

{{/*
Matching: a StatefulSet (stable identity and one volume per replica for snapshots), pods started in
parallel; which symbols a replica matches comes from the command log's partition assignment.
*/}}
{{- define "exchange.statefulset" -}}
{{- $c := .component -}}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ include "exchange.component.fullname" . }}
  labels:
    {{- include "exchange.component.labels" . | nindent 4 }}
spec:
  serviceName: {{ include "exchange.component.fullname" . }}-headless
  replicas: {{ .replicas }}
  podManagementPolicy: Parallel
  revisionHistoryLimit: 5
  updateStrategy:
    type: RollingUpdate
  selector:
    matchLabels:
      {{- include "exchange.component.selectorLabels" . | nindent 6 }}
  template:
    {{- include "exchange.podTemplate" . | nindent 4 }}
  {{- if $c.persistence.enabled }}
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Retain
    whenScaled: Retain
  volumeClaimTemplates:
    - apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: data
        labels:
          {{- include "exchange.component.selectorLabels" . | nindent 10 }}
      spec:
        accessModes:
          {{- toYaml $c.persistence.accessModes | nindent 10 }}
        {{- with $c.persistence.storageClassName }}
        storageClassName: {{ . | quote }}
        {{- end }}
        resources:
          requests:
            storage: {{ $c.persistence.size }}
  {{- end }}
{{- end -}}

{{- define "exchange.service" -}}
{{- $c := .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "exchange.component.fullname" . }}
  labels:
    {{- include "exchange.component.labels" . | nindent 4 }}
  {{- with $c.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $c.service.type }}
  selector:
    {{- include "exchange.component.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ $c.ports.grpc }}
      targetPort: grpc
      protocol: TCP
      appProtocol: kubernetes.io/h2c
    - name: http
      port: {{ $c.ports.http }}
      targetPort: http
      protocol: TCP
      appProtocol: http
{{- end -}}

{{/* Stable per-pod DNS names for the StatefulSet (<pod>.<prefix>-matching-headless). */}}
{{- define "exchange.headlessService" -}}
{{- $c := .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "exchange.component.fullname" . }}-headless
  labels:
    {{- include "exchange.component.labels" . | nindent 4 }}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    {{- include "exchange.component.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ $c.ports.grpc }}
      targetPort: grpc
      protocol: TCP
      appProtocol: kubernetes.io/h2c
    - name: http
      port: {{ $c.ports.http }}
      targetPort: http
      protocol: TCP
      appProtocol: http
{{- end -}}

{{- define "exchange.serviceAccount" -}}
{{- $sa := .component.serviceAccount -}}
{{- $annotations := deepCopy (default dict $sa.annotations) -}}
{{- with $sa.roleArn }}
{{- $_ := set $annotations "eks.amazonaws.com/role-arn" . -}}
{{- end }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "exchange.component.serviceAccountName" . }}
  labels:
    {{- include "exchange.component.labels" . | nindent 4 }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end -}}

{{- define "exchange.hpa" -}}
{{- $a := .component.autoscaling -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "exchange.component.fullname" . }}
  labels:
    {{- include "exchange.component.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "exchange.component.fullname" . }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $a.targetCPUUtilizationPercentage }}
    {{- with $a.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
{{- end -}}

{{- define "exchange.pdb" -}}
{{- $p := .component.podDisruptionBudget -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "exchange.component.fullname" . }}
  labels:
    {{- include "exchange.component.labels" . | nindent 4 }}
spec:
  {{- if hasKey $p "maxUnavailable" }}
  maxUnavailable: {{ $p.maxUnavailable }}
  {{- else }}
  minAvailable: {{ default 1 $p.minAvailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "exchange.component.selectorLabels" . | nindent 6 }}
{{- end -}}

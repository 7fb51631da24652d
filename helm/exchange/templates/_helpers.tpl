{{/*
Names and labels. Every object is <prefix>-<component>; the prefix is the release name unless
fullnameOverride says otherwise.
*/}}

{{- define "exchange.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "exchange.prefix" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "exchange.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that pick the release's pods (the default-deny policy selects on these). */}}
{{- define "exchange.selectorLabels" -}}
app.kubernetes.io/name: {{ include "exchange.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "exchange.labels" -}}
helm.sh/chart: {{ include "exchange.chart" . }}
{{ include "exchange.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: exchange
{{- end -}}

{{/* Component helpers take a dict: root (the chart's top context), name, component (the merged values). */}}

{{- define "exchange.component.fullname" -}}
{{- printf "%s-%s" (include "exchange.prefix" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "exchange.component.selectorLabels" -}}
{{ include "exchange.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "exchange.component.labels" -}}
{{ include "exchange.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "exchange.component.serviceAccountName" -}}
{{- if .component.serviceAccount.create -}}
{{ include "exchange.component.fullname" . }}
{{- else -}}
{{ default "default" .component.serviceAccount.name }}
{{- end -}}
{{- end -}}

{{- define "exchange.secretName" -}}
{{- default (printf "%s-secrets" (include "exchange.prefix" .)) .Values.secrets.name -}}
{{- end -}}

{{- define "exchange.image" -}}
{{- $image := .component.image -}}
{{- printf "%s:%s" $image.repository (default .root.Chart.AppVersion $image.tag | toString) -}}
{{- end -}}

{{/*
A component's values: `default` with the component's block over it. Lists are not concatenated here;
env and envFrom are, in exchange.env / the pod template. Returns YAML (use fromYaml).
*/}}
{{- define "exchange.component.values" -}}
{{- $root := .root -}}
{{- $merged := mergeOverwrite (deepCopy (omit $root.Values.default "env" "envFrom")) (deepCopy (omit .component "env" "envFrom")) -}}
{{- toYaml $merged -}}
{{- end -}}

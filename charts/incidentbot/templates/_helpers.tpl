{{- define "incidentbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "incidentbot.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "incidentbot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "incidentbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "incidentbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "incidentbot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The Secret with the Slack tokens: the user's, or the chart's. */}}
{{- define "incidentbot.slackSecret" -}}
{{- default (include "incidentbot.fullname" .) .Values.slack.existingSecret -}}
{{- end -}}

{{/* The chart renders a Secret when something secret comes from values. */}}
{{- define "incidentbot.renderSecret" -}}
{{- if or (not .Values.slack.existingSecret) (and .Values.redis.password (not .Values.redis.existingSecret)) -}}true{{- end -}}
{{- end -}}

{{- define "incidentbot.config" -}}
{{ toYaml .Values.config }}
{{- end -}}

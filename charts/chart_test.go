// Package charts_test renders the Helm chart for each scenario and checks
// what Kubernetes would get. CI renders with helm beforehand and points
// INCIDENTBOT_CHART_RENDERED at the files; without it the test renders itself
// with `go run helm.sh/helm/v3/cmd/helm@v3.22.0`.
package charts_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/config"
)

type manifest map[string]any

func (m manifest) kind() string { s, _ := m["kind"].(string); return s }

// get walks a path of map keys and list indexes.
func get(v any, path ...any) any {
	for _, p := range path {
		if m, ok := v.(manifest); ok { // yaml decodes nested maps to the outer map's type
			v = map[string]any(m)
		}
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func render(t *testing.T, scenario string) []manifest {
	t.Helper()
	var out []byte
	if dir := os.Getenv("INCIDENTBOT_CHART_RENDERED"); dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, scenario+".yaml"))
		if err != nil {
			t.Fatalf("CI rendered no %s: %v", scenario, err)
		}
		out = b
	} else {
		// Compiling Helm here would take minutes on a fresh machine: the
		// chart is rendered where Helm is installed, or by .ci/run beforehand.
		bin, err := exec.LookPath("helm")
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("CI must render the chart first (INCIDENTBOT_CHART_RENDERED), as .ci/run does")
			}
			t.Skip("the chart is not rendered: helm is not installed and INCIDENTBOT_CHART_RENDERED is not set (.ci/run renders it)")
		}
		args := []string{"template", "ci", "incidentbot"}
		if scenario != "default" {
			args = append(args, "-f", filepath.Join("incidentbot", "ci", scenario+"-values.yaml"))
		}
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("helm template %s: %v\n%s", scenario, err, stderr.String())
		}
		out = b
	}
	var docs []manifest
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var m manifest
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", scenario, err)
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
	return docs
}

func only(t *testing.T, docs []manifest, kind string) manifest {
	t.Helper()
	var found []manifest
	for _, d := range docs {
		if d.kind() == kind {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s manifests, want 1", len(found), kind)
	}
	return found[0]
}

func count(docs []manifest, kind string) int {
	n := 0
	for _, d := range docs {
		if d.kind() == kind {
			n++
		}
	}
	return n
}

// env returns the container's environment: name -> value, or "secret:<name>/<key>".
func env(dep manifest) map[string]string {
	out := map[string]string{}
	list, _ := get(dep, "spec", "template", "spec", "containers", 0, "env").([]any)
	for _, e := range list {
		name, _ := get(e, "name").(string)

		if v, ok := get(e, "value").(string); ok {
			out[name] = v
		} else if s, ok := get(e, "valueFrom", "secretKeyRef", "name").(string); ok {
			out[name] = fmt.Sprintf("secret:%s/%v", s, get(e, "valueFrom", "secretKeyRef", "key"))
		}
	}
	return out
}

func TestChartScenarios(t *testing.T) {
	tests := []struct {
		scenario string
		secrets  []string // secret values from the values file, which must stay out of ConfigMaps and plain env
		check    func(t *testing.T, docs []manifest, dep manifest, e map[string]string)
	}{
		{"default", nil, func(t *testing.T, docs []manifest, dep manifest, e map[string]string) {
			if count(docs, "Secret") != 0 || e["SLACK_BOT_TOKEN"] != "secret:incidentbot-slack/SLACK_BOT_TOKEN" || e["SLACK_APP_TOKEN"] != "secret:incidentbot-slack/SLACK_APP_TOKEN" {
				t.Errorf("default: tokens should come from the existing Secret incidentbot-slack: %v", e)
			}
			if get(dep, "spec", "replicas") != 2 || e["REDIS_URL"] != "redis://redis:6379/0" {
				t.Errorf("default: replicas %v, REDIS_URL %q", get(dep, "spec", "replicas"), e["REDIS_URL"])
			}
			if count(docs, "Ingress") != 0 || count(docs, "ServiceMonitor") != 0 {
				t.Error("default: optional Ingress or ServiceMonitor rendered")
			}
		}},
		{"socket", []string{"xoxb-ci-bot-token", "xapp-ci-app-token"}, func(t *testing.T, docs []manifest, dep manifest, e map[string]string) {
			if e["SLACK_APP_TOKEN"] != "secret:ci-incidentbot/SLACK_APP_TOKEN" || e["SLACK_SIGNING_SECRET"] != "" {
				t.Errorf("socket: env %v", e)
			}
			sm := only(t, docs, "ServiceMonitor")
			if get(sm, "spec", "endpoints", 0, "path") != "/metrics" {
				t.Errorf("ServiceMonitor: %v", get(sm, "spec"))
			}
			var cfg map[string]any
			file, _ := get(only(t, docs, "ConfigMap"), "data", "incidentbot.yaml").(string)
			_ = yaml.Unmarshal([]byte(file), &cfg)
			if cfg["stakeholder_channel"] != "C0STAKEHOLDERS" {
				t.Errorf("config from values: %v", cfg)
			}
		}},
		{"http-ingress", []string{"xoxb-ci-bot-token", "ci-signing-secret-value"}, func(t *testing.T, docs []manifest, dep manifest, e map[string]string) {
			if e["SLACK_SIGNING_SECRET"] != "secret:ci-incidentbot/SLACK_SIGNING_SECRET" || e["SLACK_APP_TOKEN"] != "" {
				t.Errorf("http: env %v", e)
			}
			ing := only(t, docs, "Ingress")
			var paths []string
			for i := range 3 {
				p, _ := get(ing, "spec", "rules", 0, "http", "paths", i, "path").(string)
				paths = append(paths, p)
			}
			if strings.Join(paths, ",") != "/slack/commands,/slack/events,/slack/interactions" {
				t.Errorf("ingress paths %v", paths)
			}
		}},
		{"sentinel", []string{"ci-redis-password-value"}, func(t *testing.T, docs []manifest, dep manifest, e map[string]string) {
			if e["REDIS_SENTINEL_ADDRS"] != "redis-sentinel-0.redis:26379,redis-sentinel-1.redis:26379" || e["REDIS_SENTINEL_MASTER"] != "mymaster" || e["REDIS_MIN_REPLICAS"] != "1" ||
				e["REDIS_URL"] != "" || e["REDIS_PASSWORD"] != "secret:ci-incidentbot/REDIS_PASSWORD" {
				t.Errorf("sentinel: env %v", e)
			}
		}},
		{"existing-secret", nil, func(t *testing.T, docs []manifest, dep manifest, e map[string]string) {
			if count(docs, "Secret") != 0 {
				t.Error("existing-secret: the chart rendered a Secret")
			}
			if e["SLACK_BOT_TOKEN"] != "secret:security-slack/bot" || e["SLACK_APP_TOKEN"] != "secret:security-slack/app" ||
				e["REDIS_PASSWORD"] != "secret:security-redis/password" || e["REDIS_CLUSTER_ADDRS"] != "redis-cluster-0:6379,redis-cluster-1:6379,redis-cluster-2:6379" {
				t.Errorf("existing-secret: env %v", e)
			}
			if get(dep, "spec", "replicas") != 3 {
				t.Errorf("replicas %v", get(dep, "spec", "replicas"))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			docs := render(t, tt.scenario)
			dep := only(t, docs, "Deployment")
			e := env(dep)
			pod := get(dep, "spec", "template", "spec")
			c := get(pod, "containers", 0)

			// Probes on the right paths, through the named port.
			if get(c, "livenessProbe", "httpGet", "path") != "/healthz" || get(c, "readinessProbe", "httpGet", "path") != "/readyz" ||
				get(c, "livenessProbe", "httpGet", "port") != "http" || get(c, "ports", 0, "containerPort") != 8080 || e["HTTP_ADDR"] != ":8080" {
				t.Errorf("probes or port wrong: %v", c)
			}
			// /readyz takes up to 2 s (a slow Redis, auth.test): Kubernetes'
			// default of 1 s would mark a healthy pod unready.
			if to, ok := get(c, "readinessProbe", "timeoutSeconds").(int); !ok || to <= 2 {
				t.Errorf("readiness probe times out after %v s, want more than the 2 s /readyz may take", get(c, "readinessProbe", "timeoutSeconds"))
			}
			// The hardened security context.
			if get(pod, "securityContext", "runAsNonRoot") != true || get(pod, "securityContext", "seccompProfile", "type") != "RuntimeDefault" ||
				get(c, "securityContext", "readOnlyRootFilesystem") != true || get(c, "securityContext", "allowPrivilegeEscalation") != false ||
				get(c, "securityContext", "capabilities", "drop", 0) != "ALL" || get(pod, "automountServiceAccountToken") != false {
				t.Errorf("security context: pod %v, container %v", get(pod, "securityContext"), get(c, "securityContext"))
			}
			if get(pod, "topologySpreadConstraints", 0, "topologyKey") != "kubernetes.io/hostname" {
				t.Error("no topology spread")
			}
			if only(t, docs, "PodDisruptionBudget") == nil || only(t, docs, "Service") == nil {
				t.Error("no PodDisruptionBudget or Service")
			}
			// The configuration: mounted, pointed to, rolled on change, and valid for the bot itself.
			if e["INCIDENT_CONFIG"] != "/etc/incidentbot/incidentbot.yaml" || get(c, "volumeMounts", 0, "mountPath") != "/etc/incidentbot" {
				t.Errorf("config not mounted where INCIDENT_CONFIG points: %v", e["INCIDENT_CONFIG"])
			}
			if sum, _ := get(dep, "spec", "template", "metadata", "annotations", "checksum/config").(string); len(sum) != 64 {
				t.Error("no checksum/config annotation")
			}
			cm := only(t, docs, "ConfigMap")
			file, _ := get(cm, "data", "incidentbot.yaml").(string)
			if _, err := config.ParseFile([]byte(file)); err != nil {
				t.Errorf("the rendered configuration is refused by the bot: %v\n%s", err, file)
			}
			// Nothing secret outside Secrets: not in a ConfigMap, not as a plain env value.
			var secrets []string
			secrets = append(secrets, tt.secrets...)
			for _, d := range docs {
				if d.kind() != "Secret" {
					continue
				}
				data, _ := get(d, "data").(manifest)
				for _, v := range data {
					b, _ := base64.StdEncoding.DecodeString(fmt.Sprint(v))
					secrets = append(secrets, string(b))
				}
			}
			for _, d := range docs {
				if d.kind() == "Secret" {
					continue
				}
				raw, _ := yaml.Marshal(d)
				for _, s := range secrets {
					if s != "" && strings.Contains(string(raw), s) {
						t.Errorf("a secret value appears in a %s", d.kind())
					}
				}
			}
			for name, v := range e {
				if slices.Contains([]string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "REDIS_PASSWORD"}, name) && !strings.HasPrefix(v, "secret:") {
					t.Errorf("%s is not taken from a Secret", name)
				}
			}
			tt.check(t, docs, dep, e)
		})
	}
}

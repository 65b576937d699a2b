package config

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
)

// An identification item declaring does is written done_by: declare; the
// built-in one is. Anywhere else, or anything else, is refused by path.
func TestDoneByDeclare(t *testing.T) {
	if items := Defaults().Playbooks[incident.Identification]; !items[len(items)-1].DoneByDeclaring {
		t.Errorf("the built-in %q is not done by declaring", items[len(items)-1].Text)
	}
	f, err := ParseFile([]byte("playbooks:\n  identification:\n    - {text: Name the commander, done_by: declare}\n    - Scope it\n"))
	if err != nil {
		t.Fatal(err)
	}
	if items := f.Playbooks[incident.Identification]; !items[0].DoneByDeclaring || items[1].DoneByDeclaring {
		t.Errorf("parsed %+v", items)
	}
	for _, yaml := range []string{
		"playbooks:\n  containment:\n    - {text: Isolate, done_by: declare}\n",
		"playbooks:\n  identification:\n    - {text: Scope it, done_by: close}\n",
	} {
		_, err := ParseFile([]byte(yaml))
		if err == nil || !strings.Contains(err.Error(), "done_by: can only be declare, on an identification item") {
			t.Errorf("%q: %v", yaml, err)
		}
	}
}

func TestDigestWhenEmpty(t *testing.T) {
	if Defaults().DigestWhenEmpty {
		t.Error("an empty digest is posted by default")
	}
	f, err := ParseFile([]byte("digest_when_empty: true\n"))
	if err != nil || !f.DigestWhenEmpty {
		t.Errorf("digest_when_empty: true gave %v, %v", f.DigestWhenEmpty, err)
	}
}

// A phase written twice in different case is refused, not decided by the
// order of a map.
func TestAPhaseNamedTwiceIsRefused(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"playbooks:\n  Containment: [Isolate]\n  containment: [Block]\n", "playbooks.containment: names the phase containment again (as Containment): keep one"},
		{"severities:\n  - {name: sev1, targets: {Containment: 1h, containment: 2h}}\n", "severities[0].targets.containment: names the phase containment again (as Containment): keep one"},
	} {
		_, err := ParseFile([]byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v", tt.yaml, err)
		}
	}
}

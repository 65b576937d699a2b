package incident

import "testing"

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"42", 42, true},
		{"INC-42", 42, true},
		{"inc-7", 7, true},
		{"#3", 3, true},
		{"0", 0, false},
		{"INC-", 0, false},
		{"-4", 0, false},
		{"4a", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRef(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRef(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParsePhase(t *testing.T) {
	for _, p := range Phases() {
		got, ok := ParsePhase(string(p))
		if !ok || got != p {
			t.Errorf("ParsePhase(%q) = %q, %v", p, got, ok)
		}
	}
	if got, ok := ParsePhase("Containment"); !ok || got != Containment {
		t.Errorf("ParsePhase is case sensitive: %q %v", got, ok)
	}
	if _, ok := ParsePhase("triage"); ok {
		t.Error("ParsePhase accepted an unknown phase")
	}
	if Lessons.Title() != "Lessons learned" || Containment.Title() != "Containment" {
		t.Errorf("titles: %q %q", Lessons.Title(), Containment.Title())
	}
}

func TestIsMember(t *testing.T) {
	inc := Incident{Members: []string{"U1"}, Roles: map[string]string{"comms": "U2"}}
	if !inc.IsMember("U1") || !inc.IsMember("U2") || inc.IsMember("U3") {
		t.Errorf("IsMember wrong for %+v", inc)
	}
}

package incident

import (
	"testing"
	"time"
)

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

func TestPhaseOrder(t *testing.T) {
	if n, ok := Identification.Next(); !ok || n != Containment {
		t.Errorf("Identification.Next() = %v %v", n, ok)
	}
	if _, ok := Lessons.Next(); ok {
		t.Error("Lessons has a next phase")
	}
	if !Containment.Before(Recovery) || Recovery.Before(Containment) || Containment.Before(Containment) {
		t.Error("Before is wrong")
	}
}

func TestPhaseDurations(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	events := []TimelineEvent{
		{At: at(0), Kind: EventDeclared},
		{At: at(10), Kind: EventPhase, Phase: Containment},
		{At: at(15), Kind: EventNote},
		{At: at(40), Kind: EventPhase, Phase: Eradication},
		{At: at(50), Kind: EventPhase, Phase: Containment}, // back: reinfection
		{At: at(55), Kind: EventPhase, Phase: Eradication},
	}
	got := PhaseDurations(t0, events, at(75))
	want := map[Phase]time.Duration{Identification: 10 * time.Minute, Containment: 35 * time.Minute, Eradication: 30 * time.Minute}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for p, d := range want {
		if got[p] != d {
			t.Errorf("%s: %s, want %s", p, got[p], d)
		}
	}
}

package incident

import (
	"errors"
	"fmt"
	"net"
	"strings"
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

func TestEnterPhaseBeginsEachChecklistOnce(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	inc := &Incident{Number: 1, Phase: Identification}
	ev, began := inc.EnterPhase(t0, "U1", Containment, "", Items("Isolate"))
	if !began || inc.Phase != Containment || !inc.PhaseStartedAt.Equal(t0) || len(inc.Checklists[Containment]) != 1 ||
		ev.Kind != EventPhase || ev.From != "identification" || ev.To != "containment" || ev.Phase != Containment {
		t.Fatalf("first entry: %+v, began %v, incident %+v", ev, began, inc)
	}
	inc.Checklists[Containment][0].Done = true
	inc.EnterPhase(t0, "U1", Eradication, "", nil)
	ev, began = inc.EnterPhase(t0, "U1", Containment, "reinfection", Items("Isolate", "Other"))
	if began || !inc.Checklists[Containment][0].Done || len(inc.Checklists[Containment]) != 1 || ev.Reason != "reinfection" {
		t.Errorf("entering again restarted the checklist: %+v, %v", inc.Checklists[Containment], began)
	}
}

func TestTooLongAndHumanDuration(t *testing.T) {
	if err := TooLong("the note", strings.Repeat("é", 10), 10); err != nil {
		t.Errorf("10 characters (20 bytes) of 10: %v", err)
	}
	if err := TooLong("the note", strings.Repeat("a", 11), 10); ErrorCode(err) != Invalid || ErrorMessage(err, "").String() != "The note is 11 characters long; keep it to 10." {
		t.Errorf("11 of 10: %v", err)
	}
	for d, want := range map[time.Duration]string{
		20 * time.Second: "under a minute", 38 * time.Second: "under a minute", 90 * time.Second: "2m", 45 * time.Minute: "45m", 125 * time.Minute: "2h 5m", 76 * time.Hour: "3d 4h",
	} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestSentenceMarksItsParts(t *testing.T) {
	s := Say("%s is the %s of %s; type %s (%d left, %s)", UserRef("U1"), "<!here> lead", Strong("INC-7"),
		Literal("/incident note"), 3, Join(", ", ChannelRef("C1"), "a & b"))
	p := Parts{
		Text:    func(s string) string { return strings.ReplaceAll(s, "<", "&lt;") },
		User:    func(id string) string { return "[user " + id + "]" },
		Channel: func(id string) string { return "[channel " + id + "]" },
		Literal: func(s string) string { return "[code " + s + "]" },
		Strong:  func(s string) string { return "[strong " + s + "]" },
		Moment:  func(t time.Time) string { return t.Format(time.RFC3339) },
	}
	want := "[user U1] is the &lt;!here> lead of [strong INC-7]; type [code /incident note] (3 left, [channel C1], a & b)"
	if got := s.Draw(p); got != want {
		t.Errorf("Draw:\n got %s\nwant %s", got, want)
	}
	if got, want := s.String(), `@U1 is the <!here> lead of INC-7; type "/incident note" (3 left, #C1, a & b)`; got != want {
		t.Errorf("String:\n got %s\nwant %s", got, want)
	}
}

func TestErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code Code
		safe string
	}{
		{Errorf("bad %s", "x"), Invalid, "bad x"},
		{Fail(Conflict, "done"), Conflict, "done"},
		{fmt.Errorf("get: %w", ErrNotFound), NotFound, "That was not found."},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, Unavailable, "cannot reach"},
		{errors.New("dial tcp 10.0.0.1:6379: boom"), Internal, "Something went wrong (ref r1)"},
	} {
		if got := ErrorCode(tc.err); got != tc.code {
			t.Errorf("%v: code %s, want %s", tc.err, got, tc.code)
		}
		if msg := ErrorMessage(tc.err, "r1").String(); !strings.Contains(msg, tc.safe) || strings.Contains(msg, "10.0.0.1") {
			t.Errorf("%v: message %q", tc.err, msg)
		}
	}
}

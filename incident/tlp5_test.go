package incident

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A TLP:RED value withholds the text that names it, and only that: a short
// RED domain (a.co, which anyone working on an incident may add and mark)
// must not withhold whole sentences that never name it, only because a
// word ending in "a" is followed by one starting with "co".
func TestRedTextLeavesTextThatNeverNamesARedValue(t *testing.T) {
	red := WithholdRed([]Indicator{{Type: IOCDomain, Value: "a.co", Marking: "TLP:RED"}})
	for _, s := range []string{
		"the attacker used a compromised admin account",
		"carol disabled audit logging on a core switch",
		"data copied to the backup host",
	} {
		if got := red.Apply(s); got != s {
			t.Errorf("with a.co marked TLP:RED, Apply(%q) = %q: it names no a.co", s, got)
		}
	}
}

// Text with letters whose lower case is longer or shorter in bytes (a
// Turkish İ, a Sencoten Ⱥ) has a RED value taken out where it is, not a
// few bytes off: what is shown never holds all but the first character
// of the value (63 of a hash's 64 digits), nor text cut in the middle of
// a character, nor less of what surrounds the value than was written.
func TestRedTextTakesAValueOutWhereItIs(t *testing.T) {
	const hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	red := WithholdRed([]Indicator{{Type: IOCSHA256, Value: hash, Marking: "TLP:RED"}})
	n := len(hash) - 1
	s := strings.Repeat("İ", n) + " dropped " + hash + " on host-12 " + strings.Repeat("Ⱥ", n)
	got := red.Apply(s)
	if strings.Contains(got, hash[1:]) {
		t.Errorf("Apply shows 63 of the 64 digits of the TLP:RED hash: %q", got)
	}
	if !utf8.ValidString(got) {
		t.Errorf("Apply cut a character in two: %q", got)
	}
	if !strings.Contains(got, " dropped ") || !strings.Contains(got, " on host-12 ") {
		t.Errorf("Apply took out more than the value: %q", got)
	}
}

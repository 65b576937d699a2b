package incident

import "testing"

// A TLP:RED value is taken out of text however it is written there; other
// text is left as it is.
func TestRedTextWithholdsEveryShape(t *testing.T) {
	red := WithholdRed([]Indicator{
		{Type: IOCURL, Value: "https://partner-c2.example/gate.php", Marking: "TLP:RED"},
		{Type: IOCIPv4, Value: "10.2.3.4", Marking: "TLP:RED"},
		{Type: IOCDomain, Value: "benign.example", Marking: "TLP:GREEN"},
	})
	for _, tc := range []struct{ in, want string }{
		{"blocked https://partner-c2.example/gate.php at the edge", "blocked " + WithheldRed + " at the edge"},
		{"see hxxps[://]partner-c2[.]example/gate[.]php", "see " + WithheldRed},
		{"partner-c2.example/gate.php again", WithheldRed + " again"},
		{"Channel #inc-2-exfil-to-10-2-3-4 created", WithheldRed},
		{"Channel #inc-3-exfil-to-10-2-3-45 created", "Channel #inc-3-exfil-to-10-2-3-45 created"},
		{"then hxxps://partner-c2[.]example/gate.php", WithheldRed},
		{"exfil to 10.2.3.4", "exfil to " + WithheldRed},
		{"#inc-2-exfil-to-10-2-3-4", WithheldRed},
		{"benign.example is fine", "benign.example is fine"},
		{"version 10.2.3.40", "version 10.2.3.40"}, // another value: only a whole one is withheld
		{"Blocked PARTNER-C2.EXAMPLE/gate.php", "Blocked " + WithheldRed},
		{"10.2.3.4\xff", WithheldRed + "\xff"},
	} {
		if got := red.Apply(tc.in); got != tc.want {
			t.Errorf("Apply(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := (RedText{}).Apply("10.2.3.4"); got != "10.2.3.4" {
		t.Errorf("with nothing RED, Apply changed the text to %q", got)
	}
}

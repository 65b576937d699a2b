package storage

import (
	"cmp"
	"encoding/json"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// storedListing is an incident's listing as kept in openListKey: short
// names, one value per open incident.
type storedListing struct {
	Number     int64          `json:"n"`
	Title      string         `json:"t"`
	Severity   string         `json:"s"`
	Phase      incident.Phase `json:"p"`
	ChannelID  string         `json:"c,omitempty"`
	Commander  string         `json:"m,omitempty"`
	Private    bool           `json:"v,omitempty"`
	TLP        string         `json:"l,omitempty"` // "" is TLP:CLEAR
	Drill      bool           `json:"d,omitempty"`
	DeclaredAt int64          `json:"a"` // Unix ms
	Members    []string       `json:"u,omitempty"`
	Suspects   []string       `json:"x,omitempty"`
	Quiet      bool           `json:"q,omitempty"`
}

func encodeListing(l incident.Listing) string {
	b, _ := json.Marshal(storedListing{Number: l.Number, Title: l.Title, Severity: l.Severity, Phase: l.Phase,
		ChannelID: l.ChannelID, Commander: l.Commander, Private: l.Private, TLP: strings.TrimPrefix(l.TLP, "TLP:CLEAR"), Drill: l.Drill,
		DeclaredAt: l.DeclaredAt.UnixMilli(), Members: l.Members, Suspects: l.Suspects, Quiet: l.Quiet}) // strings, ints and bools: cannot fail
	return string(b)
}

func decodeListing(doc string) (incident.Listing, error) {
	var s storedListing
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		return incident.Listing{}, err
	}
	return incident.Listing{Number: s.Number, Title: s.Title, Severity: s.Severity, Phase: s.Phase, ChannelID: s.ChannelID,
		Commander: s.Commander, Private: s.Private, TLP: cmp.Or(s.TLP, "TLP:CLEAR"), Drill: s.Drill, DeclaredAt: time.UnixMilli(s.DeclaredAt).UTC(),
		Members: s.Members, Suspects: s.Suspects, Quiet: s.Quiet}, nil
}

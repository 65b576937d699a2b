package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

// A batch of maxBatch incidents whose titles are all '&' (each escaped to
// "&amp;", five characters) stays within Slack's 50 blocks: a batch over it
// would be refused as invalid_blocks and its updates lost.
func TestStakeholderBatchOfAmpersandTitlesFitsBlockKit(t *testing.T) {
	cfg := config.Defaults()
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	var many []*incident.Incident
	for n := range int64(maxBatch) {
		many = append(many, &incident.Incident{Number: n + 1, Title: strings.Repeat("&", incident.MaxTitleChars), Severity: "sev1",
			Phase: incident.Containment, Status: incident.Open, DeclaredAt: at, Roles: map[string]string{"commander": "UALICE"}})
	}
	msg := render.ScheduledUpdates(listItems(cfg, listings(many), true))
	if len(msg.Blocks) > render.MaxBlocks {
		t.Errorf("%d blocks, Slack allows %d", len(msg.Blocks), render.MaxBlocks)
	}
}

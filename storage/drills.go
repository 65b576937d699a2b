package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/incidentbot/incidentbot/incident"
)

// SaveDrillScore keeps a drill's score; saved again, it replaces the first.
func (s *Store) SaveDrillScore(ctx context.Context, score incident.DrillScore) error {
	doc, err := json.Marshal(score)
	if err != nil {
		return fmt.Errorf("save the score of %s: %w", incident.FormatRef(score.Incident), err)
	}
	if err := s.rdb.HSet(ctx, drillScoresKey, score.Incident, doc).Err(); err != nil {
		return fmt.Errorf("save the score of %s: %w", incident.FormatRef(score.Incident), err)
	}
	return nil
}

// DrillScores are the scores of every drill ended, oldest first.
func (s *Store) DrillScores(ctx context.Context) ([]incident.DrillScore, error) {
	all, err := s.rdb.HGetAll(ctx, drillScoresKey).Result()
	if err != nil {
		return nil, fmt.Errorf("read the drill scores: %w", err)
	}
	out := make([]incident.DrillScore, 0, len(all))
	for _, doc := range all {
		var score incident.DrillScore
		if err := json.Unmarshal([]byte(doc), &score); err != nil {
			return nil, fmt.Errorf("read the drill scores: %w", err)
		}
		out = append(out, score)
	}
	slices.SortFunc(out, func(a, b incident.DrillScore) int {
		return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.Incident, b.Incident))
	})
	return out, nil
}

package playground

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/slack-go/slack"
)

// The bot answers a 📌 with a :memo: reaction ("whoever pinned it sees it
// was taken"), but /api/state left reactions out, so on the page a pin
// seemed to do nothing at all.
func TestNewcomer17StateShowsTheBotsReactions(t *testing.T) {
	fs, srv, _ := serve(t)
	ch := fs.CreateChannel("general", false, fs.BotUserID, "UALICE")
	ts := fs.PostAs("UALICE", ch, "the source IP is 203.0.113.7")
	api := slack.New(fs.BotToken, slack.OptionAPIURL(fs.APIURL()))
	if err := api.AddReactionContext(context.Background(), "memo", slack.NewRefToMessage(ch, ts)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + "/api/state?user=UALICE&channel=" + ch)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Messages []struct {
			TS        string   `json:"ts"`
			Reactions []string `json:"reactions"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	for _, m := range st.Messages {
		if m.TS == ts {
			if len(m.Reactions) != 1 || m.Reactions[0] != "memo" {
				t.Errorf("the message's reactions in /api/state: %q, want [memo]", m.Reactions)
			}
			return
		}
	}
	t.Fatalf("message %s not in /api/state", ts)
}

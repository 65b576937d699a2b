package playground

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
)

// serve mounts the page onto a stand-in, without a bot: enough for what
// the page answers itself.
func serve(t *testing.T) (*fakeslack.Server, *httptest.Server, context.CancelFunc) {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	mux := http.NewServeMux()
	Mount(ctx, mux, fs)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	fs.SetLinkBase(srv.URL)
	return fs, srv, cancel
}

func post(t *testing.T, srv *httptest.Server, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Errorf("%s answered %s, not JSON: %v", path, resp.Status, err)
	}
	return resp.StatusCode, out
}

// Requests naming what does not exist are refused with a JSON error, not
// a panic, before the stand-in or the bot sees them.
func TestAPIRefusesWhatItCannotFind(t *testing.T) {
	fs, srv, _ := serve(t)
	general := fs.CreateChannel("general", false, fs.BotUserID, "UALICE", "UBOB")
	triage := fs.CreateChannel("security-triage", true, fs.BotUserID, "UBOB")
	ts := fs.PostAs("UALICE", general, "hello")
	cases := []struct{ path, body, want string }{
		{"/api/send", `{"user":"UALICE","channel":"C9999999","text":"hi"}`, `no channel "C9999999"`},
		{"/api/send", `{"user":"UALICE","channel":"C9999999","text":"/incident list"}`, `no channel "C9999999"`},
		{"/api/send", `{"user":"UALICE","text":"hi"}`, `no channel ""`},
		{"/api/send", `{"user":"UNOBODY","channel":"` + general + `","text":"hi"}`, `no person "UNOBODY"`},
		{"/api/send", `{"channel":"` + general + `","text":"hi"}`, `no person ""`},
		{"/api/send", `{"user":"UALICE",`, "not a JSON request"},
		{"/api/send", `{"user":"UALICE","channel":"` + triage + `","text":"hi"}`, "that UALICE can see"},
		{"/api/click", `{"user":"UALICE","channel":"C9999999","ts":"1.2","action_id":"x"}`, `no channel "C9999999"`},
		{"/api/click", `{"user":"UALICE","channel":"` + general + `","ts":"1.2","action_id":"x"}`, `no message "1.2"`},
		{"/api/check", `{"user":"UALICE","channel":"C9999999","ts":"` + ts + `"}`, `no channel`},
		{"/api/select", `{"user":"UNOBODY","channel":"` + general + `","ts":"` + ts + `"}`, `no person`},
		{"/api/shortcut", `{"user":"UALICE","channel":"C9999999","ts":"` + ts + `"}`, `no channel`},
		{"/api/react", `{"user":"UALICE","channel":"C9999999","ts":"` + ts + `"}`, `no channel`},
		{"/api/submit", `{"user":"UALICE","view_id":"V404","inputs":{}}`, `no form "V404"`},
		{"/api/submit", `[]`, "not a JSON request"},
	}
	for _, c := range cases {
		status, out := post(t, srv, c.path, c.body)
		if msg, _ := out["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, c.want) {
			t.Errorf("%s %s: %d %v, want 400 with %q", c.path, c.body, status, out, c.want)
		}
	}
	resp, err := http.Get(srv.URL + "/api/state?user=UNOBODY")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("state of an unknown person: %s, want 400", resp.Status)
	}
	// And what is right still goes through.
	if status, _ := post(t, srv, "/api/send", `{"user":"UBOB","channel":"`+general+`","text":"bob was here"}`); status != http.StatusOK {
		t.Errorf("a message in #general: %d", status)
	}
	if ch, _ := fs.Channel(general); ch.Messages[len(ch.Messages)-1].Text != "bob was here" {
		t.Errorf("the message was not posted: %+v", ch.Messages)
	}
}

// upload shares a file as the bot does (files upload v2) and returns its permalink.
func upload(t *testing.T, fs *fakeslack.Server, channel, name, content string) string {
	t.Helper()
	ctx := context.Background()
	api := slack.New(fs.BotToken, slack.OptionAPIURL(fs.APIURL()))
	up, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: name, FileSize: len(content)})
	if err != nil {
		t.Fatal(err)
	}
	if err := api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Filename: name, Content: content}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
		Files: []slack.FileSummary{{ID: up.FileID, Title: name}}, Channel: channel}); err != nil {
		t.Fatal(err)
	}
	file, _, _, err := api.GetFileInfoContext(ctx, up.FileID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return file.Permalink
}

func get(t *testing.T, link string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// The links the bot shares to its files open on the playground's page, as
// text or a download, never as a page of their own.
func TestFileLinksAreServed(t *testing.T) {
	fs, srv, _ := serve(t)
	ch := fs.CreateChannel("inc-1-x", false, fs.BotUserID, "UALICE")
	link := upload(t, fs, ch, "inc-1-postmortem.md", "# Postmortem <script>alert(1)</script>")
	if !strings.HasPrefix(link, srv.URL+"/files/") {
		t.Fatalf("the permalink %s is not on the page's server %s", link, srv.URL)
	}
	resp, body := get(t, link)
	h := resp.Header
	if resp.StatusCode != http.StatusOK || body != "# Postmortem <script>alert(1)</script>" {
		t.Errorf("the postmortem: %s %q", resp.Status, body)
	}
	if h.Get("Content-Type") != "text/plain; charset=utf-8" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Content-Disposition") != `inline; filename=inc-1-postmortem.md` || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("the postmortem's headers: %v", h)
	}
	resp, _ = get(t, upload(t, fs, ch, "page.html", "<h1>hi</h1>"))
	if resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("an HTML file is served as %v", resp.Header)
	}
	id := strings.Split(strings.TrimPrefix(link, srv.URL+"/files/"), "/")[0]
	for _, missing := range []string{"/files/F404/x.md", "/files/" + id + "/other.md", "/api/files/F404"} {
		if resp, _ := get(t, srv.URL+missing); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", missing, resp.Status)
		}
	}
	if resp, body := get(t, srv.URL+"/api/files/"+id); resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "# Postmortem") {
		t.Errorf("/api/files/%s: %s %q", id, resp.Status, body)
	}
}

// A message's permalink opens the page at that message.
func TestPermalinksOpenThePageAtTheMessage(t *testing.T) {
	fs, srv, _ := serve(t)
	ch := fs.CreateChannel("general", false, fs.BotUserID, "UALICE")
	ts := fs.PostAs("UALICE", ch, "look here")
	api := slack.New(fs.BotToken, slack.OptionAPIURL(fs.APIURL()))
	link, err := api.GetPermalinkContext(context.Background(), &slack.PermalinkParameters{Channel: ch, Ts: ts})
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := "/#channel=" + ch + "&message=" + ts; resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Errorf("the permalink: %s to %q, want 302 to %q", resp.Status, resp.Header.Get("Location"), want)
	}
	for _, missing := range []string{"/archives/C404/p1", "/archives/" + ch + "/p1"} {
		if resp, _ := get(t, srv.URL+missing); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", missing, resp.Status)
		}
	}
}

// An open event stream ends when the run does, so shutting the server
// down does not wait for the page to be closed.
func TestEventStreamsEndWithTheRun(t *testing.T) {
	_, srv, cancel := serve(t)
	resp, err := http.Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	if hello, err := lines.ReadString('\n'); err != nil || hello != "data: hello\n" {
		t.Fatalf("the stream began with %q, %v", hello, err)
	}
	ended := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, lines); ended <- err }()
	cancel()
	select {
	case err := <-ended:
		if err != nil {
			t.Errorf("the stream ended with %v", err)
		}
	case <-time.After(time.Second):
		t.Error("the stream is still open a second after the run ended")
	}
}

// Package playground is a small Slack-like web client onto the fake Slack,
// so people can try incidentbot without a workspace: the page shows the
// stand-in's channels and messages and sends what a person would (slash
// commands, messages, clicks, form submissions, reactions) through it to
// the real bot.
package playground

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
)

//go:embed static
var static embed.FS

// Mount adds the page and its API to mux. When ctx ends, the page's event
// streams end too: http.Server.Shutdown waits for every request, and a
// stream left open would hold it until its deadline.
func Mount(ctx context.Context, mux *http.ServeMux, slack *fakeslack.Server) {
	p := &page{slack: slack, done: ctx.Done()}
	files, _ := fs.Sub(static, "static")
	mux.Handle("GET /", http.FileServerFS(files))
	mux.HandleFunc("GET /api/state", p.state)
	mux.HandleFunc("GET /api/events", p.events)
	mux.HandleFunc("GET /api/files/{id}", p.file)
	// The links the stand-in hands out (SetLinkBase) point here.
	mux.HandleFunc("GET /files/{id}/{name}", p.file)
	mux.HandleFunc("GET /archives/{channel}/{message}", p.permalink)
	mux.HandleFunc("POST /api/send", p.forward(needChannel, p.send))
	mux.HandleFunc("POST /api/click", p.forward(needMessage, func(ctx context.Context, req request) (fakeslack.Delivered, error) {
		return slack.Click(ctx, req.User, req.Channel, req.TS, req.ActionID, req.Value)
	}))
	mux.HandleFunc("POST /api/check", p.forward(needMessage, func(ctx context.Context, req request) (fakeslack.Delivered, error) {
		return slack.Check(ctx, req.User, req.Channel, req.TS, req.ActionID, req.Values...)
	}))
	mux.HandleFunc("POST /api/select", p.forward(needMessage, func(ctx context.Context, req request) (fakeslack.Delivered, error) {
		return slack.Select(ctx, req.User, req.Channel, req.TS, req.ActionID, req.Value)
	}))
	mux.HandleFunc("POST /api/submit", p.forward(needView, func(ctx context.Context, req request) (fakeslack.Delivered, error) {
		return slack.Submit(ctx, req.User, req.ViewID, req.Inputs)
	}))
	mux.HandleFunc("POST /api/shortcut", p.forward(needMessage, func(ctx context.Context, req request) (fakeslack.Delivered, error) {
		callback := commands.ShortcutReport
		if req.Callback == commands.ShortcutIOC {
			callback = commands.ShortcutIOC
		}
		return slack.Shortcut(ctx, req.User, req.Channel, req.TS, callback)
	}))
	mux.HandleFunc("POST /api/react", p.forward(needMessage, func(ctx context.Context, req request) (fakeslack.Delivered, error) {
		_, d, err := slack.React(ctx, req.User, req.Channel, req.TS, fakeslack.PinReaction)
		return d, err
	}))
}

type page struct {
	slack *fakeslack.Server
	done  <-chan struct{} // closed when the run ends
}

type channelView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Private bool   `json:"private"`
	DM      bool   `json:"dm"`
	Topic   string `json:"topic,omitempty"`
}

type messageView struct {
	TS        string          `json:"ts"`
	User      string          `json:"user"`
	Text      string          `json:"text"`
	Blocks    json.RawMessage `json:"blocks,omitempty"`
	Ephemeral bool            `json:"ephemeral,omitempty"`
	Edited    bool            `json:"edited,omitempty"`
	Pinned    bool            `json:"pinned,omitempty"`
	Files     []fileView      `json:"files,omitempty"`
	// Reactions are the bot's reactions, by name: a :memo: on a message
	// someone 📌-ed says it is on the timeline.
	Reactions []string `json:"reactions,omitempty"`
}

type fileView struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Title string `json:"title"`
	Image bool   `json:"image"`
}

// state is everything the page shows to one user: the channels they can
// see, the selected channel's messages, and their open modals.
func (p *page) state(w http.ResponseWriter, r *http.Request) {
	user, selected := r.URL.Query().Get("user"), r.URL.Query().Get("channel")
	if !p.known(user) {
		refuse(w, http.StatusBadRequest, "no person %q in the workspace", user)
		return
	}
	out := struct {
		Bot      string            `json:"bot"`
		Users    []fakeslack.User  `json:"users"`
		Channels []channelView     `json:"channels"`
		Channel  *channelView      `json:"channel,omitempty"`
		Messages []messageView     `json:"messages"`
		Views    []json.RawMessage `json:"views"`
	}{Bot: p.slack.BotUserID, Users: p.slack.Users(), Messages: []messageView{}, Views: []json.RawMessage{}}
	for _, ch := range p.slack.Channels() {
		if !canSee(ch, user) {
			continue
		}
		cv := channelView{ID: ch.ID, Name: ch.Name, Private: ch.Private, DM: ch.DM != "", Topic: ch.Topic}
		if cv.DM {
			cv.Name = "incidentbot"
		}
		out.Channels = append(out.Channels, cv)
		if ch.ID != selected {
			continue
		}
		out.Channel = &cv
		for _, m := range ch.SeenBy(user) {
			mv := messageView{TS: m.TS, User: m.User, Text: m.Text, Blocks: m.Blocks, Ephemeral: m.VisibleTo != "",
				Edited: m.Edited, Pinned: slices.Contains(ch.Pins, m.TS), Reactions: m.Reactions}
			for _, id := range m.Files {
				if f, ok := p.slack.File(id); ok {
					mv.Files = append(mv.Files, fileView{ID: f.ID, Name: f.Name, Title: f.Title, Image: strings.HasSuffix(f.Name, ".png")})
				}
			}
			out.Messages = append(out.Messages, mv)
		}
	}
	for _, v := range p.slack.Views(user) {
		var view map[string]any
		_ = json.Unmarshal(v.JSON, &view)
		view["id"] = v.ID
		b, _ := json.Marshal(view)
		out.Views = append(out.Views, b)
	}
	writeJSON(w, http.StatusOK, out)
}

// events tells the page, as server-sent events, whenever anything changed.
func (p *page) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	// A stream outlives the server's read and write timeouts, which are for requests.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte("data: hello\n\n"))
	flusher.Flush()
	for {
		changed := p.slack.Changed()
		select {
		case <-r.Context().Done():
			return
		case <-p.done:
			return
		case <-changed:
			time.Sleep(30 * time.Millisecond) // coalesce a burst of changes into one refresh
			_, _ = w.Write([]byte("data: change\n\n"))
		case <-time.After(15 * time.Second):
			_, _ = w.Write([]byte(": keep-alive\n\n"))
		}
		flusher.Flush()
	}
}

// file serves an uploaded file: at /api/files/<id> for the page, and at
// the permalink the bot shares (/files/<id>/<name>) once it is shared.
func (p *page) file(w http.ResponseWriter, r *http.Request) {
	f, ok := p.slack.File(r.PathValue("id"))
	if name := r.PathValue("name"); name != "" && (f.Channel == "" || f.Name != name) {
		ok = false
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	kind, disposition := fileType(f.Name)
	w.Header().Set("Content-Type", kind)
	w.Header().Set("Content-Disposition", cmp.Or(mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}), disposition))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// Files hold what people wrote: opened in a tab, they run nothing.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, _ = w.Write(f.Content)
}

// fileType is how a file is served: an image as itself, text as plain text
// (never as HTML, whatever it holds), anything else as a download.
func fileType(name string) (kind, disposition string) {
	switch strings.ToLower(path.Ext(name)) {
	case ".png":
		return "image/png", "inline"
	case ".md", ".csv", ".json", ".txt", ".log":
		return "text/plain; charset=utf-8", "inline"
	}
	return "application/octet-stream", "attachment"
}

// permalink opens the page at a message, from the link chat.getPermalink
// gave (/archives/<channel>/p<ts without its dot>).
func (p *page) permalink(w http.ResponseWriter, r *http.Request) {
	ch, ok := p.slack.Channel(r.PathValue("channel"))
	digits, _ := strings.CutPrefix(r.PathValue("message"), "p")
	i := slices.IndexFunc(ch.Messages, func(m fakeslack.Message) bool {
		return m.VisibleTo == "" && strings.ReplaceAll(m.TS, ".", "") == digits
	})
	if !ok || i < 0 {
		http.NotFound(w, r)
		return
	}
	to := url.Values{"channel": {ch.ID}, "message": {ch.Messages[i].TS}}
	http.Redirect(w, r, "/#"+to.Encode(), http.StatusFound)
}

type request struct {
	User     string            `json:"user"`
	Channel  string            `json:"channel"`
	Text     string            `json:"text"`
	TS       string            `json:"ts"`
	ActionID string            `json:"action_id"`
	Callback string            `json:"callback"` // a message shortcut's callback ID
	Value    string            `json:"value"`
	Values   []string          `json:"values"`
	ViewID   string            `json:"view_id"`
	Inputs   map[string]string `json:"inputs"`
}

// need is what a request must name, beyond the person making it.
type need int

const (
	needChannel need = iota // a channel the person can see
	needMessage             // and a message in it they can see
	needView                // a form open for the person
)

func decode(w http.ResponseWriter, r *http.Request) (request, bool) {
	var req request
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		refuse(w, http.StatusBadRequest, "the body is not a JSON request: %v", err)
		return req, false
	}
	return req, true
}

// check says what is wrong with a request, before the stand-in acts on
// it: the stand-in trusts its callers, as tests are, and the page's API
// takes anything anyone sends.
func (p *page) check(req request, n need) string {
	if !p.known(req.User) {
		return fmt.Sprintf("no person %q in the workspace", req.User)
	}
	if n == needView {
		if !slices.ContainsFunc(p.slack.Views(req.User), func(v fakeslack.View) bool { return v.ID == req.ViewID }) {
			return fmt.Sprintf("no form %q open for %s", req.ViewID, req.User)
		}
		return ""
	}
	ch, ok := p.slack.Channel(req.Channel)
	if !ok || !canSee(ch, req.User) {
		return fmt.Sprintf("no channel %q that %s can see", req.Channel, req.User)
	}
	if n == needMessage && !slices.ContainsFunc(ch.SeenBy(req.User), func(m fakeslack.Message) bool { return m.TS == req.TS }) {
		return fmt.Sprintf("no message %q in %s", req.TS, req.Channel)
	}
	return ""
}

// known is a person of the workspace, one the page can act as.
func (p *page) known(user string) bool {
	return user != "" && user != p.slack.BotUserID &&
		slices.ContainsFunc(p.slack.Users(), func(u fakeslack.User) bool { return u.ID == user })
}

// canSee is what Slack shows a person: public channels, private ones they
// are in, and their own direct messages with the bot.
func canSee(ch fakeslack.Channel, user string) bool {
	if ch.DM != "" {
		return ch.DM == user
	}
	return !ch.Private || slices.Contains(ch.Members, user)
}

// send is the composer: `/incident …` is a slash command, anything else a message.
func (p *page) send(ctx context.Context, req request) (fakeslack.Delivered, error) {
	text := p.mentions(strings.TrimSpace(req.Text))
	if rest, isCommand := strings.CutPrefix(text, "/incident"); isCommand && (rest == "" || rest[0] == ' ') {
		return p.slack.Command(ctx, req.User, req.Channel, strings.TrimSpace(rest))
	}
	if text != "" {
		p.slack.PostAs(req.User, req.Channel, text)
	}
	return fakeslack.Delivered{}, nil
}

// mentions turns @name into Slack's mention markup, as Slack's client does.
func (p *page) mentions(text string) string {
	for _, u := range p.slack.Users() {
		text = strings.ReplaceAll(text, "@"+u.Name, "<@"+u.ID+"|"+u.Name+">")
	}
	return text
}

// action is something a person does on the page, sent through the stand-in.
type action func(ctx context.Context, req request) (fakeslack.Delivered, error)

// forward decodes a request from the page, checks it names what it needs,
// does it, and passes the bot's answer back.
func (p *page) forward(n need, do action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, ok := decode(w, r)
		if !ok {
			return
		}
		if problem := p.check(req, n); problem != "" {
			refuse(w, http.StatusBadRequest, "%s", problem)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		d, err := do(ctx, req)
		reply(w, d, err)
	}
}

// reply passes the bot's answer (a modal's field errors, say) to the page.
func reply(w http.ResponseWriter, d fakeslack.Delivered, err error) {
	if err != nil {
		refuse(w, http.StatusBadGateway, "the bot did not take it: %v", err)
		return
	}
	body := d.Body
	if len(body) == 0 || !json.Valid(body) {
		body = json.RawMessage("{}")
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// refuse answers {"error": "…"}, which the page shows as it is.
func refuse(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

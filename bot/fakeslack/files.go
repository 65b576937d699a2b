package fakeslack

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// File is a file uploaded with files upload v2.
type File struct {
	ID       string
	Name     string
	Title    string
	Length   int
	Content  []byte
	Uploaded bool   // the bytes arrived at the upload URL
	Channel  string // set once files.completeUploadExternal shared it
}

// Files returns the files uploaded so far, in upload order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, 0, len(s.files))
	for _, f := range s.files {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b File) int { return compareIDs(a.ID, b.ID) })
	return out
}

func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Server) filesGetUploadURLExternal(p url.Values) (map[string]any, apiError) {
	length, err := strconv.Atoi(p.Get("length"))
	if p.Get("filename") == "" || err != nil || length <= 0 {
		return nil, "invalid_arguments"
	}
	f := &File{ID: s.nextID("F"), Name: p.Get("filename"), Length: length}
	s.files[f.ID] = f
	return map[string]any{"upload_url": s.srv.URL + "/upload/" + f.ID, "file_id": f.ID}, ""
}

// serveUpload takes the bytes of a file, as Slack's upload URL does.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	file, _, err := r.FormFile("file")
	var body []byte
	if err == nil {
		body, err = io.ReadAll(file)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	s.calls = append(s.calls, Call{Method: "upload", Params: url.Values{"file_id": {r.PathValue("id")}}, At: s.now()})
	f, ok := s.files[r.PathValue("id")]
	switch {
	case !ok:
		http.Error(w, "unknown file", http.StatusNotFound)
	case err != nil:
		http.Error(w, "no file part", http.StatusBadRequest)
	case len(body) != f.Length:
		http.Error(w, "length mismatch", http.StatusBadRequest)
	default:
		f.Content, f.Uploaded = body, true
		_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(body)))
	}
}

func (s *Server) filesCompleteUploadExternal(p url.Values) (map[string]any, apiError) {
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(p.Get("files")), &summaries); err != nil || len(summaries) == 0 {
		return nil, "invalid_arguments"
	}
	var ch *Channel
	if id := p.Get("channel_id"); id != "" {
		var errCode apiError
		if ch, errCode = s.memberChannel(id); errCode != "" {
			return nil, errCode
		}
	}
	var out []any
	for _, sum := range summaries {
		f, ok := s.files[sum.ID]
		if !ok {
			return nil, "file_not_found"
		}
		if !f.Uploaded {
			return nil, "file_upload_incomplete"
		}
		f.Title = sum.Title
		if ch != nil {
			f.Channel = ch.ID
			ch.Messages = append(ch.Messages, Message{TS: s.nextTS(), User: s.BotUserID,
				Text: p.Get("initial_comment"), Files: []string{f.ID}})
		}
		out = append(out, map[string]any{"id": f.ID, "title": f.Title})
	}
	return map[string]any{"files": out}, ""
}

func (s *Server) filesInfo(p url.Values) (map[string]any, apiError) {
	f, ok := s.files[p.Get("file")]
	if !ok || f.Channel == "" {
		return nil, "file_not_found"
	}
	return map[string]any{"file": map[string]any{"id": f.ID, "name": f.Name, "title": f.Title, "size": len(f.Content),
		"permalink": s.links() + "/files/" + f.ID + "/" + url.PathEscape(f.Name), "channels": []string{f.Channel}}}, ""
}

// serveFile answers a file's permalink with the file, as Slack shows a
// shared file to someone who opens its link.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, ok := s.files[r.PathValue("id")]
	s.mu.Unlock()
	if !ok || f.Channel == "" || f.Name != r.PathValue("name") {
		http.NotFound(w, r)
		return
	}
	kind := "application/octet-stream"
	switch {
	case strings.HasSuffix(f.Name, ".png"):
		kind = "image/png"
	case strings.HasSuffix(f.Name, ".md"), strings.HasSuffix(f.Name, ".csv"), strings.HasSuffix(f.Name, ".json"):
		kind = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", kind)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(f.Content)
}

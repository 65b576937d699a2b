package playground

import (
	"net/http"
	"strings"
	"testing"
)

// File links as an insider would aim them: a page disguised as an image,
// a name with a path in it, a path that climbs out, a name that differs in
// case. Nothing is served as a page or from outside the stand-in's files.
func TestAttack17FileLinksServeNoPage(t *testing.T) {
	fs, srv, _ := serve(t)
	ch := fs.CreateChannel("inc-1-x", false, fs.BotUserID, "UALICE")
	link := upload(t, fs, ch, "chart.png", "<html><script>alert(1)</script></html>")
	resp, _ := get(t, link)
	h := resp.Header
	if h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("HTML named .png is served with %v", h)
	}
	for _, name := range []string{"x.svg", "x.htm", "x.md.html", "x.xhtml"} {
		resp, _ := get(t, upload(t, fs, ch, name, "<svg onload=alert(1)>"))
		if resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s is served as %v", name, resp.Header)
		}
	}
	id := strings.Split(strings.TrimPrefix(link, srv.URL+"/files/"), "/")[0]
	for _, p := range []string{"/files/" + id + "/CHART.PNG", "/files/" + id + "/..%2f..%2fgo.mod", "/files/..%2f..%2fgo.mod/x.md",
		"/files/" + id + "/chart.png/extra", "/archives/" + ch + "/p..%2f", "/archives/..%2fplayground.go/p1"} {
		resp, body := get(t, srv.URL+p)
		if resp.StatusCode == http.StatusOK && !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %s %q", p, resp.Status, body[:min(len(body), 80)])
		}
		if strings.Contains(body, "module ") || strings.Contains(body, "package playground") {
			t.Errorf("%s served a file of the repository: %q", p, body[:min(len(body), 80)])
		}
	}
}

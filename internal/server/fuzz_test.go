package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/consign-dev/consign/internal/server"
)

var fuzzPaths = []string{
	"/api/v1/attestations", "/api/v1/entries/", "/api/v1/log/checkpoint", "/api/v1/log/key",
	"/api/v1/log/proof/inclusion", "/api/v1/log/proof/consistency", "/",
}

// FuzzServerRequest sends requests made of fuzzed parts (method, route,
// path tail, query, body, with or without a valid token) to a real server
// over a real SQLite log that holds entries: no request makes it fail (500)
// or panic, and every error is a problem document.
func FuzzServerRequest(f *testing.F) {
	e := newEnv(f, sqliteStore(f), server.Config{Limits: server.Limits{Rate: -1}})
	k := newKey(f)
	tok := e.token([]string{"app"}, k)
	_, env1 := envelope(f, k, "app.tar", "one")
	_, env2 := envelope(f, k, "app.tar", "two")
	if code, _, b := e.post(tok, "?product=app", append(append(env1, '\n'), env2...)); code != http.StatusOK {
		f.Fatalf("publishing the seed entries: %d %s", code, b)
	}
	f.Add(uint8(0), uint8(0), "", "product=app", append(env1, '\n'), true)
	f.Add(uint8(1), uint8(0), "", "subject=sha256:"+hexOf("app.tar")+"&limit=1&after=0", []byte(nil), true)
	f.Add(uint8(1), uint8(1), "1", "", []byte(nil), false)
	f.Add(uint8(1), uint8(4), "", "index=0&size=2", []byte(nil), false)
	f.Add(uint8(1), uint8(5), "", "from=1&to=2", []byte(nil), false)
	f.Add(uint8(0), uint8(0), "", "", []byte(`{"signatures":[null]}`), true)
	f.Add(uint8(0), uint8(0), "", "", []byte("{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"\",\"signatures\":[{}]}\n\n\n"), true)
	var mu sync.Mutex // one request at a time: the log is shared
	f.Fuzz(func(t *testing.T, method, route uint8, tail, query string, body []byte, withToken bool) {
		u := &url.URL{Path: fuzzPaths[int(route)%len(fuzzPaths)] + tail, RawQuery: query}
		m := []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodDelete}[method%4]
		req := httptest.NewRequest(m, "http://log.test/", bytes.NewReader(body))
		req.URL, req.RequestURI = u, u.RequestURI()
		if withToken {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		w := httptest.NewRecorder()
		mu.Lock()
		e.srv.ServeHTTP(w, req)
		mu.Unlock()
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %s: %d %s", m, u, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var p struct {
				Status int    `json:"status"`
				Title  string `json:"title"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code || p.Title == "" {
				t.Fatalf("%s %s: %d with a body that is no problem document: %q", m, u, w.Code, w.Body)
			}
		}
	})
}

// Package wecomtest plays WeCom's part for tests and the demo: a fake of the
// qyapi HTTP API (httptest) that records what the bot sends, and a client
// that posts real signed, encrypted callbacks.
package wecomtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/partybot/partybot/bot/wecom"
)

// Call is one recorded API request.
type Call struct {
	API  string         // path after /cgi-bin/, e.g. "message/send"
	Body map[string]any // decoded JSON body
}

// FakeAPI is an in-process qyapi: gettoken and message/send, with the same
// errcode behaviour as the real one for the cases partybot handles.
type FakeAPI struct {
	CorpID string
	Secret string

	srv *httptest.Server

	mu         sync.Mutex
	issued     int             // tokens handed out
	valid      map[string]bool // tokens currently accepted
	calls      []Call
	failNext   map[string][]int // api -> errcodes to return next, in order
	tokenCalls int

	media map[string][]byte // uploaded files by media_id

	// The address book: departments' users and sub-departments.
	deptUsers    map[int][]DirectoryUser
	deptChildren map[int][]int
}

// DirectoryUser is a user in the fake address book.
type DirectoryUser struct {
	UserID string
	Name   string
}

// SetDepartment puts users (and sub-departments) in the fake address book.
func (f *FakeAPI) SetDepartment(id int, users []DirectoryUser, children ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deptUsers == nil {
		f.deptUsers, f.deptChildren = map[int][]DirectoryUser{}, map[int][]int{}
	}
	f.deptUsers[id], f.deptChildren[id] = users, children
}

// NewFakeAPI starts the fake; Close it when done.
func NewFakeAPI(corpID, secret string) *FakeAPI {
	f := &FakeAPI{CorpID: corpID, Secret: secret, valid: map[string]bool{}, failNext: map[string][]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", f.gettoken)
	mux.HandleFunc("POST /cgi-bin/message/send", f.api("message/send", f.messageSend))
	mux.HandleFunc("POST /cgi-bin/appchat/send", f.api("appchat/send", f.appchatSend))
	mux.HandleFunc("POST /cgi-bin/media/upload", f.api("media/upload", f.mediaUpload))
	mux.HandleFunc("GET /cgi-bin/department/simplelist", f.api("department/simplelist", f.departmentSimpleList))
	mux.HandleFunc("GET /cgi-bin/user/simplelist", f.api("user/simplelist", f.userSimpleList))
	f.srv = httptest.NewServer(mux)
	return f
}

// URL is the fake's base URL, to use as wecom.api_base.
func (f *FakeAPI) URL() string { return f.srv.URL }

// Close stops the server.
func (f *FakeAPI) Close() { f.srv.Close() }

// Reset forgets recorded calls, tokens and injected failures.
func (f *FakeAPI) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls, f.valid, f.failNext, f.issued, f.tokenCalls = nil, map[string]bool{}, map[string][]int{}, 0, 0
	f.deptUsers, f.deptChildren, f.media = nil, nil, nil
}

// ExpireTokens makes every issued token invalid, as WeCom may do early.
func (f *FakeAPI) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.valid = map[string]bool{}
}

// FailNext makes the next calls of api answer with these errcodes.
func (f *FakeAPI) FailNext(api string, codes ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext[api] = append(f.failNext[api], codes...)
}

// Media returns an uploaded file by its media_id.
func (f *FakeAPI) Media(id string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, ok := f.media[id]
	return data, ok
}

// CallsSince returns the recorded calls from index i on, and the next index.
func (f *FakeAPI) CallsSince(i int) ([]Call, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i = min(max(i, 0), len(f.calls))
	return append([]Call(nil), f.calls[i:]...), len(f.calls)
}

// Calls returns the recorded successful calls of api ("" for all).
func (f *FakeAPI) Calls(api string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if api == "" || c.API == api {
			out = append(out, c)
		}
	}
	return out
}

// TokenRequests is how many times gettoken was called.
func (f *FakeAPI) TokenRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls
}

// Texts lists (touser, content) of recorded text messages.
func (f *FakeAPI) Texts() [][2]string {
	var out [][2]string
	for _, c := range f.Calls("message/send") {
		if c.Body["msgtype"] != "text" {
			continue
		}
		text, _ := c.Body["text"].(map[string]any)
		to, _ := c.Body["touser"].(string)
		content, _ := text["content"].(string)
		out = append(out, [2]string{to, content})
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func errJSON(code int, msg string) map[string]any {
	return map[string]any{"errcode": code, "errmsg": msg}
}

func (f *FakeAPI) gettoken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenCalls++
	q := r.URL.Query()
	if q.Get("corpid") != f.CorpID || q.Get("corpsecret") != f.Secret {
		writeJSON(w, errJSON(40001, "invalid credential"))
		return
	}
	f.issued++
	token := fmt.Sprintf("fake-token-%d", f.issued)
	f.valid[token] = true
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
}

// api wraps a handler with token checks, injected failures and recording.
func (f *FakeAPI) api(name string, h func(q url.Values, body map[string]any) map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		token := r.URL.Query().Get("access_token")
		switch {
		case token == "":
			writeJSON(w, errJSON(41001, "access_token missing"))
			return
		case !f.valid[token]:
			writeJSON(w, errJSON(42001, "access_token expired"))
			return
		case len(f.failNext[name]) > 0:
			code := f.failNext[name][0]
			f.failNext[name] = f.failNext[name][1:]
			writeJSON(w, errJSON(code, "injected failure"))
			return
		}
		var body map[string]any
		switch {
		case strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data"):
			var err error
			if body, err = readUpload(r, raw); err != nil {
				writeJSON(w, errJSON(40005, "invalid media: "+err.Error()))
				return
			}
		case r.Method == http.MethodPost:
			if err := json.Unmarshal(raw, &body); err != nil {
				writeJSON(w, errJSON(40058, "invalid json"))
				return
			}
		}
		resp := h(r.URL.Query(), body)
		if resp["errcode"] == 0 {
			f.calls = append(f.calls, Call{API: name, Body: body})
		}
		writeJSON(w, resp)
	}
}

// readUpload reads the "media" part of a media/upload request.
func readUpload(r *http.Request, raw []byte) (map[string]any, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no media part: %w", err)
		}
		if part.FormName() != "media" {
			continue
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, err
		}
		if len(data) <= 5 {
			return nil, fmt.Errorf("file of %d bytes; WeCom wants more than 5", len(data))
		}
		return map[string]any{"filename": part.FileName(), "size": len(data), "type": r.URL.Query().Get("type"),
			"content_type": part.Header.Get("Content-Type"), "png": bytes.HasPrefix(data, []byte("\x89PNG")), "data": data}, nil
	}
}

func (f *FakeAPI) mediaUpload(_ url.Values, body map[string]any) map[string]any {
	id := fmt.Sprintf("media-%d", len(f.calls)+1)
	if f.media == nil {
		f.media = map[string][]byte{}
	}
	f.media[id], _ = body["data"].([]byte)
	delete(body, "data") // the recorded call keeps the facts, not the bytes
	body["media_id"] = id
	return map[string]any{"errcode": 0, "errmsg": "ok", "type": body["type"], "media_id": id, "created_at": "1380000000"}
}

func (f *FakeAPI) appchatSend(_ url.Values, body map[string]any) map[string]any {
	chat, _ := body["chatid"].(string)
	msgType, _ := body["msgtype"].(string)
	if chat == "" || msgType == "" {
		return errJSON(40058, "chatid and msgtype are required")
	}
	if _, ok := body[msgType]; !ok {
		return errJSON(40058, "missing "+msgType+" body")
	}
	return map[string]any{"errcode": 0, "errmsg": "ok"}
}

// deptIDs lists a department and its sub-departments, depth first.
func (f *FakeAPI) deptIDs(id int) []int {
	out := []int{id}
	for _, c := range f.deptChildren[id] {
		out = append(out, f.deptIDs(c)...)
	}
	return out
}

func (f *FakeAPI) departmentSimpleList(q url.Values, _ map[string]any) map[string]any {
	id, err := strconv.Atoi(q.Get("id"))
	if _, ok := f.deptUsers[id]; err != nil || !ok {
		return errJSON(60003, "department not found")
	}
	var list []map[string]any
	for _, d := range f.deptIDs(id) {
		list = append(list, map[string]any{"id": d})
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "department_id": list}
}

func (f *FakeAPI) userSimpleList(q url.Values, _ map[string]any) map[string]any {
	id, err := strconv.Atoi(q.Get("department_id"))
	users, ok := f.deptUsers[id]
	if err != nil || !ok {
		return errJSON(60003, "department not found")
	}
	list := []map[string]any{}
	for _, u := range users {
		list = append(list, map[string]any{"userid": u.UserID, "name": u.Name, "department": []int{id}})
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "userlist": list}
}

func (f *FakeAPI) messageSend(_ url.Values, body map[string]any) map[string]any {
	to, _ := body["touser"].(string)
	msgType, _ := body["msgtype"].(string)
	if to == "" || msgType == "" {
		return errJSON(40058, "touser and msgtype are required")
	}
	if n := len(strings.Split(to, "|")); n > 1000 {
		return errJSON(40058, fmt.Sprintf("touser has %d users, at most 1000", n))
	}
	if _, ok := body[msgType]; !ok {
		return errJSON(40058, "missing "+msgType+" body")
	}
	if text, ok := body["text"].(map[string]any); ok {
		content, _ := text["content"].(string)
		if content == "" {
			return errJSON(44004, "empty content")
		}
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "msgid": fmt.Sprintf("msg-%d", len(f.calls)+1)}
}

// Test credentials shared by the packages that play WeCom in tests.
const (
	CorpID  = "wwtestcorp0001"
	AgentID = 1000002
	Token   = "testToken"
	AESKey  = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	Secret  = "test-secret"
)

// RunWith runs a test binary with f installed as silenceper's API host (a
// process-wide setting, hence once per package) and closes f afterwards.
// Use it from TestMain: os.Exit(wecomtest.RunWith(m, fake)).
func RunWith(m interface{ Run() int }, f *FakeAPI) int {
	wecom.InstallTransport(f.URL(), 5*time.Second)
	defer f.Close()
	return m.Run()
}

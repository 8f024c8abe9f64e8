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
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Call is one recorded API request.
type Call struct {
	API  string         // path after /cgi-bin/, e.g. "message/send"
	Body map[string]any // decoded JSON body
}

// FakeAPI is an in-process qyapi: gettoken, message/send and the other
// calls partybot makes, at least as strict as the real one wherever the
// bot depends on a rule: a task_id is used once, a response_code once and
// within 72 h, field lengths, app chats only when this app created them,
// 60020 from an untrusted IP, invaliduser in an errcode-0 answer.
type FakeAPI struct {
	CorpID string
	Secret string
	// Now is the fake's clock (response codes expire after 72 h); nil is time.Now.
	Now func() time.Time

	srv *httptest.Server

	mu         sync.Mutex
	issued     int             // tokens handed out
	valid      map[string]bool // tokens currently accepted
	calls      []Call
	failNext   map[string][]int // api -> errcodes to return next, in order
	fail5xx    map[string]int   // api -> how many calls answer HTTP 502 next
	tokenCalls int

	media      map[string][]byte // uploaded files by media_id: only these can be sent
	mediaNames map[string]string // their file names
	inbound    map[string][]byte // files members sent: media/get serves them, sending refuses them
	mediaGets  []string          // the Range header of every media/get that served a file

	taskIDs       map[string]bool        // template-card task_ids ever sent
	responseCodes map[string]respCode    // codes handed out in card events
	unreachable   map[string]bool        // userids reported in invaliduser
	untrustedIP   bool                   // every API call answers 60020
	chats         map[string][]string    // app chats this app created: chatid → members
	chatsRefused  int                    // appchat/send answers 48002 while > 0 (RefuseAppChats)
	chatRefusals  int                    // how many it gave
	robots        map[string][]time.Time // group robot webhook keys → recent posts

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
	mux.HandleFunc("POST /cgi-bin/appchat/create", f.api("appchat/create", f.appchatCreate))
	mux.HandleFunc("GET /cgi-bin/appchat/get", f.api("appchat/get", f.appchatGet))
	mux.HandleFunc("POST /cgi-bin/message/update_template_card", f.api("message/update_template_card", f.updateTemplateCard))
	mux.HandleFunc("POST /cgi-bin/media/upload", f.api("media/upload", f.mediaUpload))
	mux.HandleFunc("GET /cgi-bin/department/simplelist", f.api("department/simplelist", f.departmentSimpleList))
	mux.HandleFunc("GET /cgi-bin/user/simplelist", f.api("user/simplelist", f.userSimpleList))
	mux.HandleFunc("POST /cgi-bin/webhook/send", f.webhookSend)
	mux.HandleFunc("GET /cgi-bin/media/get", f.mediaGet)
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
	f.calls, f.valid, f.failNext, f.fail5xx, f.issued, f.tokenCalls = nil, map[string]bool{}, map[string][]int{}, nil, 0, 0
	f.deptUsers, f.deptChildren, f.media, f.mediaNames, f.inbound, f.mediaGets = nil, nil, nil, nil, nil, nil
	f.unreachable, f.untrustedIP, f.chats, f.robots = nil, false, nil, nil
	f.chatsRefused, f.chatRefusals = 0, 0
	// task_ids and response codes stay used: WeCom never forgets them.
}

// respCode is a response_code handed out with a card click.
type respCode struct {
	user   string
	issued time.Time
	used   bool
}

func (f *FakeAPI) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// IssueResponseCode hands out the response_code of a card click by userID,
// as WeCom puts one in every template_card_event.
func (f *FakeAPI) IssueResponseCode(userID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.responseCodes == nil {
		f.responseCodes = map[string]respCode{}
	}
	code := fmt.Sprintf("rc-%d-%s", len(f.responseCodes)+1, userID)
	f.responseCodes[code] = respCode{user: userID, issued: f.now()}
	return code
}

// CardSentTo returns the task_id and first button key of the latest
// template card sent to userID, as a click on it would carry them.
func (f *FakeAPI) CardSentTo(userID string) (taskID, buttonKey string, ok bool) {
	taskID, keys, ok := f.CardButtons(userID, "")
	if len(keys) > 0 {
		buttonKey = keys[0]
	}
	return taskID, buttonKey, ok
}

// CardButtons returns the task_id and button keys of the latest template
// card sent to userID whose first button key starts with prefix.
func (f *FakeAPI) CardButtons(userID, prefix string) (taskID string, keys []string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	card := f.latestTo(userID, "template_card", func(card map[string]any) bool {
		keys = cardKeys(card)
		return prefix == "" || len(keys) > 0 && strings.HasPrefix(keys[0], prefix)
	})
	if card == nil {
		return "", nil, false
	}
	taskID, _ = card["task_id"].(string)
	return taskID, keys, true
}

// cardKeys lists a template card's button keys.
func cardKeys(card map[string]any) []string {
	buttons, _ := card["button_list"].([]any)
	keys := make([]string, 0, len(buttons))
	for _, b := range buttons {
		button, _ := b.(map[string]any)
		key, _ := button["key"].(string)
		keys = append(keys, key)
	}
	return keys
}

// latestTo finds the body of the latest message/send of msgType to userID
// that match accepts. The caller holds f.mu.
func (f *FakeAPI) latestTo(userID, msgType string, match func(body map[string]any) bool) map[string]any {
	for i := len(f.calls) - 1; i >= 0; i-- {
		c := f.calls[i]
		to, _ := c.Body["touser"].(string)
		body, ok := c.Body[msgType].(map[string]any)
		if c.API == "message/send" && ok && slices.Contains(strings.Split(to, "|"), userID) && match(body) {
			return body
		}
	}
	return nil
}

// SetUnreachable makes message/send report these userids in invaliduser
// (left the company, or never activated), with errcode 0.
func (f *FakeAPI) SetUnreachable(userIDs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unreachable = map[string]bool{}
	for _, id := range userIDs {
		f.unreachable[strings.ToLower(id)] = true
	}
}

// SetUntrustedIP makes every API call but gettoken answer 60020, as WeCom
// does for a server whose IP is not in the app's 企业可信IP.
func (f *FakeAPI) SetUntrustedIP(untrusted bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.untrustedIP = untrusted
}

// RefuseAppChats makes appchat/send answer 48002, as WeCom does for an app
// whose visible range (可见范围) is not the root department, or (false)
// accept again once the operator fixed it.
func (f *FakeAPI) RefuseAppChats(refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chatsRefused = 0
	if refuse {
		f.chatsRefused = 1
	}
}

// AppChatRefusals is how many appchat/send calls RefuseAppChats refused.
func (f *FakeAPI) AppChatRefusals() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.chatRefusals
}

// AddAppChat records a group chat as created by this app (appchat/create).
func (f *FakeAPI) AddAppChat(chatID string, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.chats == nil {
		f.chats = map[string][]string{}
	}
	f.chats[chatID] = members
}

// PutMedia stores a file as if a member had sent it (an inbound picture's
// MediaId): media/get returns it, but a message may not name it — WeCom
// promises only that an inbound id can be fetched, so the bot re-uploads.
func (f *FakeAPI) PutMedia(id string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inbound == nil {
		f.inbound = map[string][]byte{}
	}
	f.inbound[id] = data
}

// MediaGets lists the Range header ("" for the whole file) of every
// media/get the fake answered with a file or a part of one.
func (f *FakeAPI) MediaGets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.mediaGets...)
}

// Media limits of WeCom's temporary media (doc 90253, 90254).
const (
	maxWholeMedia = 20 << 20 // media/get answers 830002 beyond, unless asked for a Range
	maxUploadFile = 20 << 20 // media/upload type=file: 40006 beyond
	maxUploadPic  = 10 << 20 // type=image: 40009 beyond; type=video: 40011
	maxUploadVoc  = 2 << 20  // type=voice: 40006 beyond
)

// mediaGet answers with the file itself (inbound or uploaded), a part of
// it for a Range request (206), 830002 for a file over 20 MB asked whole,
// or 40007 for an id it does not hold.
func (f *FakeAPI) mediaGet(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refused(w, r, "media/get") {
		return
	}
	id := r.URL.Query().Get("media_id")
	data, ok := f.inbound[id]
	if !ok {
		data, ok = f.media[id]
	}
	switch {
	case !ok:
		writeJSON(w, errJSON(40007, "invalid media_id"))
		return
	case len(data) > maxWholeMedia && r.Header.Get("Range") == "":
		writeJSON(w, errJSON(830002, "media size exceed limit, use Range to download"))
		return
	}
	f.mediaGets = append(f.mediaGets, r.Header.Get("Range"))
	w.Header().Set("Content-Type", "image/jpeg")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data)) // answers Range with 206
}

// AddRobot installs a group robot: webhook/send accepts its key.
func (f *FakeAPI) AddRobot(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.robots == nil {
		f.robots = map[string][]time.Time{}
	}
	f.robots[key] = nil
}

// RobotTexts lists what the robot of key posted.
func (f *FakeAPI) RobotTexts(key string) []string {
	var out []string
	for _, c := range f.Calls("webhook/send") {
		if c.Body["key"] != key {
			continue
		}
		text, _ := c.Body["text"].(map[string]any)
		content, _ := text["content"].(string)
		out = append(out, content)
	}
	return out
}

// webhookSend plays a group robot: the key is the credential (93000 when
// unknown), text ≤2048 bytes, markdown ≤4096, at most 20 posts a minute.
func (f *FakeAPI) webhookSend(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, errJSON(40058, "invalid json"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.URL.Query().Get("key")
	posts, ok := f.robots[key]
	if !ok {
		writeJSON(w, errJSON(93000, "invalid webhook url"))
		return
	}
	now := f.now()
	posts = slices.DeleteFunc(posts, func(t time.Time) bool { return now.Sub(t) >= time.Minute })
	if len(posts) >= 20 {
		writeJSON(w, errJSON(45009, "api freq out of limit"))
		return
	}
	msgType, _ := body["msgtype"].(string)
	part, _ := body[msgType].(map[string]any)
	content, _ := part["content"].(string)
	limit := map[string]int{"text": 2048, "markdown": 4096}[msgType]
	switch {
	case limit == 0:
		writeJSON(w, errJSON(40008, "invalid message type"))
		return
	case content == "":
		writeJSON(w, errJSON(44004, "empty content"))
		return
	case len(content) > limit:
		writeJSON(w, errJSON(45002, fmt.Sprintf("content of %d bytes, at most %d", len(content), limit)))
		return
	}
	f.robots[key] = append(posts, now)
	body["key"] = key
	f.calls = append(f.calls, Call{API: "webhook/send", Body: body})
	writeJSON(w, errJSON(0, "ok"))
}

// ExpireTokens makes every issued token invalid, as WeCom may do early.
func (f *FakeAPI) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.valid = map[string]bool{}
}

// Fail5xx makes the next n calls of api answer HTTP 502, as a proxy in
// front of WeCom might.
func (f *FakeAPI) Fail5xx(api string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail5xx == nil {
		f.fail5xx = map[string]int{}
	}
	f.fail5xx[api] += n
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

// MediaName returns the file name an upload gave its media_id.
func (f *FakeAPI) MediaName(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mediaNames[id]
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
	// A token names its corp: another corp's fake refuses it, as WeCom
	// refuses one corp's token at another's app.
	token := fmt.Sprintf("fake-token-%s-%d", f.CorpID, f.issued)
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
		if f.refused(w, r, name) {
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

// refused answers what WeCom says before looking at a call of api: no or
// an expired token, an untrusted IP (60020), or an injected failure. The
// caller holds f.mu.
func (f *FakeAPI) refused(w http.ResponseWriter, r *http.Request, api string) bool {
	token := r.URL.Query().Get("access_token")
	switch {
	case token == "":
		writeJSON(w, errJSON(41001, "access_token missing"))
	case !f.valid[token]:
		writeJSON(w, errJSON(42001, "access_token expired"))
	case f.untrustedIP:
		writeJSON(w, errJSON(60020, "not allow to access from your ip"))
	case f.fail5xx[api] > 0:
		f.fail5xx[api]--
		http.Error(w, "bad gateway", http.StatusBadGateway)
	case len(f.failNext[api]) > 0:
		code := f.failNext[api][0]
		f.failNext[api] = f.failNext[api][1:]
		writeJSON(w, errJSON(code, "injected failure"))
	default:
		return false
	}
	return true
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
	size, _ := body["size"].(int)
	switch kind, _ := body["type"].(string); {
	case kind == "file" && size > maxUploadFile, kind == "voice" && size > maxUploadVoc:
		return errJSON(40006, fmt.Sprintf("invalid file size %d", size))
	case kind == "image" && size > maxUploadPic:
		return errJSON(40009, fmt.Sprintf("invalid image size %d", size))
	case kind == "video" && size > maxUploadPic:
		return errJSON(40011, fmt.Sprintf("invalid video size %d", size))
	case kind != "file" && kind != "voice" && kind != "image" && kind != "video":
		return errJSON(40004, "invalid media type "+kind)
	}
	id := fmt.Sprintf("media-%d", len(f.calls)+1)
	if f.media == nil {
		f.media = map[string][]byte{}
	}
	f.media[id], _ = body["data"].([]byte)
	if f.mediaNames == nil {
		f.mediaNames = map[string]string{}
	}
	f.mediaNames[id], _ = body["filename"].(string)
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
	if f.chatsRefused > 0 {
		f.chatRefusals++
		return errJSON(48002, "api forbidden")
	}
	if _, ok := f.chats[chat]; !ok {
		// Only chats created through appchat/create by this app take messages.
		return errJSON(86003, "chat not exist or not created by this app")
	}
	if msgType == "template_card" {
		return errJSON(40008, "invalid message type for appchat")
	}
	if resp := f.checkMedia(body); resp != nil {
		return resp
	}
	if _, ok := body[msgType]; !ok {
		return errJSON(40058, "missing "+msgType+" body")
	}
	if resp := checkContent(body); resp != nil {
		return resp
	}
	return map[string]any{"errcode": 0, "errmsg": "ok"}
}

func (f *FakeAPI) appchatCreate(_ url.Values, body map[string]any) map[string]any {
	name, _ := body["name"].(string)
	users, _ := body["userlist"].([]any)
	if utf8.RuneCountInString(name) > 50 {
		return errJSON(40058, "name over 50 characters")
	}
	if len(users) < 2 || len(users) > 2000 {
		return errJSON(40058, "userlist takes 2 to 2000 members")
	}
	chatID, _ := body["chatid"].(string)
	if chatID == "" {
		chatID = fmt.Sprintf("wrchat%d", len(f.chats)+1)
	}
	if _, taken := f.chats[chatID]; taken {
		return errJSON(86215, "chatid already exists")
	}
	members := make([]string, len(users))
	for i, u := range users {
		members[i], _ = u.(string)
	}
	if f.chats == nil {
		f.chats = map[string][]string{}
	}
	f.chats[chatID] = members
	return map[string]any{"errcode": 0, "errmsg": "ok", "chatid": chatID}
}

func (f *FakeAPI) appchatGet(q url.Values, _ map[string]any) map[string]any {
	chatID := q.Get("chatid")
	members, ok := f.chats[chatID]
	if !ok {
		return errJSON(86003, "chat not exist or not created by this app")
	}
	owner := ""
	if len(members) > 0 {
		owner = members[0]
	}
	return map[string]any{"errcode": 0, "errmsg": "ok",
		"chat_info": map[string]any{"chatid": chatID, "name": chatID, "owner": owner, "userlist": members}}
}

func (f *FakeAPI) updateTemplateCard(_ url.Values, body map[string]any) map[string]any {
	code, _ := body["response_code"].(string)
	rc, ok := f.responseCodes[code]
	switch {
	case !ok:
		return errJSON(40058, "invalid response_code")
	case rc.used:
		return errJSON(40058, "response_code already used")
	case f.now().Sub(rc.issued) > 72*time.Hour:
		return errJSON(40058, "response_code expired")
	}
	if _, ok := body["button"]; !ok {
		if _, ok := body["template_card"]; !ok {
			return errJSON(40058, "button or template_card is required")
		}
	}
	rc.used = true
	f.responseCodes[code] = rc
	return map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": []string{}}
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
	users := strings.Split(to, "|")
	if len(users) > 1000 {
		return errJSON(40058, fmt.Sprintf("touser has %d users, at most 1000", len(users)))
	}
	if _, ok := body[msgType]; !ok {
		return errJSON(40058, "missing "+msgType+" body")
	}
	if resp := checkContent(body); resp != nil {
		return resp
	}
	if resp := f.checkMedia(body); resp != nil {
		return resp
	}
	if card, ok := body["template_card"].(map[string]any); ok {
		if resp := f.checkCard(card); resp != nil {
			return resp
		}
	}
	var invalid []string
	for _, u := range users {
		if f.unreachable[strings.ToLower(u)] {
			invalid = append(invalid, strings.ToLower(u))
		}
	}
	if len(invalid) == len(users) {
		return errJSON(81013, "user & party & tag all invalid")
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "msgid": fmt.Sprintf("msg-%d", len(f.calls)+1),
		"invaliduser": strings.Join(invalid, "|")}
}

// checkMedia refuses a media_id this app did not upload (40007): image,
// file, voice and video messages name one from media/upload, never the
// MediaId of a member's message.
func (f *FakeAPI) checkMedia(body map[string]any) map[string]any {
	for _, kind := range []string{"image", "file", "voice", "video"} {
		part, ok := body[kind].(map[string]any)
		if !ok {
			continue
		}
		if id, _ := part["media_id"].(string); f.media[id] == nil {
			return errJSON(40007, "invalid media_id "+id)
		}
	}
	return nil
}

// FileSentTo returns the name and bytes of the latest file message to userID.
func (f *FakeAPI) FileSentTo(userID string) (name string, data []byte, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	file := f.latestTo(userID, "file", func(map[string]any) bool { return true })
	if file == nil {
		return "", nil, false
	}
	id, _ := file["media_id"].(string)
	return f.mediaNames[id], f.media[id], true
}

// checkContent enforces text and markdown limits: not empty, at most 2048
// bytes (WeCom cuts longer text; the fake refuses it, so a test notices).
func checkContent(body map[string]any) map[string]any {
	for _, kind := range []string{"text", "markdown"} {
		part, ok := body[kind].(map[string]any)
		if !ok {
			continue
		}
		content, _ := part["content"].(string)
		switch {
		case content == "":
			return errJSON(44004, "empty content")
		case len(content) > 2048:
			return errJSON(45002, fmt.Sprintf("content of %d bytes, at most 2048", len(content)))
		}
	}
	return nil
}

// checkCard enforces a template card's task_id (required, unique forever,
// [0-9a-zA-Z_-@], ≤128 bytes) and the field lengths partybot fills.
func (f *FakeAPI) checkCard(card map[string]any) map[string]any {
	task, _ := card["task_id"].(string)
	switch {
	case task == "" || len(task) > 128 || strings.Trim(task, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@") != "":
		return errJSON(40058, "invalid task_id")
	case f.taskIDs[task]:
		return errJSON(40058, "task_id "+task+" already used")
	}
	title, _ := card["main_title"].(map[string]any)
	for field, limit := range map[string]int{"title": 36, "desc": 44} {
		if v, _ := title[field].(string); utf8.RuneCountInString(v) > limit {
			return errJSON(40058, fmt.Sprintf("main_title.%s over %d characters", field, limit))
		}
	}
	if v, _ := card["sub_title_text"].(string); utf8.RuneCountInString(v) > 112 {
		return errJSON(40058, "sub_title_text over 112 characters")
	}
	buttons, _ := card["button_list"].([]any)
	if len(buttons) > 6 {
		return errJSON(40058, "button_list over 6 buttons")
	}
	keys := map[string]bool{}
	for _, b := range buttons {
		button, _ := b.(map[string]any)
		if text, _ := button["text"].(string); utf8.RuneCountInString(text) > 10 {
			return errJSON(40058, "button text over 10 characters")
		}
		key, _ := button["key"].(string)
		switch {
		case len(key) > 1024:
			return errJSON(40058, "button key over 1024 bytes")
		case keys[key]:
			return errJSON(40058, "button keys must be unique")
		}
		keys[key] = true
	}
	if f.taskIDs == nil {
		f.taskIDs = map[string]bool{}
	}
	f.taskIDs[task] = true
	return nil
}

// Test credentials shared by the packages that play WeCom in tests.
const (
	CorpID  = "wwtestcorp0001"
	AgentID = 1000002
	Token   = "testToken"
	AESKey  = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	Secret  = "test-secret"
)

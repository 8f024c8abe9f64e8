package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

func flatSeeds(f *testing.F) {
	members := []bot.Member{
		{UserID: "lisi", Name: "李四", BranchID: "tech", Role: bot.RoleSecretary, Active: true},
		{UserID: "wang", Name: `王"五"<b>&`, BranchID: "tech", Role: bot.RoleMember, Status: "probationary", Joined: bot.Date{Year: 2025, Month: 7, Day: 1}},
		{UserID: "x", Name: "tab\there\u2028", Active: false},
		{UserID: "partner/m1", Name: "伙伴", BranchID: "joint", Role: bot.RoleMember, Group: "第一党小组", Active: true},
		{},
	}
	for _, m := range members {
		raw, _ := json.Marshal(m)
		f.Add(string(raw))
	}
	reports := []bot.StudyReport{
		{ID: "msg:1", BranchID: "tech", UserID: "lisi", Day: bot.Date{Year: 2026, Month: 11, Day: 17}, Minutes: 30, Content: "党章", Kind: "自学", At: time.Date(2026, 11, 17, 9, 0, 0, 0, time.UTC)},
		{ID: "msg:2", Day: bot.Date{Year: 2026, Month: 11, Day: 18}, Minutes: 45, Content: `引号"和\反斜杠`, Withdrawn: true, WithdrawnAt: time.Date(2026, 11, 18, 9, 0, 0, 0, time.UTC),
			Evidence: []bot.Evidence{{MediaID: "m1", At: time.Date(2026, 11, 18, 9, 0, 0, 0, time.UTC)}}},
		{ID: "msg:3", Day: bot.Date{Year: 2026, Month: 1, Day: 2}, Minutes: -5, Late: true},
	}
	for _, r := range reports {
		raw, _ := json.Marshal(r)
		f.Add(string(raw))
	}
	for _, s := range []string{`{}`, ` { "userid" : "a" , "active" : true } `, `{"userid":"a",}`, `{"userid":null}`, `{"minutes":+5}`,
		`{"minutes":05}`, `{"minutes":1e2}`, `{"MINUTES":7,"day":"2026-01-02"}`, `{"UserID":"a"}`, `{"day":"2026-13-01"}`,
		`{"active":"true"}`, `{"minutes":30,"minutes":null}`, `{"withdrawn":true,"withdrawn":null}`, `{"active":true,"active":null}`, `{"a":[1]}`, `{"a":{"b":1}}`, "{\"name\":\"\xff\"}", "{\"name\":\"a\x01\"}", `{"withdrawn":null}`, `[]`, `{"userid":"a"`, `{"group":null}`, `{"group":7}`, `{"GROUP":"g"}`} {
		f.Add(s)
	}
}

// The slicing readers must agree with encoding/json on every input: the
// same value when it decodes, an error when it does not.
func FuzzFlatDecodersAgreeWithEncodingJSON(f *testing.F) {
	flatSeeds(f)
	f.Fuzz(func(t *testing.T, raw string) {
		var wantM bot.Member
		errM := json.Unmarshal([]byte(raw), &wantM)
		gotM, err := decodeMember([]byte(raw))
		if (err == nil) != (errM == nil) || (err == nil && !reflect.DeepEqual(gotM, wantM)) {
			t.Fatalf("member %q: got %+v (%v), encoding/json %+v (%v)", raw, gotM, err, wantM, errM)
		}
		var wantB studyBrief
		errB := json.Unmarshal([]byte(raw), &wantB)
		gotB, err := decodeStudyBrief(raw)
		if (err == nil) != (errB == nil) || (err == nil && gotB != wantB) {
			t.Fatalf("study %q: got %+v (%v), encoding/json %+v (%v)", raw, gotB, err, wantB, errB)
		}
	})
}

// Records as json.Marshal writes them take the fast path (no fallback).
func TestFlatFastPathTakesMarshalledRecords(t *testing.T) {
	m := bot.Member{UserID: "lisi", Name: "李四", BranchID: "tech", Role: bot.RoleSecretary, Status: "probationary", Joined: bot.Date{Year: 2025, Month: 7, Day: 1}, Group: "一组", Active: true}
	raw, _ := json.Marshal(m)
	if !eachFlatField(string(raw), func(string, string, bool) bool { return true }) {
		t.Fatalf("member %s is not read by slicing", raw)
	}
	r := bot.StudyReport{ID: "msg:1", BranchID: "tech", UserID: "lisi", Day: bot.Date{Year: 2026, Month: 11, Day: 17}, Minutes: 30, Content: "党章", Kind: "自学", At: time.Now()}
	raw, _ = json.Marshal(r)
	if !eachFlatField(string(raw), func(string, string, bool) bool { return true }) {
		t.Fatalf("study %s is not read by slicing", raw)
	}
}

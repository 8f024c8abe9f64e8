package bot_test

import (
	"errors"
	"testing"

	"github.com/partybot/partybot/bot"
)

// A ledger goes only to a requester who may still have it when it is built.
func TestCheckExportFollowsTheRequestersRightsNow(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	cases := []struct {
		name    string
		req     bot.ExportRequest
		refused bool
	}{
		{"the branch's secretary", bot.ExportRequest{For: "sec", Branch: "tech"}, false},
		{"a committee member", bot.ExportRequest{For: "com", Branch: "tech"}, false},
		{"an admin, one branch", bot.ExportRequest{For: "boss", Branch: "ops"}, false},
		{"an admin, every branch", bot.ExportRequest{For: "boss"}, false},
		{"the org digest (no requester)", bot.ExportRequest{SummaryOnly: true}, false},
		{"a plain member", bot.ExportRequest{For: "m1", Branch: "tech"}, true},
		{"another branch's secretary", bot.ExportRequest{For: "ops1", Branch: "tech"}, true},
		{"a secretary asking for every branch", bot.ExportRequest{For: "sec"}, true},
		{"a member who left", bot.ExportRequest{For: "gone", Branch: "tech"}, true},
		{"someone unknown", bot.ExportRequest{For: "nobody", Branch: "tech"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := w.b.CheckExport(t.Context(), tc.req)
			if got := errors.Is(err, bot.ErrExportRefused); got != tc.refused || (err != nil && !got) {
				t.Fatalf("CheckExport = %v, want refused %v", err, tc.refused)
			}
		})
	}
	// 导出 names its requester, so the check can be made.
	w.say("sec", "导出 本月")
	files := w.box.withPrefix("cmd:")
	if len(files) != 1 || files[0].File == nil || files[0].File.Export.For != "sec" {
		t.Fatalf("queued %+v, want the workbook for sec", files)
	}
	w.leaves("sec")
	if err := w.b.CheckExport(t.Context(), *files[0].File.Export); !errors.Is(err, bot.ErrExportRefused) {
		t.Fatalf("after sec left: %v, want refused", err)
	}
}

package wecom

import (
	"maps"
	"testing"
)

// fields collects what a reader reports.
func fields(read func([]byte, func(string, string)) bool, data []byte) (map[string]string, bool) {
	got := map[string]string{}
	ok := read(data, func(n, v string) { got[n] = v })
	return got, ok
}

// The slicing reader must agree with the tokenizer wherever it answers,
// and leave every other shape to it.
func FuzzScanFlatAgreesWithTokens(f *testing.F) {
	for _, seed := range []string{
		"<xml><ToUserName><![CDATA[ww1]]></ToUserName>\n<FromUserName><![CDATA[lisi]]></FromUserName><CreateTime>1409659813</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[签到 <b>&amp;]]></Content><MsgId>4561255354251345929</MsgId><AgentID>218</AgentID></xml>",
		"<xml><A>1 &amp; 2</A></xml>",
		"<xml><A><B>x</B></A></xml>",
		"<xml><!-- c --><A>x</A></xml>",
		"<xml><A>x</B></xml>",
		"<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>",
		"<xml></xml>",
		"<xml><A/></xml>",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		flat, ok := fields(scanFlat, data)
		if !ok {
			return
		}
		tokens, err := fields(func(d []byte, set func(string, string)) bool {
			root, err := readTokens(d, set)
			return err == nil && root == "xml"
		}, data)
		if !err {
			t.Fatalf("scanFlat read %q that the tokenizer refuses", data)
		}
		if !maps.Equal(flat, tokens) {
			t.Fatalf("scanFlat %v, tokenizer %v for %q", flat, tokens, data)
		}
	})
}

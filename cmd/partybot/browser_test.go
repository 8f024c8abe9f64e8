package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium finds a Chromium to drive. CI installs Debian's; without one the
// test fails in CI and is skipped, loudly, elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on this machine: .ci/run installs Debian's chromium package")
	}
	t.Skip("SKIPPED: no chromium found; install it (apt-get install chromium) to run the browser test")
	return ""
}

// TestDemoInBrowser loads the simulator in headless Chromium, signs in as
// a member, sends 签到 through the page (which signs and encrypts the
// callback itself) and sees the decrypted passive reply; then runs a job
// from the panel and sees the pushed message arrive.
func TestDemoInBrowser(t *testing.T) {
	exe := chromium(t)
	d, err := StartDemo(t.Context(), DemoOptions{Listen: "127.0.0.1:0"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = d.Close() // the package's other tests use their own fake
	})

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true), chromedp.WindowSize(820, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	var reply, pushed string
	err = chromedp.Run(ctx,
		chromedp.Navigate(d.URL()),
		chromedp.WaitVisible(`body[data-ready="true"]`),
		chromedp.SetValue(`#member`, "liming"),
		chromedp.Evaluate(`document.getElementById("member").dispatchEvent(new Event("change"))`, nil),
		chromedp.SendKeys(`#input`, "签到"),
		chromedp.Click(`#send`),
		chromedp.WaitVisible(`.bubble.bot`),
		chromedp.Text(`.bubble.bot`, &reply),
		chromedp.Click(`button[data-job="monthly"]`),
		chromedp.WaitVisible(`.bubble.push`),
		chromedp.Text(`.bubble.push`, &pushed),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply, "签到成功") {
		t.Fatalf("the page showed %q, want the check-in reply", reply)
	}
	if !strings.Contains(pushed, "党费") {
		t.Fatalf("the pushed message was %q, want the monthly reminder", pushed)
	}

	// The secretary opens a meeting; the member's card button sends a real
	// template_card_event and is relabelled by the update_button reply.
	var label string
	err = chromedp.Run(ctx,
		chromedp.SetValue(`#member`, "zhangshuji"),
		chromedp.Evaluate(`document.getElementById("member").dispatchEvent(new Event("change"))`, nil),
		chromedp.SendKeys(`#input`, "会议 党员大会 浏览器测试"),
		chromedp.Click(`#send`),
		chromedp.WaitVisible(`.bubble.bot`),
		chromedp.SetValue(`#member`, "liming"),
		chromedp.Evaluate(`document.getElementById("member").dispatchEvent(new Event("change"))`, nil),
		chromedp.WaitVisible(`.card button`),
		chromedp.Click(`.card button`),
		chromedp.WaitVisible(`.card button:disabled`),
		chromedp.Text(`.card button`, &label),
	)
	if err != nil {
		t.Fatal(err)
	}
	if label != "已签到" {
		t.Fatalf("the card button reads %q after the click, want 已签到", label)
	}

	// An announcement of two lines, typed as on a computer: Shift+Enter
	// starts the second line, Enter sends. Then the preview, 发送, the
	// member's card with 收到, and the branch group (the demo's app chat)
	// showing its text, both lines kept all the way.
	var typed, sent, preview, ack, group string
	err = chromedp.Run(ctx,
		chromedp.SetValue(`#member`, "zhangshuji"),
		chromedp.Evaluate(`document.getElementById("member").dispatchEvent(new Event("change"))`, nil),
		chromedp.SendKeys(`#input`, "公告 周五交学习心得"),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(input.ModifierShift)),
		chromedp.SendKeys(`#input`, "请带上笔记本"),
		chromedp.Value(`#input`, &typed),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`#chat > .bubble.bot:last-child`),
		chromedp.Evaluate(`[...document.querySelectorAll("#chat > .bubble.me")].pop().textContent`, &sent),
		chromedp.Text(`#chat > .bubble.bot:last-child`, &preview),
		chromedp.SendKeys(`#input`, "发送"),
		chromedp.Click(`#send`),
		chromedp.SetValue(`#member`, "liming"),
		chromedp.Evaluate(`document.getElementById("member").dispatchEvent(new Event("change"))`, nil),
		chromedp.WaitVisible(`button[data-key^="ann_ack:"]`),
		chromedp.Click(`button[data-key^="ann_ack:"]`),
		chromedp.WaitVisible(`button[data-key^="ann_ack:"]:disabled`),
		chromedp.Text(`button[data-key^="ann_ack:"]`, &ack),
		chromedp.SetValue(`#member`, "demochat"),
		chromedp.Evaluate(`document.getElementById("member").dispatchEvent(new Event("change"))`, nil),
		chromedp.Poll(`document.getElementById("chat").textContent.includes("周五交学习心得")`, nil),
		chromedp.Text(`#chat`, &group),
	)
	if err != nil {
		t.Fatal(err)
	}
	const twoLines = "周五交学习心得\n请带上笔记本"
	if typed != "公告 "+twoLines || sent != "公告 "+twoLines {
		t.Fatalf("the composer held %q and sent %q, want the two lines %q", typed, sent, "公告 "+twoLines)
	}
	// The sample history has announcements #1 and #2: this one is #3.
	if !strings.Contains(preview, "公告预览\n【周五交学习心得】\n请带上笔记本\n") || ack != "已收到" || !strings.Contains(group, "【公告 #3】"+twoLines) {
		t.Fatalf("preview %q, button %q, group %q", preview, ack, group)
	}

	// 导出: the workbook arrives as a file message with a download link.
	var link string
	err = chromedp.Run(ctx,
		chromedp.SetValue(`#member`, "zhangshuji"),
		chromedp.Evaluate(`document.getElementById("member").dispatchEvent(new Event("change"))`, nil),
		chromedp.SendKeys(`#input`, "导出 本月"),
		chromedp.Click(`#send`),
		chromedp.WaitVisible(`#chat a[href^="/demo/api/media/"]`),
		chromedp.Text(`#chat a[href^="/demo/api/media/"]`, &link),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(link, "示例党支部台账") || !strings.HasSuffix(link, ".xlsx") {
		t.Fatalf("file message %q", link)
	}
	// 联合党委: the joint branch's secretary opens a meeting; a member of
	// the other company gets the card and signs in through their own
	// company's app (the page signs with its credentials, posts to its path).
	var partnerLabel, partnerReply string
	err = chromedp.Run(ctx,
		chromedp.SetValue(`#member`, "sunli"),
		chromedp.Evaluate(`document.getElementById("member").dispatchEvent(new Event("change"))`, nil),
		chromedp.SendKeys(`#input`, "会议 党员大会 联合支部大会"),
		chromedp.Click(`#send`),
		chromedp.WaitVisible(`.bubble.bot`),
		chromedp.SetValue(`#member`, "partner/wumin"),
		chromedp.Evaluate(`document.getElementById("member").dispatchEvent(new Event("change"))`, nil),
		chromedp.WaitVisible(`.card button`),
		chromedp.Click(`.card button`),
		chromedp.WaitVisible(`.card button:disabled`),
		chromedp.Text(`.card button`, &partnerLabel),
		chromedp.SendKeys(`#input`, "我的"),
		chromedp.Click(`#send`),
		chromedp.WaitVisible(`#chat > .bubble.bot`),
		chromedp.Text(`#chat > .bubble.bot`, &partnerReply),
		chromedp.SetValue(`#member`, "zhangshuji"), // the screenshot below is the secretary's
		chromedp.Evaluate(`document.getElementById("member").dispatchEvent(new Event("change"))`, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	if partnerLabel != "已签到" || !strings.Contains(partnerReply, "吴敏") {
		t.Fatalf("the partner member's card reads %q, 我的 %q; want 已签到 and their own 我的", partnerLabel, partnerReply)
	}
	if shot := os.Getenv("PARTYBOT_SCREENSHOT"); shot != "" { // for the README
		var png []byte
		// The secretary's streak and the branch's week come from the
		// sample history.
		err := chromedp.Run(ctx,
			chromedp.SendKeys(`#input`, "签到"), chromedp.Click(`#send`),
			chromedp.Sleep(time.Second),
			chromedp.SendKeys(`#input`, "本周"), chromedp.Click(`#send`),
			chromedp.Sleep(time.Second),
			chromedp.FullScreenshot(&png, 100)) // 100: PNG, not JPEG
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

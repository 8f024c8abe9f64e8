package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// 整改 and 议定: action items with an owner and a deadline, numbered per
// branch (#N). 整改 follows the 组织生活会 (支部工作条例 第十七条: problems
// found are put right); 议定 records what a 主题党日 or meeting decided.
// Both are the same list; Kind tells them apart.

// RectifyItem is one action item.
type RectifyItem struct {
	No       int       `json:"no"`
	Kind     string    `json:"kind"` // 整改 or 议定
	Owner    string    `json:"owner"`
	What     string    `json:"what"`
	Due      Date      `json:"due"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Done     bool      `json:"done,omitempty"`
	DoneBy   string    `json:"done_by,omitempty"`
	DoneAt   time.Time `json:"done_at,omitzero"`
	DoneNote string    `json:"done_note,omitempty"`
}

// Overdue reports whether the item is open past its deadline on today.
func (r RectifyItem) Overdue(today Date) bool { return !r.Done && r.Due.Before(today) }

// RectifyStore keeps a branch's action items.
type RectifyStore interface {
	// AddRectifyItem numbers item (the branch's next #N) and stores it.
	AddRectifyItem(ctx context.Context, branchID string, item RectifyItem) (RectifyItem, error)
	// RectifyItems are the branch's items by number.
	RectifyItems(ctx context.Context, branchID string) ([]RectifyItem, error)
	// RectifyItemsMany is RectifyItems of several branches in one round trip.
	RectifyItemsMany(ctx context.Context, branchIDs []string) (map[string][]RectifyItem, error)
	// SaveRectifyItem replaces item No.
	SaveRectifyItem(ctx context.Context, branchID string, item RectifyItem) error
}

// Kinds of action item.
const (
	KindRectify  = "整改"
	KindDecision = "议定"
)

// rectifyRemindDays: the owner hears this many days before the deadline.
const rectifyRemindDays = 3

// rectifyAdd records an item: 整改|议定 @owner 事项 截止 日期.
func (b *Bot) rectifyAdd(kind string) HandlerFunc {
	usage := "用法：" + kind + " @userid 事项 截止 日期，例如：" + kind + " @lisi 完善学习台账 截止 12-31"
	return func(ctx context.Context, req Request) (Reply, error) {
		if refusal := AccessBranch.refusal(req.Member, "登记"+kind); refusal != "" {
			return Reply{Text: refusal + "发“整改”查看你的事项。"}, nil
		}
		if len(req.Args) < 4 || !strings.HasPrefix(Normalize(req.Args[0]), "@") {
			return Reply{Text: usage}, nil
		}
		cut := slices.IndexFunc(req.Args, func(w string) bool { return Normalize(w) == "截止" })
		if cut < 2 || cut != len(req.Args)-2 {
			return Reply{Text: usage}, nil
		}
		today := DateOf(req.Now, b.Location)
		due, ok := parseDay(req.Args[cut+1], today)
		if !ok {
			return Reply{Text: "截止日期看不懂：" + req.Args[cut+1] + "。" + usage}, nil
		}
		who := mentionOf(req, req.Args[0])
		owner, found, _, err := b.findMember(ctx, req.Member, who)
		if err != nil {
			return Reply{}, err
		}
		if !found || !owner.Active {
			return Reply{Text: "找不到党员“" + who + "”，请用 userid，例如 @lisi。"}, nil
		}
		if !req.Member.Leads(owner.BranchID) {
			return Reply{Text: "只能给本支部的同志登记" + kind + "事项。"}, nil
		}
		item, err := b.Rectify.AddRectifyItem(ctx, owner.BranchID, RectifyItem{
			Kind: kind, Owner: owner.UserID, What: strings.Join(req.Args[1:cut], " "), Due: due,
			By: req.Member.UserID, At: req.Now,
		})
		if err != nil {
			return Reply{}, fmt.Errorf("bot: add %s: %w", kind, err)
		}
		if err := b.audit(ctx, req, kind, owner, fmt.Sprintf("#%d 截止 %s", item.No, due)); err != nil {
			return Reply{}, err
		}
		reply := Reply{Text: fmt.Sprintf("已登记%s #%d：%s，责任人 %s，截止 %s。", kind, item.No, item.What, owner.DisplayName(), due)}
		if owner.UserID != req.Member.UserID {
			reply.Notices = []Notice{{To: []string{owner.UserID}, Text: fmt.Sprintf("【%s】#%d %s，请在 %s 前完成，完成后发“整改 完成 #%d 说明”。", kind, item.No, item.What, due, item.No)}}
		}
		return reply, nil
	}
}

// rectifyList (整改) lists the open items: a leader's whole branch, a
// member's own.
func (b *Bot) rectifyList(ctx context.Context, req Request) (Reply, error) {
	if len(req.Args) > 0 {
		return b.rectifyAdd(KindRectify)(ctx, req)
	}
	items, err := b.Rectify.RectifyItems(ctx, req.Member.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: rectify items: %w", err)
	}
	leader := req.Member.Leads(req.Member.BranchID)
	members, err := b.Roster.BranchMembers(ctx, req.Member.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: branch members: %w", err)
	}
	today := DateOf(req.Now, b.Location)
	var lines []string
	for _, it := range items {
		if it.Done || (!leader && it.Owner != req.Member.UserID) {
			continue
		}
		line := fmt.Sprintf("#%d %s（%s，截止 %s", it.No, it.What, namesOf(members, []string{it.Owner})[0], it.Due)
		if it.Overdue(today) {
			line += "，已逾期"
		}
		lines = append(lines, line+"）")
	}
	if len(lines) == 0 {
		if leader {
			return Reply{Text: "本支部没有未完成的整改和议定事项。"}, nil
		}
		return Reply{Text: "你没有未完成的整改和议定事项。"}, nil
	}
	head := "未完成的事项："
	if !leader {
		head = "你的未完成事项："
	}
	return Reply{Text: head + "\n" + strings.Join(lines, "\n") + "\n完成后发“整改 完成 #编号 说明”。"}, nil
}

// rectifyDone (整改 完成 #N [说明]) closes an item: its owner or a leader.
func (b *Bot) rectifyDone(ctx context.Context, req Request) (Reply, error) {
	const usage = "用法：整改 完成 #编号 [说明]"
	if len(req.Args) == 0 {
		return Reply{Text: usage}, nil
	}
	no, err := strconv.Atoi(strings.TrimPrefix(Normalize(req.Args[0]), "#"))
	if err != nil || no <= 0 {
		return Reply{Text: usage}, nil
	}
	items, err := b.Rectify.RectifyItems(ctx, req.Member.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: rectify items: %w", err)
	}
	i := slices.IndexFunc(items, func(it RectifyItem) bool { return it.No == no })
	if i < 0 {
		return Reply{Text: fmt.Sprintf("本支部没有 #%d 事项，发“整改”查看。", no)}, nil
	}
	it := items[i]
	switch {
	case it.Owner != req.Member.UserID && !req.Member.Leads(req.Member.BranchID):
		return Reply{Text: fmt.Sprintf("#%d 只有责任人或书记、支委可以标记完成。", no)}, nil
	case it.Done:
		return Reply{Text: fmt.Sprintf("#%d 已于 %s 完成。", no, DateOf(it.DoneAt, b.Location))}, nil
	}
	it.Done, it.DoneBy, it.DoneAt, it.DoneNote = true, req.Member.UserID, req.Now, strings.Join(req.Args[1:], " ")
	if err := b.Rectify.SaveRectifyItem(ctx, req.Member.BranchID, it); err != nil {
		return Reply{}, fmt.Errorf("bot: save rectify item: %w", err)
	}
	if it.Owner != req.Member.UserID {
		if err := b.audit(ctx, req, it.Kind+"完成", Member{UserID: it.Owner, BranchID: req.Member.BranchID}, fmt.Sprintf("#%d", no)); err != nil {
			return Reply{}, err
		}
	}
	return Reply{Text: fmt.Sprintf("#%d %s 已标记完成。", no, it.What)}, nil
}

// RectifyProgress is how many of the 整改 and 议定 items created in year
// are done, of how many (the 组织生活会 checklist asks).
func (b *Bot) RectifyProgress(ctx context.Context, branchID string, year int) (done, total int, err error) {
	items, err := b.Rectify.RectifyItems(ctx, branchID)
	if err != nil {
		return 0, 0, fmt.Errorf("bot: rectify items: %w", err)
	}
	for _, it := range items {
		if DateOf(it.At, b.Location).Year != year {
			continue
		}
		total++
		if it.Done {
			done++
		}
	}
	return done, total, nil
}

// rectifyReminders tell each owner of an open item, once each, three days
// before its deadline and on the day (a run that missed the day catches up).
func (b *Bot) rectifyReminders(ctx context.Context, br Branch, run JobRun) ([]Outbound, error) {
	today := DateOf(run.Fire, b.Location)
	items, err := b.Rectify.RectifyItems(ctx, br.ID)
	if err != nil {
		return nil, fmt.Errorf("bot: rectify items: %w", err)
	}
	var out []Outbound
	for _, it := range items {
		if it.Done || today.Before(it.Due.AddDays(-rectifyRemindDays)) {
			continue
		}
		step, text := "before", fmt.Sprintf("【%s】#%d %s 将于 %s 截止，完成后发“整改 完成 #%d 说明”。", it.Kind, it.No, it.What, it.Due, it.No)
		if !today.Before(it.Due) {
			step, text = "due", fmt.Sprintf("【%s】#%d %s 今天（%s）截止，完成后发“整改 完成 #%d 说明”。", it.Kind, it.No, it.What, it.Due, it.No)
			if today != it.Due {
				text = fmt.Sprintf("【%s】#%d %s 已于 %s 截止，请尽快完成并发“整改 完成 #%d 说明”。", it.Kind, it.No, it.What, it.Due, it.No)
			}
		}
		name := fmt.Sprintf("rect:%d:%s:%s", it.No, it.Due, step)
		mine, err := b.Steps.Once(ctx, br.ID, name, JobRunToken(run))
		if err != nil {
			return nil, err
		}
		if mine {
			out = append(out, Outbound{Key: br.ID + ":" + name, Notice: Notice{To: []string{it.Owner}, Text: text}})
		}
	}
	return out, nil
}

// rectifyLine is the weekly summary's line on overdue items, or "".
func rectifyLine(items []RectifyItem, today Date) string {
	var late []string
	for _, it := range items {
		if it.Overdue(today) {
			late = append(late, fmt.Sprintf("#%d", it.No))
		}
	}
	if len(late) == 0 {
		return ""
	}
	return fmt.Sprintf("整改/议定逾期 %d 项：%s（发“整改”查看）", len(late), strings.Join(late, "、"))
}

// yearCycle is the daily job of the year's cycle: 整改 reminders, and on
// the month's first run the 谈心谈话 suggestions to each secretary.
func (b *Bot) yearCycle(ctx context.Context, run JobRun) ([]Outbound, error) {
	branches, err := b.activeBranches(ctx)
	if err != nil {
		return nil, err
	}
	var out []Outbound
	for _, br := range branches {
		rem, err := b.rectifyReminders(ctx, br, run)
		if err != nil {
			return nil, err
		}
		nudge, err := b.talkNudge(ctx, br, run)
		if err != nil {
			return nil, err
		}
		out = append(append(out, rem...), nudge...)
	}
	return out, nil
}

// rectifyIn are the items the span saw: created by its end and not done
// before it began.
func (b *Bot) rectifyIn(ctx context.Context, branchID string, span Span) ([]RectifyItem, error) {
	items, err := b.Rectify.RectifyItems(ctx, branchID)
	if err != nil {
		return nil, fmt.Errorf("bot: rectify items of %s: %w", branchID, err)
	}
	return slices.DeleteFunc(items, func(it RectifyItem) bool {
		return span.To.Before(DateOf(it.At, b.Location)) || (it.Done && DateOf(it.DoneAt, b.Location).Before(span.From))
	}), nil
}

package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// 组织关系 transfers and confirming who is a member. A member who leaves is
// not deleted: they become 待转出, and their branch stays responsible until
// the other side has received the transfer (党员教育管理工作条例); the
// secretary is reminded at 1, 3 and 6 months. 转入 is the receiving side.
// 确认 makes a 待确认 (found by the address book sync) a member, or takes a
// 待转出 back.

// JobTransfers reminds secretaries of transfers not yet received.
const JobTransfers = "transfers"

// Transfer is a member's 组织关系 on its way out of a branch.
type Transfer struct {
	UserID   string `json:"userid"`
	BranchID string `json:"branch"`
	To       string `json:"to"`              // 去向, as the leader wrote it
	Since    Date   `json:"since"`           // the day they became 待转出
	Prior    Status `json:"prior,omitempty"` // their status before: restored if they stay
	By       string `json:"by"`              // the leader, or the sync's actor
	BySync   bool   `json:"sync,omitempty"`  // the address book stopped listing them
}

// TransferStore keeps each branch's open transfers.
type TransferStore interface {
	SaveTransfer(ctx context.Context, t Transfer) error
	// Transfers lists a branch's open transfers, ordered by userid.
	Transfers(ctx context.Context, branchID string) ([]Transfer, error)
	EndTransfer(ctx context.Context, branchID, userID string) error
}

const (
	transferOutUsage = "用法：转出 @userid 去向，例如“转出 @lisi 北京市朝阳区某街道党工委”。"
	transferInUsage  = "用法：转入 @userid 姓名 [预备党员] 来自…，例如“转入 @wangwu 王五 来自上海某公司党支部”。"
	confirmUsage     = "用法：确认 @userid 正式党员，或 确认 @userid 预备党员。"
	maxPlaceRunes    = 100
)

// saveMember writes one member over before (zero when new), with history.
func (b *Bot) saveMember(ctx context.Context, before, after Member, now time.Time) error {
	known := map[string]Member{}
	if before.UserID != "" {
		known[before.UserID] = before
	}
	return saveMembers(ctx, b.Roster, known, []Member{after}, DateOf(now, b.Location), false)
}

// place reads a free-text place (去向, 来自): one line, bounded, visible.
func place(words []string) (string, bool) {
	text := strings.TrimSpace(strings.Join(words, " "))
	return text, utf8.RuneCountInString(text) <= maxPlaceRunes && !HasHiddenRunes(text)
}

// transferOut handles "转出 @userid 去向": the member becomes 待转出.
func (b *Bot) transferOut(ctx context.Context, req Request) (Reply, error) {
	if len(req.Args) < 2 || !strings.HasPrefix(Normalize(req.Args[0]), "@") {
		return Reply{Text: transferOutUsage}, nil
	}
	target, rest, refusal, err := b.resolveTarget(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	to, ok := place(rest)
	if !ok || to == "" {
		return Reply{Text: transferOutUsage}, nil
	}
	name := target.DisplayName()
	switch {
	case target.BranchID == "":
		return Reply{Text: name + " 不属于任何支部，无需转出。"}, nil
	case target.Status == StatusPending:
		return Reply{Text: name + " 还是待确认，不是本支部党员，无需转出。"}, nil
	case target.Status == StatusLeaving:
		return Reply{Text: fmt.Sprintf("%s 已在转出中。对方接收后发“转出 完成 @%s”。", name, target.UserID)}, nil
	}
	t := Transfer{UserID: target.UserID, BranchID: target.BranchID, To: to, Since: DateOf(req.Now, b.Location),
		Prior: target.Status, By: req.Member.UserID}
	if err := b.Roster.SaveTransfer(ctx, t); err != nil {
		return Reply{}, fmt.Errorf("bot: save transfer: %w", err)
	}
	leaving := target
	leaving.Status = StatusLeaving
	if err := b.saveMember(ctx, target, leaving, req.Now); err != nil {
		return Reply{}, err
	}
	if err := b.audit(ctx, req, "transfer.out", target, "去向 "+to); err != nil {
		return Reply{}, err
	}
	return Reply{Text: fmt.Sprintf("已将 %s 标为待转出（去向：%s），不再计入提醒、会议和统计。对方接收前本支部仍负责其管理；接收后发“转出 完成 @%s”。1、3、6 个月时我会提醒你。",
		name, Plain(to), target.UserID)}, nil
}

// transferDone handles "转出 完成 @userid": the other side has received
// the transfer; the member leaves the branch's books (records stay).
func (b *Bot) transferDone(ctx context.Context, req Request) (Reply, error) {
	if len(req.Args) != 1 || !strings.HasPrefix(Normalize(req.Args[0]), "@") {
		return Reply{Text: "用法：转出 完成 @userid"}, nil
	}
	target, _, refusal, err := b.resolveTarget(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	if target.Status != StatusLeaving {
		return Reply{Text: fmt.Sprintf("%s 不在转出中。先发“转出 @%s 去向”。", target.DisplayName(), target.UserID)}, nil
	}
	t, found, err := b.transferOf(ctx, target)
	if err != nil {
		return Reply{}, err
	}
	gone := target
	gone.Active = false
	if found && t.Prior != StatusLeaving {
		gone.Status = t.Prior // the record says what they were
	}
	if err := b.saveMember(ctx, target, gone, req.Now); err != nil {
		return Reply{}, err
	}
	if err := b.Roster.EndTransfer(ctx, target.BranchID, target.UserID); err != nil {
		return Reply{}, fmt.Errorf("bot: end transfer: %w", err)
	}
	if err := b.audit(ctx, req, "transfer.done", target, "去向 "+t.To); err != nil {
		return Reply{}, err
	}
	return Reply{Text: fmt.Sprintf("%s 的组织关系已转出完成，已移出本支部名单。其在本支部的记录保留在台账中。", target.DisplayName())}, nil
}

// transferOf finds the open transfer of a 待转出 member.
func (b *Bot) transferOf(ctx context.Context, m Member) (Transfer, bool, error) {
	ts, err := b.Roster.Transfers(ctx, m.BranchID)
	if err != nil {
		return Transfer{}, false, fmt.Errorf("bot: transfers of %s: %w", m.BranchID, err)
	}
	for _, t := range ts {
		if t.UserID == m.UserID {
			return t, true, nil
		}
	}
	return Transfer{}, false, nil
}

// statusWord reads 正式党员/预备党员 (not empty).
func statusWord(s string) (Status, bool) {
	st, ok := ParseStatus(s)
	return st, ok && st != StatusUnknown
}

// transferIn handles "转入 @userid 姓名 [预备党员] 来自…": the person joins
// the sender's branch as a member (正式党员 unless said otherwise).
func (b *Bot) transferIn(ctx context.Context, req Request) (Reply, error) {
	args := req.Args
	if len(args) < 2 || !strings.HasPrefix(Normalize(args[0]), "@") {
		return Reply{Text: transferInUsage}, nil
	}
	branchID := req.Member.BranchID
	if branchID == "" {
		return Reply{Text: "请由接收支部的书记或支委发送“转入”。"}, nil
	}
	userID := mentionOf(req, args[0])
	name := strings.TrimSpace(args[1])
	if !ValidUserID(userID) || name == "" || HasHiddenRunes(name) || strings.HasPrefix(name, "来自") {
		return Reply{Text: transferInUsage}, nil
	}
	rest := args[2:]
	status, given := StatusFull, false
	if len(rest) > 0 {
		if st, ok := statusWord(rest[0]); ok {
			status, given, rest = st, true, rest[1:]
		}
	}
	from, ok := place(rest)
	if !ok {
		return Reply{Text: transferInUsage}, nil
	}
	from = strings.TrimSpace(strings.TrimPrefix(from, "来自"))
	cur, found, err := b.Roster.Member(ctx, userID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: look up %s: %w", userID, err)
	}
	next := Member{UserID: userID, Role: RoleMember}
	if found {
		next = cur
		if next.BranchID != branchID && next.Role.Leads() {
			next.Role = RoleMember // a branch role does not move with the member
		}
	}
	var received *Transfer
	if found && cur.Active {
		switch {
		case cur.Counts() && cur.BranchID == branchID:
			return Reply{Text: cur.DisplayName() + " 已是本支部党员。"}, nil
		case cur.Counts() && cur.BranchID != "":
			return Reply{Text: fmt.Sprintf("%s 目前是另一个支部（%s）的党员，请先由该支部发“转出 @%s 去向”。", cur.DisplayName(), cur.BranchID, userID)}, nil
		case cur.Status == StatusLeaving && cur.BranchID == branchID:
			return Reply{Text: fmt.Sprintf("%s 正在从本支部转出。如不再转出，发“确认 @%s 正式党员”。", cur.DisplayName(), userID)}, nil
		case cur.Status == StatusLeaving: // from a branch of this org: received now
			t, ok, err := b.transferOf(ctx, cur)
			if err != nil {
				return Reply{}, err
			}
			if ok {
				received = &t
				if !given && t.Prior != StatusUnknown {
					status = t.Prior
				}
				if from == "" {
					from = cur.BranchID
				}
			}
		}
	}
	next.Name, next.BranchID, next.Status, next.Active = name, branchID, status, true
	if err := b.saveMember(ctx, cur, next, req.Now); err != nil {
		return Reply{}, err
	}
	if received != nil {
		if err := b.Roster.EndTransfer(ctx, received.BranchID, userID); err != nil {
			return Reply{}, fmt.Errorf("bot: end transfer: %w", err)
		}
	}
	detail := string(status)
	if from != "" {
		detail += " 来自 " + from
	}
	if err := b.audit(ctx, req, "transfer.in", next, detail); err != nil {
		return Reply{}, err
	}
	text := fmt.Sprintf("已将 %s 转入本支部（%s", next.DisplayName(), status)
	if from != "" {
		text += "，来自 " + Plain(from)
	}
	return Reply{Text: text + "）。"}, nil
}

// confirm handles "确认 @userid 正式党员|预备党员": a 待确认 becomes a
// member, or a 待转出 stays after all (the transfer is dropped).
func (b *Bot) confirm(ctx context.Context, req Request) (Reply, error) {
	if len(req.Args) != 2 || !strings.HasPrefix(Normalize(req.Args[0]), "@") {
		return Reply{Text: confirmUsage}, nil
	}
	status, ok := statusWord(req.Args[1])
	if !ok {
		return Reply{Text: confirmUsage}, nil
	}
	target, _, refusal, err := b.resolveTarget(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	name := target.DisplayName()
	if target.Status != StatusPending && target.Status != StatusLeaving {
		return Reply{Text: fmt.Sprintf("%s 已是%s，无需确认。", name, target.Status.Label())}, nil
	}
	next := target
	next.Status = status
	if err := b.saveMember(ctx, target, next, req.Now); err != nil {
		return Reply{}, err
	}
	detail := string(target.Status) + " → " + string(status)
	if target.Status == StatusLeaving {
		if err := b.Roster.EndTransfer(ctx, target.BranchID, target.UserID); err != nil {
			return Reply{}, fmt.Errorf("bot: end transfer: %w", err)
		}
		detail += "（撤销转出）"
	}
	if err := b.audit(ctx, req, "member.confirm", target, detail); err != nil {
		return Reply{}, err
	}
	return Reply{Text: fmt.Sprintf("已确认 %s 为%s，此后计入提醒、会议和统计。", name, status)}, nil
}

// transferMilestones are the months after 转出 at which the secretary hears
// that the transfer is still open; at 6 the rule on members away six
// months applies (transfer, or manage as 流动党员: 党员教育管理工作条例).
var transferMilestones = []int{6, 3, 1}

// transferReminder is the daily job of open transfers: the secretaries
// hear at once of a member the address book no longer lists, and of every
// open transfer 1, 3 and 6 months after it began, each once.
func (b *Bot) transferReminder(ctx context.Context, run JobRun) ([]Outbound, error) {
	today := DateOf(run.Fire, b.Location)
	token := JobRunToken(run)
	var out []Outbound
	err := b.eachBranch(ctx, func(br Branch) error {
		transfers, err := b.Roster.Transfers(ctx, br.ID)
		if err != nil || len(transfers) == 0 {
			return err
		}
		others, err := b.Roster.BranchPending(ctx, br.ID)
		if err != nil {
			return fmt.Errorf("bot: list branch %s: %w", br.ID, err)
		}
		leaving := map[string]Member{}
		for _, m := range others {
			if m.Status == StatusLeaving {
				leaving[m.UserID] = m
			}
		}
		members, err := b.Roster.BranchMembers(ctx, br.ID)
		if err != nil {
			return fmt.Errorf("bot: list branch %s: %w", br.ID, err)
		}
		to := leadersOf(members)
		for _, t := range transfers {
			m, still := leaving[t.UserID]
			if !still || len(to) == 0 {
				continue // taken back, or no one to tell
			}
			step, text := transferStep(t, m, today)
			if step == "" {
				continue
			}
			mine, err := b.Steps.Once(ctx, br.ID, fmt.Sprintf("transfer:%s:%s:%s", t.UserID, t.Since, step), token)
			if err != nil {
				return err
			}
			if mine {
				out = append(out, uniform(fmt.Sprintf("transfer:%s:%s:%s", br.ID, t.UserID, step), slices.Clone(to), Notice{Text: text})...)
			}
		}
		return nil
	})
	return out, err
}

// transferStep is the reminder due today for an open transfer: the latest
// milestone reached (a missed run catches up, an older one is not sent
// after a newer), or the first notice of a departure the sync found.
func transferStep(t Transfer, m Member, today Date) (step, text string) {
	name, id := m.DisplayName(), m.UserID
	for _, n := range transferMilestones {
		if today.Before(addMonths(t.Since, n)) {
			continue
		}
		text = fmt.Sprintf("【转出】%s 已待转出 %d 个月（%s起，去向：%s），对方还未接收。接收前本支部仍负责其管理；接收后发“转出 完成 @%s”。",
			name, n, fmtDay(t.Since), Plain(t.To), id)
		if n == 6 {
			text += "外出满 6 个月应转接组织关系或按流动党员管理，请尽快办理。"
		}
		return fmt.Sprintf("m%d", n), text
	}
	if t.BySync {
		return "left", fmt.Sprintf("【转出】%s 已不在企业通讯录中，已标为待转出（不计入提醒、会议和统计）。请为其办理组织关系转出，对方接收后发“转出 完成 @%s”；如仍在本支部，发“确认 @%s 正式党员”。",
			name, id, id)
	}
	return "", ""
}

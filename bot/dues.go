package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Cents is an amount of money in fen.
type Cents int64

// String shows yuan: "50", "12.50".
func (c Cents) String() string {
	if c%100 == 0 {
		return strconv.FormatInt(int64(c/100), 10)
	}
	return fmt.Sprintf("%d.%02d", c/100, c%100)
}

var amountPattern = regexp.MustCompile(`^(\d{1,6})(?:\.(\d{1,2}))?(?:元)?$`)

// ParseAmount reads a positive amount with at most two decimals ("50", "12.5").
func ParseAmount(s string) (Cents, bool) {
	m := amountPattern.FindStringSubmatch(Normalize(s))
	if m == nil {
		return 0, false
	}
	yuan, _ := strconv.ParseInt(m[1], 10, 64)
	frac := m[2] + strings.Repeat("0", 2-len(m[2]))
	fen, _ := strconv.ParseInt(frac, 10, 64)
	c := Cents(yuan*100 + fen)
	return c, c > 0
}

// DuesPayment is one member's payment for one month.
type DuesPayment struct {
	UserID string    `json:"userid"`
	Month  string    `json:"month"` // 2026-05
	Amount Cents     `json:"amount"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`  // who recorded it
	Via    string    `json:"via"` // self, card, proxy
}

// DuesStore keeps amounts and payments, per branch.
type DuesStore interface {
	SetDuesAmount(ctx context.Context, branchID, userID string, amount Cents) error
	DuesAmounts(ctx context.Context, branchID string) (map[string]Cents, error)
	// DuesAmountsMany is DuesAmounts of several branches in one round trip.
	DuesAmountsMany(ctx context.Context, branchIDs []string) (map[string]map[string]Cents, error)
	// RecordDues stores p unless the member's month is paid already, and
	// returns the payment that stands.
	RecordDues(ctx context.Context, branchID string, p DuesPayment) (stored DuesPayment, created bool, err error)
	// RevokeDues removes a member's payment of a month and returns it
	// (found=false when there was none).
	RevokeDues(ctx context.Context, branchID, userID string, month Month) (removed DuesPayment, found bool, err error)
	// DuesPaid reads the payments of the months, by month then userid.
	DuesPaid(ctx context.Context, branchID string, months []Month) (map[Month]map[string]DuesPayment, error)
	// DuesPaidMany is DuesPaid of several branches in one round trip.
	DuesPaidMany(ctx context.Context, branchIDs []string, months []Month) (map[string]map[Month]map[string]DuesPayment, error)
}

// maxBackMonths is how far back dues may be paid (党费 back-payment ≤ 6 months).
const maxBackMonths = 6

// DefaultDuesDay is the collection day when a branch names none.
const DefaultDuesDay = 5

// duesMonth checks a month a payment is for: at most six months back
// (back-payment), and ahead only as far as the branch allows paying in
// advance (2008 规定: with the branch's consent; rules.dues_prepay_months,
// 0: not at all). A bare month too old to back-pay ("3月" in November) is
// next year's when that may be prepaid.
func duesMonth(word string, this Month, prepay int) (Month, string) {
	m, ok := ParseMonth(word, this)
	if ok && this.Since(m) > maxBackMonths && m.Add(12).Since(this) <= prepay && bareMonth(word) {
		m = m.Add(12)
	}
	switch {
	case !ok:
		return m, "月份看不懂：“" + Plain(word) + "”，请写 2026-05 或 5月。"
	case this.Before(m) && prepay == 0:
		return m, fmt.Sprintf("%s还没到，不能提前登记。", m.Label())
	case m.Since(this) > prepay:
		return m, fmt.Sprintf("%s还没到：最多可提前 %d 个月预交。", m.Label(), prepay)
	case this.Since(m) > maxBackMonths:
		return m, fmt.Sprintf("%s已超过 %d 个月，按规定不能补交，请联系书记。", m.Label(), maxBackMonths)
	}
	return m, ""
}

// bareMonth reports whether word names a month without its year ("5月").
func bareMonth(word string) bool {
	m := monthPattern.FindStringSubmatch(Normalize(word))
	return m != nil && m[1] == ""
}

// prepaidNote marks the reply for a month paid ahead.
func prepaidNote(month, this Month) string {
	if this.Before(month) {
		return "（预交）"
	}
	return ""
}

const duesUsage = "用法：党费（看自己的）｜党费 已交 [月份]｜书记：党费 设置 @userid 50｜党费 补交 @userid 2026-05｜党费 状态 [月份]｜党费 年度 [年]"

// dues handles "党费" alone and words no subcommand knows; the subcommands
// (已交, 设置, 补交, 状态, 年度) are rows of the command table (routes.go).
func (b *Bot) dues(ctx context.Context, req Request) (Reply, error) {
	if req.Member.BranchID == "" && req.Member.Role != RoleAdmin {
		return Reply{Text: "党费按支部收缴：你不属于任何支部。"}, nil
	}
	if len(req.Args) == 0 {
		return b.duesMine(ctx, req)
	}
	return Reply{Text: duesUsage}, nil
}

// duesMine shows the member's own standing.
func (b *Bot) duesMine(ctx context.Context, req Request) (Reply, error) {
	m := req.Member
	this := MonthOf(DateOf(req.Now, b.Location))
	amounts, err := b.Dues.DuesAmounts(ctx, m.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: dues amounts: %w", err)
	}
	months := lastMonths(this, maxBackMonths+1)
	ahead := lastMonths(this.Add(b.DuesPrepayMonths), b.DuesPrepayMonths)
	paid, err := b.Dues.DuesPaid(ctx, m.BranchID, append(slices.Clone(months), ahead...))
	if err != nil {
		return Reply{}, fmt.Errorf("bot: dues paid: %w", err)
	}
	var unpaid, prepaid []string
	for _, mo := range months {
		if _, ok := paid[mo][m.UserID]; !ok {
			unpaid = append(unpaid, fmt.Sprintf("%d月", mo.Month))
		}
	}
	for _, mo := range ahead {
		if _, ok := paid[mo][m.UserID]; ok {
			prepaid = append(prepaid, shortMonth(mo, this))
		}
	}
	amount := "未设置（请向书记确认）"
	if a, ok := amounts[m.UserID]; ok {
		amount = a.String() + " 元"
	}
	text := fmt.Sprintf("你的月党费：%s\n", amount)
	if len(unpaid) == 0 {
		text += "近 7 个月都已交，谢谢！"
	} else {
		text += "未登记：" + strings.Join(unpaid, "、") + "。交了请发“党费 已交 [月份]”。"
	}
	if len(prepaid) > 0 {
		text += "\n已预交：" + strings.Join(prepaid, "、") + "。"
	}
	return Reply{Text: text}, nil
}

// shortMonth is "12月" in this month's year, "2027年1月" in another.
func shortMonth(m, this Month) string {
	if m.Year == this.Year {
		return fmt.Sprintf("%d月", m.Month)
	}
	return m.Label()
}

// lastMonths lists the n months ending with this, oldest first.
func lastMonths(this Month, n int) []Month {
	out := make([]Month, n)
	for i := range out {
		out[i] = this.Add(i - n + 1)
	}
	return out
}

// duesPaid handles "党费 已交 [月份]" and the reminder card's button.
func (b *Bot) duesPaid(ctx context.Context, req Request) (Reply, error) {
	this := MonthOf(DateOf(req.Now, b.Location))
	month := this
	if len(req.Args) > 0 {
		var problem string
		if month, problem = duesMonth(req.Args[0], this, b.DuesPrepayMonths); problem != "" {
			return Reply{Text: problem}, nil
		}
	}
	via := "self"
	if req.Msg.Kind == KindEvent {
		via = "card"
	}
	p, created, err := b.recordDues(ctx, req.Member, req.Member.UserID, month, via, req.Now)
	if err != nil {
		return Reply{}, err
	}
	amount := p.Amount.String() + " 元"
	if p.Amount == 0 {
		amount = "（金额未设置，请向书记确认）"
	}
	if !created {
		return Reply{Text: fmt.Sprintf("%s的党费已登记（%s，%s）。", month.Label(), amount, p.At.In(b.Location).Format("1月2日"))}, nil
	}
	return Reply{Text: fmt.Sprintf("已登记 %s党费 %s ✅%s", month.Label(), amount, prepaidNote(month, this))}, nil
}

// recordDues stores a payment at the member's set amount.
func (b *Bot) recordDues(ctx context.Context, member Member, by string, month Month, via string, now time.Time) (DuesPayment, bool, error) {
	amounts, err := b.Dues.DuesAmounts(ctx, member.BranchID)
	if err != nil {
		return DuesPayment{}, false, fmt.Errorf("bot: dues amounts: %w", err)
	}
	p := DuesPayment{UserID: member.UserID, Month: month.String(), Amount: amounts[member.UserID], At: now, By: by, Via: via}
	stored, created, err := b.Dues.RecordDues(ctx, member.BranchID, p)
	if err != nil {
		return DuesPayment{}, false, fmt.Errorf("bot: record dues: %w", err)
	}
	return stored, created, nil
}

// namedMember reads the @userid a secretary's 党费 command must name;
// refusal is the usage line, or why that member is not theirs.
func (b *Bot) namedMember(ctx context.Context, req Request, usage string) (target Member, rest []string, refusal string, err error) {
	if len(req.Args) == 0 || !strings.HasPrefix(Normalize(req.Args[0]), "@") {
		return Member{}, nil, usage, nil
	}
	return b.resolveTarget(ctx, req)
}

// namedMemberAnd reads "@userid WORD": the member the command names and the
// one word after it; refusal is the usage line, or why that member is not
// the sender's to act for.
func (b *Bot) namedMemberAnd(ctx context.Context, req Request, usage string) (target Member, word, refusal string, err error) {
	target, rest, refusal, err := b.namedMember(ctx, req, usage)
	switch {
	case err != nil || refusal != "":
		return Member{}, "", refusal, err
	case len(rest) != 1:
		return Member{}, "", usage, nil
	}
	return target, rest[0], "", nil
}

// duesSet handles "党费 设置 @userid 50".
func (b *Bot) duesSet(ctx context.Context, req Request) (Reply, error) {
	const usage = "用法：党费 设置 @userid 50（金额为正数，最多两位小数）"
	target, word, refusal, err := b.namedMemberAnd(ctx, req, usage)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	amount, ok := ParseAmount(word)
	if !ok {
		return Reply{Text: "金额要是正数，最多两位小数，例如 50 或 12.5。"}, nil
	}
	if err := b.Dues.SetDuesAmount(ctx, target.BranchID, target.UserID, amount); err != nil {
		return Reply{}, fmt.Errorf("bot: set dues: %w", err)
	}
	if err := b.audit(ctx, req, "dues.set", target, amount.String()); err != nil {
		return Reply{}, err
	}
	return Reply{Text: fmt.Sprintf("已设置 %s 的月党费：%s 元。", target.DisplayName(), amount)}, nil
}

// duesProxy handles "党费 补交 @userid 2026-05": a payment recorded by the
// secretary (paid through them, or late), audited.
func (b *Bot) duesProxy(ctx context.Context, req Request) (Reply, error) {
	target, rest, refusal, err := b.namedMember(ctx, req, "用法：党费 补交 @userid 2026-05")
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	this := MonthOf(DateOf(req.Now, b.Location))
	month := this
	if len(rest) > 0 {
		var problem string
		if month, problem = duesMonth(rest[0], this, b.DuesPrepayMonths); problem != "" {
			return Reply{Text: problem}, nil
		}
	}
	p, created, err := b.recordDues(ctx, target, req.Member.UserID, month, "proxy", req.Now)
	if err != nil {
		return Reply{}, err
	}
	if !created {
		return Reply{Text: fmt.Sprintf("%s %s的党费已登记过（%s 元）。", target.DisplayName(), month.Label(), p.Amount)}, nil
	}
	if err := b.audit(ctx, req, "dues.proxy", target, month.String()+" "+p.Amount.String()); err != nil {
		return Reply{}, err
	}
	note := "（已记入审计）"
	if this.Before(month) {
		note = "（预交，已记入审计）"
	}
	return Reply{Text: fmt.Sprintf("已为 %s 登记 %s党费 %s 元%s。", target.DisplayName(), month.Label(), p.Amount, note)}, nil
}

// duesRevoke handles "党费 撤销 @userid 2026-05": a payment recorded by
// mistake (or at 0 yuan, before the amount was set) is removed, audited with
// what it was, and may then be recorded again with 补交.
func (b *Bot) duesRevoke(ctx context.Context, req Request) (Reply, error) {
	const usage = "用法：党费 撤销 @userid 2026-05（撤销该月的党费登记，记入审计）"
	target, word, refusal, err := b.namedMemberAnd(ctx, req, usage)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	month, ok := ParseMonth(word, MonthOf(DateOf(req.Now, b.Location)))
	if !ok {
		return Reply{Text: "月份看不懂：“" + Plain(word) + "”，请写 2026-05 或 5月。"}, nil
	}
	p, found, err := b.Dues.RevokeDues(ctx, target.BranchID, target.UserID, month)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: revoke dues: %w", err)
	}
	if !found {
		return Reply{Text: fmt.Sprintf("%s %s没有党费登记，无需撤销。", target.DisplayName(), month.Label())}, nil
	}
	detail := fmt.Sprintf("%s %s 元（%s，%s 登记）", month, p.Amount, p.Via, p.By)
	if err := b.audit(ctx, req, "dues.revoke", target, detail); err != nil {
		return Reply{}, err
	}
	return Reply{Text: fmt.Sprintf("已撤销 %s %s的党费登记（%s 元，已记入审计）。需要重新登记请发“党费 补交 @%s %s”。",
		target.DisplayName(), month.Label(), p.Amount, target.UserID, month)}, nil
}

// duesStatus handles "党费 状态 [月份]": paid and unpaid with totals.
func (b *Bot) duesStatus(ctx context.Context, req Request) (Reply, error) {
	this := MonthOf(DateOf(req.Now, b.Location))
	month := this
	if len(req.Args) > 0 {
		var ok bool
		if month, ok = ParseMonth(req.Args[0], this); !ok || this.Before(month) {
			return Reply{Text: "用法：党费 状态 [月份]，例如 党费 状态 2026-05"}, nil
		}
	}
	branch := req.Member.BranchID
	members, err := b.Roster.BranchMembers(ctx, branch)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: list branch %s: %w", branch, err)
	}
	amounts, err := b.Dues.DuesAmounts(ctx, branch)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: dues amounts: %w", err)
	}
	paid, err := b.Dues.DuesPaid(ctx, branch, []Month{month})
	if err != nil {
		return Reply{}, fmt.Errorf("bot: dues paid: %w", err)
	}
	var got, due Cents
	var payers, owing []string
	for _, m := range members {
		due += amounts[m.UserID]
		if p, ok := paid[month][m.UserID]; ok {
			got += p.Amount
			payers = append(payers, m.DisplayName())
		} else {
			owing = append(owing, fmt.Sprintf("%s（%s）", m.DisplayName(), amountOr(amounts, m.UserID)))
		}
	}
	text := fmt.Sprintf("%s党费：已交 %d/%d 人，%s/%s 元", month.Label(), len(payers), len(members), got, due)
	if len(owing) > 0 {
		text += "\n未交：" + strings.Join(owing, "、")
	}
	return Reply{Text: text}, nil
}

func amountOr(amounts map[string]Cents, id string) string {
	if a, ok := amounts[id]; ok {
		return a.String() + "元"
	}
	return "金额未设"
}

// duesYear handles "党费 年度 [年]": each member's months and total, for
// publication to the members as the rules ask.
func (b *Bot) duesYear(ctx context.Context, req Request) (Reply, error) {
	this := MonthOf(DateOf(req.Now, b.Location))
	year := this.Year
	if len(req.Args) > 0 {
		y, err := strconv.Atoi(strings.TrimSuffix(Normalize(req.Args[0]), "年"))
		if err != nil || y < 2000 || y > this.Year {
			return Reply{Text: "用法：党费 年度 [年]，例如 党费 年度 2026"}, nil
		}
		year = y
	}
	branch := req.Member.BranchID
	members, err := b.Roster.BranchMembers(ctx, branch)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: list branch %s: %w", branch, err)
	}
	var months []Month
	for mo := (Month{year, time.January}); mo.Year == year && !this.Before(mo); mo = mo.Add(1) {
		months = append(months, mo)
	}
	paid, err := b.Dues.DuesPaid(ctx, branch, months)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: dues paid: %w", err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d年党费收缴（截至 %d 月）\n姓名｜已交月数｜合计（元）", year, months[len(months)-1].Month)
	var total Cents
	for _, m := range members {
		n, sum := 0, Cents(0)
		for _, mo := range months {
			if p, ok := paid[mo][m.UserID]; ok {
				n++
				sum += p.Amount
			}
		}
		total += sum
		fmt.Fprintf(&sb, "\n%s｜%d｜%s", m.DisplayName(), n, sum)
	}
	fmt.Fprintf(&sb, "\n合计 %s 元", total)
	return Reply{Text: sb.String()}, nil
}

// duesButtonKey is the reminder card's "已交" button: "dues_paid:2026-05".
const duesButtonKey = "dues_paid:"

// duesByCard handles the reminder card's button.
func (b *Bot) duesByCard(ctx context.Context, req Request, month string) (Reply, error) {
	this := MonthOf(DateOf(req.Now, b.Location))
	m, problem := duesMonth(month, this, b.DuesPrepayMonths)
	if problem != "" {
		return Reply{ReplaceButton: "已过期"}, nil
	}
	if _, _, err := b.recordDues(ctx, req.Member, req.Member.UserID, m, "card", req.Now); err != nil {
		return Reply{}, err
	}
	return Reply{ReplaceButton: "已登记"}, nil
}

// duesReminder is the dues-reminder job: on each branch's collection day,
// the members who have not paid this month get one card, once.
func (b *Bot) duesReminder(ctx context.Context, run JobRun) ([]Outbound, error) {
	day := DateOf(run.Fire, b.Location)
	month := MonthOf(day)
	token := JobRunToken(run)
	var out []Outbound
	err := b.eachBranch(ctx, func(br Branch) error {
		collect := min(cmp.Or(br.DuesDay, DefaultDuesDay), month.Last().Day)
		if day.Day != collect && !run.Manual {
			return nil
		}
		if !run.Manual { // a manual run reminds now, and leaves the collection day's to the schedule
			mine, err := b.Steps.Once(ctx, br.ID, "dues-reminder:"+month.String(), token)
			if err != nil || !mine {
				return err
			}
		}
		members, err := b.Roster.BranchMembers(ctx, br.ID)
		if err != nil {
			return fmt.Errorf("bot: list branch %s: %w", br.ID, err)
		}
		paid, err := b.Dues.DuesPaid(ctx, br.ID, []Month{month})
		if err != nil {
			return fmt.Errorf("bot: dues paid: %w", err)
		}
		var unpaid []string
		for _, m := range members {
			if _, ok := paid[month][m.UserID]; !ok {
				unpaid = append(unpaid, m.UserID)
			}
		}
		out = append(out, uniform("dues:"+br.ID, unpaid, Notice{Card: &Card{
			Title:       month.Label() + "党费",
			Description: "今天是本支部收缴日，交了请点“已交”",
			Subtitle:    "也可以回复“党费 已交”。金额有疑问请问书记。",
			Buttons:     []Button{{Text: "已交", Key: duesButtonKey + month.String()}},
		}})...)
		return nil
	})
	return out, err
}

// errDuesRowAmount is a roster row whose dues column is not an amount.
var errDuesRowAmount = errors.New("dues is not a positive amount with at most two decimals")

// ImportDues sets the amounts of a roster import's dues column (rows
// without one keep theirs).
func ImportDues(ctx context.Context, ds DuesStore, rows []RosterRow) error {
	for _, r := range rows {
		if strings.TrimSpace(r.Dues) == "" {
			continue
		}
		amount, ok := ParseAmount(r.Dues)
		if !ok {
			return fmt.Errorf("line %d: %w", r.Line, errDuesRowAmount)
		}
		if err := ds.SetDuesAmount(ctx, strings.TrimSpace(r.Branch), Qualify(NormalizeUserID(r.Corp), r.UserID), amount); err != nil {
			return fmt.Errorf("bot: set dues: %w", err)
		}
	}
	return nil
}

// duesOwedMonths counts the months in a row, up to last month, a member
// has no payment for (at most within months).
func duesOwedMonths(paid map[Month]map[string]DuesPayment, months []Month, userID string) int {
	run := 0
	for i := len(months) - 1; i >= 0; i-- {
		if _, ok := paid[months[i]][userID]; ok {
			break
		}
		run++
	}
	return run
}

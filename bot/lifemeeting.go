package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// 组织生活会 (支部工作条例 第17条): at least once a year. Before it: study,
// 征求意见, 谈心谈话 and each member's 检查材料; during it: 查摆 and
// criticism (a 会议 组织生活会); after it: 整改. The checklist follows a
// branch's year through those steps.
//
// 意见 are anonymous: the text is stored without its author. A picture a
// member sends within 10 minutes of their 检查材料 goes with it (a photo of a
// handwritten page).

// LifePlan is a branch's 组织生活会 of one year: its 方案.
type LifePlan struct {
	BranchID  string `json:"branch"`
	Year      int    `json:"year"`
	Theme     string `json:"theme"`
	Date      Date   `json:"date,omitzero"` // planned day; zero: not set
	OpenedBy  string `json:"opened_by"`
	StudyNote string `json:"study_note,omitempty"` // 学习 done outside a 党课
}

// Opinion is one collected 意见: no author.
type Opinion struct {
	Text string `json:"text"`
	Date Date   `json:"date"`
}

// Material is a member's 检查材料.
type Material struct {
	UserID string    `json:"userid"`
	Text   string    `json:"text"`
	Date   Date      `json:"date"`
	At     time.Time `json:"at,omitzero"`     // when handed in (zero in older records: no pictures join them)
	Media  []Media   `json:"media,omitempty"` // pictures sent within 10 minutes
}

// materialPictureWindow is how long after 检查材料 a picture joins it.
const materialPictureWindow = 10 * time.Minute

// LifeMeetingStore keeps the 组织生活会 checklist.
type LifeMeetingStore interface {
	// OpenLifeMeeting stores p unless the branch has a plan that year,
	// which it returns instead (opened=false).
	OpenLifeMeeting(ctx context.Context, p LifePlan) (stored LifePlan, opened bool, err error)
	// LifeMeeting returns the branch's plan of year.
	LifeMeeting(ctx context.Context, branchID string, year int) (p LifePlan, found bool, err error)
	// SaveLifePlan replaces the plan.
	SaveLifePlan(ctx context.Context, p LifePlan) error
	// AddOpinion appends an 意见 (it has no author).
	AddOpinion(ctx context.Context, branchID string, year int, o Opinion) error
	// Opinions lists the year's 意见, oldest first.
	Opinions(ctx context.Context, branchID string, year int) ([]Opinion, error)
	// SaveMaterial stores a member's 检查材料, replacing an earlier one.
	SaveMaterial(ctx context.Context, branchID string, year int, m Material) error
	// Materials lists the year's 检查材料 by userid.
	Materials(ctx context.Context, branchID string, year int) (map[string]Material, error)
}

// lifeMeeting answers "组织生活会" without a subcommand.
func (b *Bot) lifeMeeting(context.Context, Request) (Reply, error) {
	return Reply{Text: "用法：组织生活会 方案 主题 [12-25] | 学习 内容 | 进度"}, nil
}

func (b *Bot) currentLifePlan(ctx context.Context, branchID string, year int) (LifePlan, string, error) {
	p, found, err := b.LifeMeetings.LifeMeeting(ctx, branchID, year)
	if err != nil {
		return LifePlan{}, "", fmt.Errorf("bot: read life meeting: %w", err)
	}
	if !found {
		return LifePlan{}, fmt.Sprintf("本支部 %d 年的组织生活会还没有制定方案。", year), nil
	}
	return p, "", nil
}

// lifePlanOpen handles "组织生活会 方案 主题 [日期]".
func (b *Bot) lifePlanOpen(ctx context.Context, req Request) (Reply, error) {
	const usage = "用法：组织生活会 方案 主题 [12-25]"
	args := req.Args
	if len(args) == 0 {
		return Reply{Text: usage}, nil
	}
	today := DateOf(req.Now, b.Location)
	var day Date
	if d, ok := parseDay(args[len(args)-1], today); ok && len(args) > 1 {
		day, args = d, args[:len(args)-1]
	}
	theme := Plain(strings.Join(args, " "))
	if theme == "" {
		return Reply{Text: usage}, nil
	}
	p := LifePlan{BranchID: req.Member.BranchID, Year: today.Year, Theme: cutRunes(theme, 100), Date: day, OpenedBy: req.Member.UserID}
	members, err := b.Roster.BranchMembers(ctx, req.Member.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: list branch %s: %w", req.Member.BranchID, err)
	}
	var to []string
	for _, m := range members {
		if m.Counts() {
			to = append(to, m.UserID)
		}
	}
	when := ""
	if !day.IsZero() {
		when = "（" + day.String() + "）"
	}
	text := fmt.Sprintf("%d 年组织生活会%s，主题：%s。\n会前请发“检查材料 内容”提交个人检查材料；对支部和支委有意见建议可发“意见 内容”（匿名）。", today.Year, when, p.Theme)
	if !req.Confirmed {
		if stored, found, err := b.LifeMeetings.LifeMeeting(ctx, p.BranchID, p.Year); err != nil {
			return Reply{}, fmt.Errorf("bot: read life meeting: %w", err)
		} else if found {
			return Reply{Text: fmt.Sprintf("本支部 %d 年的组织生活会方案已有：%s。", stored.Year, stored.Theme)}, nil
		}
		return b.previewBroadcast(ctx, req, fmt.Sprintf("制定 %d 年组织生活会方案：%s%s", today.Year, p.Theme, when), to, text)
	}
	stored, opened, err := b.LifeMeetings.OpenLifeMeeting(ctx, p)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: open life meeting: %w", err)
	}
	if !opened {
		return Reply{Text: fmt.Sprintf("本支部 %d 年的组织生活会方案已有：%s。", stored.Year, stored.Theme)}, nil
	}
	if err := b.audit(ctx, req, "life.plan", req.Member, p.Theme); err != nil {
		return Reply{}, err
	}
	return Reply{
		Text:    fmt.Sprintf("已制定 %d 年组织生活会方案：%s%s，已通知 %d 人。", today.Year, p.Theme, when, len(to)),
		Notices: []Notice{{To: to, Text: text}},
	}, nil
}

// lifeStudy handles "组织生活会 学习 内容": study done outside a 党课.
func (b *Bot) lifeStudy(ctx context.Context, req Request) (Reply, error) {
	note := Plain(strings.Join(req.Args, " "))
	if note == "" {
		return Reply{Text: "用法：组织生活会 学习 内容（会前集中学习的记录）"}, nil
	}
	p, none, err := b.currentLifePlan(ctx, req.Member.BranchID, b.year(req))
	if err != nil || none != "" {
		return Reply{Text: none}, err
	}
	p.StudyNote = cutRunes(note, 500)
	if err := b.LifeMeetings.SaveLifePlan(ctx, p); err != nil {
		return Reply{}, fmt.Errorf("bot: save life plan: %w", err)
	}
	return Reply{Text: "已记录会前学习。"}, nil
}

// opinion handles "意见 内容": stored without its author, so the
// secretary reads opinions, not who gave them.
func (b *Bot) opinion(ctx context.Context, req Request) (Reply, error) {
	content := Plain(argText(req.Msg.Text))
	if content == "" {
		return Reply{Text: "用法：意见 内容（匿名，书记只看到内容）"}, nil
	}
	if len([]rune(content)) > maxAnnounceRunes {
		return Reply{Text: fmt.Sprintf("意见最多 %d 字。", maxAnnounceRunes)}, nil
	}
	year := b.year(req)
	if _, none, err := b.currentLifePlan(ctx, req.Member.BranchID, year); err != nil || none != "" {
		return Reply{Text: cmpText(none, "，暂不征求意见。")}, err
	}
	if err := b.LifeMeetings.AddOpinion(ctx, req.Member.BranchID, year, Opinion{Text: content, Date: DateOf(req.Now, b.Location)}); err != nil {
		return Reply{}, fmt.Errorf("bot: add opinion: %w", err)
	}
	return Reply{Text: "谢谢，意见已匿名收下。"}, nil
}

func cmpText(none, tail string) string {
	if none == "" {
		return ""
	}
	return strings.TrimSuffix(none, "。") + tail
}

// material handles "检查材料 内容".
func (b *Bot) material(ctx context.Context, req Request) (Reply, error) {
	content := Plain(argText(req.Msg.Text))
	if content == "" {
		return Reply{Text: "用法：检查材料 内容（可以多行；10 分钟内发的图片一并收下）"}, nil
	}
	if len([]rune(content)) > maxAnnounceRunes {
		return Reply{Text: fmt.Sprintf("检查材料最多 %d 字，可分段概括。", maxAnnounceRunes)}, nil
	}
	year := b.year(req)
	if _, none, err := b.currentLifePlan(ctx, req.Member.BranchID, year); err != nil || none != "" {
		return Reply{Text: none}, err
	}
	m := Material{UserID: req.Member.UserID, Text: content, Date: DateOf(req.Now, b.Location), At: req.Now}
	if err := b.LifeMeetings.SaveMaterial(ctx, req.Member.BranchID, year, m); err != nil {
		return Reply{}, fmt.Errorf("bot: save material: %w", err)
	}
	return Reply{Text: "已收到你的检查材料（再发一次会替换）。10 分钟内发的图片会附在后面。"}, nil
}

// attachToMaterial adds a picture sent within 10 minutes of the sender's
// 检查材料 to it (once per media id).
func (b *Bot) attachToMaterial(ctx context.Context, req Request) (reply Reply, attached bool, err error) {
	if req.Member.BranchID == "" {
		return Reply{}, false, nil
	}
	year := b.year(req)
	all, err := b.LifeMeetings.Materials(ctx, req.Member.BranchID, year)
	if err != nil {
		return Reply{}, false, fmt.Errorf("bot: read materials: %w", err)
	}
	m, ok := all[req.Member.UserID]
	if !ok || m.At.IsZero() || req.Now.Sub(m.At) > materialPictureWindow {
		return Reply{}, false, nil
	}
	media := Media{Type: "image", ID: req.Msg.MediaID}
	if !slices.Contains(m.Media, media) {
		m.Media = append(m.Media, media)
		if err := b.LifeMeetings.SaveMaterial(ctx, req.Member.BranchID, year, m); err != nil {
			return Reply{}, false, fmt.Errorf("bot: save material: %w", err)
		}
	}
	return Reply{Text: fmt.Sprintf("📎 图片已附在你的检查材料后（共 %d 张）。", len(m.Media))}, true, nil
}

// LifeChecklist is the 组织生活会 checklist of a branch's year.
type LifeChecklist struct {
	Plan              LifePlan
	Planned           bool
	Studied           bool // a 党课 closed this year, or a study note
	Opinions          int
	Talked, TalkOf    int  // TalkCoverage
	Materials, Of     int  // 检查材料 handed in, of the members counted
	Raters, RatersOf  int  // 民主评议: members who rated everyone, of the round
	Rectified, RectOf int  // RectifyProgress
	Held              bool // a 组织生活会 meeting closed this year
}

// lifeChecklist reads the checklist.
func (b *Bot) lifeChecklist(ctx context.Context, branchID string, year int) (LifeChecklist, error) {
	var c LifeChecklist
	var err error
	if c.Plan, c.Planned, err = b.LifeMeetings.LifeMeeting(ctx, branchID, year); err != nil {
		return c, fmt.Errorf("bot: read life meeting: %w", err)
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, b.Location)
	meetings, err := b.Meetings.Meetings(ctx, branchID, from, from.AddDate(1, 0, 0))
	if err != nil {
		return c, fmt.Errorf("bot: list meetings: %w", err)
	}
	for _, m := range meetings {
		if m.ClosedAt.IsZero() {
			continue
		}
		switch m.Type {
		case MeetingLecture:
			c.Studied = true
		case MeetingLifeMeet:
			c.Held = true
		}
	}
	c.Studied = c.Studied || c.Plan.StudyNote != ""
	opinions, err := b.LifeMeetings.Opinions(ctx, branchID, year)
	if err != nil {
		return c, fmt.Errorf("bot: read opinions: %w", err)
	}
	c.Opinions = len(opinions)
	if c.Talked, c.TalkOf, err = b.TalkCoverage(ctx, branchID, year); err != nil {
		return c, err
	}
	materials, err := b.LifeMeetings.Materials(ctx, branchID, year)
	if err != nil {
		return c, fmt.Errorf("bot: read materials: %w", err)
	}
	members, err := b.Roster.BranchMembers(ctx, branchID)
	if err != nil {
		return c, fmt.Errorf("bot: list branch %s: %w", branchID, err)
	}
	for _, m := range members {
		if !m.Counts() {
			continue
		}
		c.Of++
		if _, ok := materials[m.UserID]; ok {
			c.Materials++
		}
	}
	round, found, err := b.Reviews.Review(ctx, branchID, year)
	if err != nil {
		return c, fmt.Errorf("bot: read review: %w", err)
	}
	if found {
		st, err := b.readReview(ctx, round)
		if err != nil {
			return c, err
		}
		c.Raters, c.RatersOf = st.raters(), len(round.Members)
	}
	if c.Rectified, c.RectOf, err = b.RectifyProgress(ctx, branchID, year); err != nil {
		return c, err
	}
	return c, nil
}

func tick(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// Lines is the checklist as 进度 and the ledger show it.
func (c LifeChecklist) Lines() [][2]string {
	theme := "未制定"
	if c.Planned {
		theme = c.Plan.Theme
		if !c.Plan.Date.IsZero() {
			theme += "（" + c.Plan.Date.String() + "）"
		}
	}
	return [][2]string{
		{"方案", tick(c.Planned) + " " + theme},
		{"学习", tick(c.Studied) + " " + map[bool]string{true: "已开展党课或集中学习", false: "本年还没有党课或学习记录"}[c.Studied]},
		{"征求意见", fmt.Sprintf("%s %d 条", tick(c.Opinions > 0), c.Opinions)},
		{"谈心谈话", fmt.Sprintf("%s %d/%d", tick(c.TalkOf > 0 && c.Talked >= c.TalkOf), c.Talked, c.TalkOf)},
		{"检查材料", fmt.Sprintf("%s %d/%d", tick(c.Of > 0 && c.Materials >= c.Of), c.Materials, c.Of)},
		{"民主评议", fmt.Sprintf("%s %d/%d", tick(c.RatersOf > 0 && c.Raters >= c.RatersOf), c.Raters, c.RatersOf)},
		{"召开会议", tick(c.Held) + " " + map[bool]string{true: "已召开", false: "未召开"}[c.Held]},
		{"整改", fmt.Sprintf("%s %d/%d", tick(c.RectOf > 0 && c.Rectified >= c.RectOf), c.Rectified, c.RectOf)},
	}
}

// lifeProgress handles "组织生活会 进度".
func (b *Bot) lifeProgress(ctx context.Context, req Request) (Reply, error) {
	year := b.year(req)
	c, err := b.lifeChecklist(ctx, req.Member.BranchID, year)
	if err != nil {
		return Reply{}, err
	}
	lines := []string{fmt.Sprintf("%d 年组织生活会：", year)}
	for _, l := range c.Lines() {
		lines = append(lines, l[0]+"："+l[1])
	}
	return Reply{Text: strings.Join(lines, "\n")}, nil
}

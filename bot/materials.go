package bot

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// 学习材料 (党员学院 in chat): a leader sends a link to study, members mark
// it 已学 with an optional 心得, and each 已学 credits the material's 学时
// towards the yearly ≥ 32 学时 (党员教育管理工作条例). A material is an
// announcement with a Material plan, so the draft, 发送/取消 and the
// plain_text path are the announcement's.

// MaterialPlan is what a study material adds to an announcement.
type MaterialPlan struct {
	Link     string `json:"link"`
	Required bool   `json:"required,omitempty"` // 必学: reminded before the deadline
	Deadline Date   `json:"deadline,omitzero"`
	Hours    int    `json:"hours,omitempty"` // 学时 credited by 已学; 0 credits none
}

// MaterialStudy is one member's 已学 of a material.
type MaterialStudy struct {
	UserID  string    `json:"user"`
	At      time.Time `json:"at"`
	Note    string    `json:"note,omitempty"` // 心得
	Minutes int       `json:"minutes,omitempty"`
	Year    int       `json:"year"` // of At in the org's time zone: the year credited
}

// MaterialStore keeps who studied which material and the minutes credited.
type MaterialStore interface {
	// RecordMaterialStudy keeps s for material no of scope once, crediting
	// s.Minutes to the user's year of s.At; first is false for a repeat.
	RecordMaterialStudy(ctx context.Context, scope string, no int, s MaterialStudy) (first bool, err error)
	// MaterialStudies are a material's 已学 records by user id.
	MaterialStudies(ctx context.Context, scope string, no int) (map[string]MaterialStudy, error)
	// MaterialCredit is the minutes credited to userID in scope in year.
	MaterialCredit(ctx context.Context, scope, userID string, year int) (int, error)
}

// keyMaterialDone is the 已学 button: "<prefix><scope>:<no>".
const keyMaterialDone = "mat_done:"

const materialUsage = "用法：学习材料 标题 链接 [必学] [截止 日期] [学时 N]\n例如：学习材料 二十届三中全会精神 https://example.cn/a 必学 截止 12-10 学时 2"

// maxMaterialHours bounds one material's 学时.
const maxMaterialHours = 16

// parseMaterial reads "标题 链接 [必学] [截止 日期] [学时 N]".
func parseMaterial(args []string, today Date) (title string, m MaterialPlan, problem string) {
	if len(args) < 2 {
		return "", m, materialUsage
	}
	title = Plain(args[0])
	link := strings.TrimSpace(args[1])
	if u, err := url.Parse(link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || Plain(link) != link {
		return "", m, "链接要以 http:// 或 https:// 开头。\n" + materialUsage
	}
	m.Link = link
	for i := 2; i < len(args); i++ {
		word := Normalize(args[i])
		switch {
		case word == "必学":
			m.Required = true
		case word == "截止":
			if i+1 >= len(args) {
				return "", m, "截止后面写日期，例如“截止 12-10”。"
			}
			i++
			day, ok := parseDay(args[i], today)
			if !ok || day.Before(today) {
				return "", m, "截止日期看不懂或已过去：“" + Plain(args[i]) + "”。"
			}
			m.Deadline = day
		case strings.HasPrefix(word, "学时"):
			n := strings.TrimLeft(strings.TrimPrefix(word, "学时"), ":：")
			if n == "" && i+1 < len(args) {
				i++
				n = Normalize(args[i])
			}
			hours, err := strconv.Atoi(n)
			if err != nil || hours <= 0 || hours > maxMaterialHours {
				return "", m, fmt.Sprintf("学时要写 1 到 %d 的整数，例如“学时 2”。", maxMaterialHours)
			}
			m.Hours = hours
		default:
			return "", m, materialUsage
		}
	}
	if title == "" {
		return "", m, materialUsage
	}
	return title, m, ""
}

// describe is one line: 必学, deadline, 学时.
func (m MaterialPlan) describe() string {
	var parts []string
	if m.Required {
		parts = append(parts, "必学")
	}
	if !m.Deadline.IsZero() {
		parts = append(parts, fmtDay(m.Deadline)+"前学完")
	}
	if m.Hours > 0 {
		parts = append(parts, fmt.Sprintf("%d 学时", m.Hours))
	}
	return strings.Join(parts, " · ")
}

// materialHint tells members how to answer (已学 is not in their 帮助).
const materialHint = "学完点“已学”，或回复“已学 心得”"

// material handles "学习材料 标题 链接 …": a draft with a preview.
func (b *Bot) studyMaterial(ctx context.Context, req Request) (Reply, error) {
	scope, content, refusal, err := b.announceScope(ctx, req, materialUsage)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	title, plan, problem := parseMaterial(strings.Fields(content), DateOf(req.Now, b.Location))
	switch {
	case problem != "":
		return Reply{Text: problem}, nil
	case utf8.RuneCountInString(title) > maxActivityTitle:
		return Reply{Text: fmt.Sprintf("标题最长 %d 字。", maxActivityTitle)}, nil
	case utf8.RuneCountInString(plan.Link) > 500:
		return Reply{Text: "链接太长（最多 500 字符）。"}, nil
	}
	draft := Announcement{ID: messageID(req), Scope: scope, Title: title, Body: plan.Link, Author: req.Member.UserID, Material: &plan}
	return b.previewDraft(ctx, req, draft)
}

// openMaterials lists the materials addressed to m, newest first.
func (b *Bot) openMaterials(ctx context.Context, m Member, now time.Time) ([]Announcement, error) {
	var out []Announcement
	for _, scope := range scopesOf(m) {
		recent, err := b.Announcements.RecentAnnouncements(ctx, scope, now.Add(-lookBack), 50)
		if err != nil {
			return nil, fmt.Errorf("bot: recent materials: %w", err)
		}
		for _, a := range recent {
			if a.Material != nil && slices.Contains(a.To, m.UserID) {
				out = append(out, a)
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Announcement) int { return y.SentAt.Compare(x.SentAt) })
	return out, nil
}

// studied handles "已学 [#N] [心得]": the newest material not yet studied,
// or #N.
func (b *Bot) studied(ctx context.Context, req Request) (Reply, error) {
	args := req.Args
	no := 0
	if len(args) > 0 && strings.HasPrefix(Normalize(args[0]), "#") {
		n, err := strconv.Atoi(strings.TrimPrefix(Normalize(args[0]), "#"))
		if err != nil || n <= 0 {
			return Reply{Text: "用法：已学 [#编号] [心得]"}, nil
		}
		no, args = n, args[1:]
	}
	note := Plain(strings.Join(args, " "))
	if utf8.RuneCountInString(note) > 500 {
		return Reply{Text: "心得最多 500 字。"}, nil
	}
	list, err := b.openMaterials(ctx, req.Member, req.Now)
	if err != nil {
		return Reply{}, err
	}
	for _, a := range list {
		if no != 0 && a.No != no {
			continue
		}
		first, err := b.recordStudy(ctx, req, a, note)
		if err != nil {
			return Reply{}, err
		}
		if first {
			return Reply{Text: studiedText(a)}, nil
		}
		if no != 0 {
			return Reply{Text: "你已登记学过《" + a.short() + "》。"}, nil
		}
	}
	switch {
	case no != 0:
		return Reply{Text: fmt.Sprintf("没有发给你的学习材料 #%d。", no)}, nil
	case len(list) > 0:
		return Reply{Text: "你已学完全部学习材料，谢谢！"}, nil
	}
	return Reply{Text: "现在没有需要学习的材料。"}, nil
}

func studiedText(a Announcement) string {
	text := "已登记学习《" + a.short() + "》✅"
	if h := a.Material.Hours; h > 0 {
		text += fmt.Sprintf("，计 %d 学时", h)
	}
	return text + "。"
}

// recordStudy keeps one 已学 and counts it as the announcement's answer.
func (b *Bot) recordStudy(ctx context.Context, req Request, a Announcement, note string) (bool, error) {
	first, err := b.Materials.RecordMaterialStudy(ctx, a.Scope, a.No, MaterialStudy{
		UserID: req.Member.UserID, At: req.Now, Note: note, Minutes: a.Material.Hours * MinutesPerHour, Year: req.Now.In(b.Location).Year(),
	})
	if err != nil {
		return false, fmt.Errorf("bot: record study: %w", err)
	}
	if _, err := b.Announcements.Acknowledge(ctx, a.Scope, a.No, req.Member.UserID, req.Now); err != nil {
		return false, fmt.Errorf("bot: acknowledge material: %w", err)
	}
	return first, nil
}

// studiedByCard records a click on 已学.
func (b *Bot) studiedByCard(ctx context.Context, req Request, key string) (Reply, error) {
	a, found, err := b.clickedAnnouncement(ctx, key)
	switch {
	case err != nil:
		return Reply{}, err
	case !found || a.Material == nil:
		return Reply{ReplaceButton: "已失效"}, nil
	case !slices.Contains(a.To, req.Member.UserID):
		return Reply{ReplaceButton: "无需登记"}, nil
	}
	if _, err := b.recordStudy(ctx, req, a, ""); err != nil {
		return Reply{}, err
	}
	return Reply{ReplaceButton: "已学"}, nil
}

// MaterialMinutes is the minutes credited by 已学 materials in year: the
// branch's and the org's (学时 × 45).
func (b *Bot) MaterialMinutes(ctx context.Context, branchID, userID string, year int) (int, error) {
	total := 0
	for _, scope := range []string{branchID, OrgScope} {
		if scope == "" {
			continue
		}
		n, err := b.Materials.MaterialCredit(ctx, scope, userID, year)
		if err != nil {
			return 0, fmt.Errorf("bot: material credit: %w", err)
		}
		total += n
	}
	return total, nil
}

// materialTarget is the material a leader names (#N) or the newest.
func (b *Bot) materialTarget(ctx context.Context, req Request, args []string) (Announcement, string, error) {
	scope := req.Member.BranchID
	if req.Member.Role == RoleAdmin && len(args) > 0 && !strings.HasPrefix(Normalize(args[0]), "#") {
		word := Normalize(args[0])
		if word == "全体" {
			word = OrgScope
		}
		scope, args = word, args[1:]
	}
	if scope == "" {
		return Announcement{}, "请写支部：学习材料 状态 支部id [#编号]", nil
	}
	recent, err := b.Announcements.RecentAnnouncements(ctx, scope, time.Time{}, 200)
	if err != nil {
		return Announcement{}, "", fmt.Errorf("bot: recent materials: %w", err)
	}
	no := 0
	if len(args) > 0 {
		n, err := strconv.Atoi(strings.TrimPrefix(Normalize(args[0]), "#"))
		if err != nil {
			return Announcement{}, "用法：学习材料 状态 [#编号]", nil
		}
		no = n
	}
	for _, a := range recent {
		if a.Material != nil && (no == 0 || a.No == no) {
			return a, "", nil
		}
	}
	return Announcement{}, "没有找到学习材料。", nil
}

// materialStatus handles "学习材料 状态 [#N]": studied X/Y and who has not
// (those on leave apart).
func (b *Bot) materialStatus(ctx context.Context, req Request) (Reply, error) {
	a, refusal, err := b.materialTarget(ctx, req, req.Args)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	if !req.Member.Leads(a.Scope) && req.Member.Role != RoleAdmin {
		return Reply{Text: "只能查看本支部的学习材料。"}, nil
	}
	r, err := b.Announcements.Responses(ctx, a.Scope, a.No)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read responses: %w", err)
	}
	waiting, away, to, err := b.pending(ctx, a, r, DateOf(req.Now, b.Location))
	if err != nil {
		return Reply{}, err
	}
	names, err := b.displayNames(ctx, waiting)
	if err != nil {
		return Reply{}, err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "学习材料 %s《%s》%s\n已学 %d/%d", a.Label(), a.short(), a.Material.describe(), len(to)-len(waiting)-len(away), len(to))
	if len(waiting) > 0 {
		sb.WriteString("\n未学：" + strings.Join(names, "、"))
	}
	if len(away) > 0 {
		fmt.Fprintf(&sb, "\n请假中 %d 人（不催）", len(away))
	}
	return Reply{Text: sb.String()}, nil
}

// materialList handles "学习材料 列表": the newest materials with counts.
func (b *Bot) materialList(ctx context.Context, req Request) (Reply, error) {
	scope := req.Member.BranchID
	if scope == "" {
		scope = OrgScope
	}
	recent, err := b.Announcements.RecentAnnouncements(ctx, scope, time.Time{}, 200)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: recent materials: %w", err)
	}
	var lines []string
	for _, a := range recent {
		if a.Material == nil {
			continue
		}
		studies, err := b.Materials.MaterialStudies(ctx, a.Scope, a.No)
		if err != nil {
			return Reply{}, fmt.Errorf("bot: material studies: %w", err)
		}
		lines = append(lines, fmt.Sprintf("%s %s《%s》已学 %d/%d %s", a.Label(), fmtDay(DateOf(a.SentAt, b.Location)), a.short(), len(studies), len(a.To), a.Material.describe()))
		if len(lines) == 10 {
			break
		}
	}
	if len(lines) == 0 {
		return Reply{Text: "还没有学习材料。发“学习材料 标题 链接”发布。"}, nil
	}
	return Reply{Text: "最近的学习材料：\n" + strings.Join(lines, "\n")}, nil
}

// materialRemindDays: 必学 material is reminded this many days before its deadline.
const materialRemindDays = 2

// materialReminder reminds those who have not studied a 必学 material,
// materialRemindDays before its deadline, once (a manual run again).
func (b *Bot) materialReminder(ctx context.Context, a Announcement, run JobRun, token string, today Date) ([]Outbound, error) {
	m := a.Material
	if m == nil || !m.Required || m.Deadline.IsZero() || (!run.Manual && today != m.Deadline.AddDays(-materialRemindDays)) || m.Deadline.Before(today) {
		return nil, nil
	}
	waiting, due, err := b.stepWaiting(ctx, a, "material", run, token, today)
	if err != nil || !due {
		return nil, err
	}
	return uniform("ann:"+a.key()+":material", waiting, Notice{Text: fmt.Sprintf(
		"提醒：必学材料 %s《%s》请在 %s 前学完：%s\n%s。", a.Label(), a.short(), fmtDay(m.Deadline), m.Link, materialHint)}), nil
}

// displayNames are the members' names, their ids when unknown.
func (b *Bot) displayNames(ctx context.Context, ids []string) ([]string, error) {
	names := make([]string, len(ids))
	for i, id := range ids {
		m, found, err := b.Roster.Member(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("bot: look up %s: %w", id, err)
		}
		names[i] = id
		if found {
			names[i] = m.DisplayName()
		}
	}
	return names, nil
}

package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// 主题党日 计划: the month's theme, set beforehand, and the actions agreed
// (议定事项), carried out afterwards (支部工作条例 第16条). An action that
// names an owner ("@lisi 事项 截止 日期") becomes a 议定 item of the 整改
// list; any other stays a line on the plan.

// ThemePlan is a branch's 主题党日 plan for a month.
type ThemePlan struct {
	BranchID string    `json:"branch"`
	Month    Month     `json:"month"`
	Theme    string    `json:"theme"`
	Actions  []string  `json:"actions,omitempty"` // 议定事项 without an owner
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// ThemeDayStore keeps the 主题党日 plans.
type ThemeDayStore interface {
	SaveThemePlan(ctx context.Context, p ThemePlan) error
	ThemePlan(ctx context.Context, branchID string, month Month) (p ThemePlan, found bool, err error)
}

const themePlanUsage = "用法：主题党日 计划 [月份] 主题 [议定：@userid 事项 截止 日期；其他事项]\n例如：主题党日 计划 12 学习新修订的纪律处分条例 议定：@m1 整理学习笔记 截止 12-20；走访困难党员"

// themePlanSet handles "主题党日 计划 [月份] 主题 [议定：…]".
func (b *Bot) themePlanSet(ctx context.Context, req Request) (Reply, error) {
	if req.Member.BranchID == "" {
		return Reply{Text: "主题党日由支部安排：请书记或支委发送。"}, nil
	}
	text := argText(req.Msg.Text)
	// argText keeps "计划 …"; drop the subcommand word.
	if w, rest, _ := strings.Cut(text, " "); Normalize(w) == "计划" || Normalize(w) == "plan" {
		text = strings.TrimSpace(rest)
	}
	today := DateOf(req.Now, b.Location)
	month := MonthOf(today)
	if first, rest, ok := strings.Cut(text, " "); ok {
		if m, ok := ParseMonth(Normalize(first), month); ok {
			if m.Before(month) && !strings.Contains(first, "-") { // "1" in December is next January
				m = m.Add(12)
			}
			month, text = m, strings.TrimSpace(rest)
		}
	}
	theme, agreed, _ := strings.Cut(strings.ReplaceAll(text, "议定：", "议定:"), "议定:")
	theme = Plain(theme)
	switch {
	case theme == "":
		return Reply{Text: themePlanUsage}, nil
	case utf8.RuneCountInString(theme) > 60:
		return Reply{Text: "主题最长 60 字。"}, nil
	case month.Before(MonthOf(today)):
		return Reply{Text: "不能为过去的月份制定计划。"}, nil
	}
	p := ThemePlan{BranchID: req.Member.BranchID, Month: month, Theme: theme, By: req.Member.UserID, At: req.Now}
	var lines []string
	var notices []Notice
	for _, action := range strings.FieldsFunc(agreed, func(r rune) bool { return r == '；' || r == ';' || r == '\n' }) {
		action = strings.TrimSpace(action)
		if action == "" {
			continue
		}
		if !strings.HasPrefix(action, "@") {
			p.Actions = append(p.Actions, Plain(action))
			continue
		}
		// An owner is named: the 议定 command's own rules make the item.
		sub := req
		sub.Msg.Text = "议定 " + action
		sub.Args = strings.Fields(action)
		r, err := b.rectifyAdd(KindDecision)(ctx, sub)
		if err != nil {
			return Reply{}, err
		}
		lines = append(lines, r.Text)
		notices = append(notices, r.Notices...)
	}
	if err := b.ThemeDays.SaveThemePlan(ctx, p); err != nil {
		return Reply{}, fmt.Errorf("bot: save theme plan: %w", err)
	}
	text = fmt.Sprintf("已制定%s主题党日计划：%s", month.Label(), theme)
	if len(p.Actions) > 0 {
		text += "\n议定事项：" + strings.Join(p.Actions, "；")
	}
	if len(lines) > 0 {
		text += "\n" + strings.Join(lines, "\n")
	}
	return Reply{Text: text + "\n月初提醒和“进度”会引用这个主题。", Notices: notices}, nil
}

// themePlanShow handles "主题党日": this month's plan.
func (b *Bot) themePlanShow(ctx context.Context, req Request) (Reply, error) {
	line, err := b.themeLine(ctx, req.Member.BranchID, MonthOf(DateOf(req.Now, b.Location)))
	if err != nil {
		return Reply{}, err
	}
	if line == "" {
		return Reply{Text: "本月还没有主题党日计划。" + themePlanUsage}, nil
	}
	return Reply{Text: line}, nil
}

// themeLine is the month's plan as one line ("" without a plan).
func (b *Bot) themeLine(ctx context.Context, branchID string, month Month) (string, error) {
	if branchID == "" {
		return "", nil
	}
	p, found, err := b.ThemeDays.ThemePlan(ctx, branchID, month)
	if err != nil {
		return "", fmt.Errorf("bot: read theme plan: %w", err)
	}
	if !found {
		return "", nil
	}
	line := fmt.Sprintf("%d月主题党日主题：%s", month.Month, p.Theme)
	if len(p.Actions) > 0 {
		line += "（议定事项：" + strings.Join(p.Actions, "；") + "）"
	}
	return line, nil
}

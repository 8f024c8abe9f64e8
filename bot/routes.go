package bot

import (
	"cmp"
	"context"
	"fmt"
	"strings"
)

// Every way into the bot, in one place: the words members type (and menu
// clicks that name a command), the template-card buttons by key prefix, and
// the scheduled jobs. Each row says who may use it; Handle applies that
// check the same way to a typed command, a subcommand and a card click.
//
// To add a command: write its handler (func(ctx, Request) (Reply, error))
// in the feature's file, add a row to commands() with its Group, Access and
// Claim, and a test. To add a card button: give its key a prefix constant in
// the feature's file and add a row to cardRoutes. To add a job: a row in
// Jobs (its name is then accepted by the config's schedule section, `jobs
// list` and `jobs run`). docs/architecture.md has the longer recipe.

// HelpGroup files a command under a heading of 帮助.
type HelpGroup string

// Help groups, in the order 帮助 shows them.
const (
	GroupDaily    HelpGroup = "日常"
	GroupMeeting  HelpGroup = "会议"
	GroupAnnounce HelpGroup = "公告与活动"
	GroupLedger   HelpGroup = "台账与党费"
	GroupBranch   HelpGroup = "支部管理"
	GroupDevelop  HelpGroup = "发展党员"
	GroupYear     HelpGroup = "年度工作"
)

// helpGroups is the order of 帮助's headings.
var helpGroups = []HelpGroup{GroupDaily, GroupMeeting, GroupAnnounce, GroupLedger, GroupBranch, GroupDevelop, GroupYear}

// commands is the command table.
func (b *Bot) commands() []Command {
	leaderboardOn := func(b *Bot, _ Member) bool { return b.Leaderboard }
	forLeaders := func(_ *Bot, m Member) bool { return m.leaderOrAdmin() }
	// Applicants see these anyway; among members only 预备党员 hand in 思想汇报.
	forProbationers := func(_ *Bot, m Member) bool { return m.Status == StatusProbationary }
	never := func(*Bot, Member) bool { return false }
	return []Command{
		// 日常
		{
			Name: "帮助", Aliases: []string{"help", "菜单", "?"}, Group: GroupDaily, Applicants: true,
			Usage: "帮助 [分类]", Summary: "查看可用命令",
			Claim: readOnly, Run: b.help,
		},
		{
			Name: "签到", Aliases: []string{"打卡", "checkin", "check-in"}, Group: GroupDaily,
			Usage: "签到", Summary: "每日签到",
			Claim: checkinClaim, Run: b.checkin,
		},
		{
			Name: "学习", Aliases: []string{"study"}, Group: GroupDaily,
			Usage: "学习 内容 30分钟 [心得]", Summary: "记录一次学习（可补记本周）",
			Run: b.study,
		},
		{
			Name: "撤回", Aliases: []string{"undo"}, Group: GroupDaily,
			Usage: "撤回", Summary: "撤回 24 小时内最近一条学习记录",
			Run: b.withdraw,
		},
		{
			Name: "我的", Aliases: []string{"me", "我"}, Group: GroupDaily,
			Usage: "我的", Summary: "本周、本月签到和学习，目标进度",
			Claim: readOnly, Run: b.me,
		},
		{
			Name: "排行", Aliases: []string{"rank"}, Group: GroupDaily, Shown: leaderboardOn,
			Usage: "排行", Summary: "本支部学习时长排行（需开启）",
			Claim: readOnly, Run: b.leaderboard,
		},
		{
			Name: "请假", Aliases: []string{"leave"}, Group: GroupDaily,
			Usage: "请假 11-20 到 11-30 原因", Summary: "登记请假，期间不提醒、不计缺勤",
			Run: b.leave,
		},
		{
			Name: "销假", Aliases: []string{"back"}, Group: GroupDaily,
			Usage: "销假", Summary: "提前结束请假",
			Run: b.endLeave,
		},
		{
			// Not in 帮助's full list: the 补学 message itself says how.
			Name: "补学", Aliases: []string{"makeup"}, Group: GroupDaily, Shown: never,
			Usage: "补学 [#序号] [心得]", Summary: "确认补学未参加的会议（计入学时）",
			Run: b.makeup,
		},
		// 会议
		{
			Name: "会议", Aliases: []string{"meeting"}, Group: GroupMeeting, Access: AccessBranch,
			Usage: "会议 党员大会 [标题]", Summary: "开启会议，发签到码并通知本支部",
			Run: b.openMeeting,
		},
		{
			Name: "结束会议", Aliases: []string{"endmeeting"}, Group: GroupMeeting, Access: AccessBranch,
			Usage: "结束会议", Summary: "结束会议，查看到会、请假、缺席和法定人数",
			Run: b.closeMeeting,
		},
		{
			Name: "更正", Aliases: []string{"correct"}, Group: GroupMeeting, Access: AccessBranch,
			Usage: "更正 @userid 到会|请假|缺席 [说明]", Summary: "更正最近一次会议的记录（留痕）",
			Run: b.correct,
		},
		{
			Name: "纪要", Aliases: []string{"minutes"}, Group: GroupMeeting, Access: AccessBranch,
			Usage: "纪要 内容", Summary: "给进行中或一周内结束的会议记纪要（可写 地点：… 等），随后 10 分钟内的照片存为会议照片",
			Run: b.minutes,
		},
		{
			Name: "进度", Aliases: []string{"progress"}, Group: GroupMeeting, Access: AccessBranch,
			Usage: "进度", Summary: "三会一课本月、本季度、本年完成情况",
			Claim: readOnly, Run: b.progress,
		},
		// 公告与活动
		{
			Name: "公告", Aliases: []string{"announce", "通知"}, Group: GroupAnnounce, Access: AccessBranch,
			Usage: "公告 内容", Summary: "向本支部发公告（先预览，成员点“收到”）",
			Run: b.announce,
		},
		{
			Name: "活动", Aliases: []string{"activity", "event"}, Group: GroupAnnounce, Access: AccessBranch,
			Usage: "活动 标题 [11-28] [14:00] [地点] [名额 20] [截止 11-27]", Summary: "发起活动报名（主题党日、志愿服务等）",
			Run: b.activity,
		},
		{
			Name: "发送", Aliases: []string{"send", "确认发送"}, Group: GroupAnnounce, Access: AccessBranch,
			Usage: "发送", Summary: "发出预览中的公告或活动",
			Run: b.sendDraft,
		},
		{
			// Every member may type it: a member most likely means 取消报名,
			// and the handler says so.
			Name: "取消", Aliases: []string{"cancel"}, Group: GroupAnnounce, Shown: forLeaders,
			Usage: "取消", Summary: "放弃预览中的公告或活动",
			Run: b.cancelDraft,
		},
		{
			Name: "收到", Aliases: []string{"ack", "已阅", "已收到"}, Group: GroupAnnounce,
			Usage: "收到", Summary: "确认收到最新的公告",
			Run: b.acknowledge,
		},
		{
			Name: "报名", Aliases: []string{"join", "signup"}, Group: GroupAnnounce,
			Usage: "报名", Summary: "报名最新的活动",
			Run: b.signUp,
		},
		{
			// The typed twin of the activity card's button, named wherever an
			// activity is (and so left out of 帮助, which must fit a phone).
			Name: "不参加", Aliases: []string{"decline"}, Group: GroupAnnounce, Shown: never,
			Usage: "不参加", Summary: "回复最新的活动：不参加（已报名的同时取消）",
			Run: b.declineActivity,
		},
		{
			Name: "取消报名", Aliases: []string{"unjoin"}, Group: GroupAnnounce,
			Usage: "取消报名", Summary: "取消活动报名（候补自动递补）",
			Run: b.cancelSignUp,
		},
		{
			Name: "学习材料", Aliases: []string{"material"}, Group: GroupDaily, Access: AccessBranch,
			Usage: "学习材料 标题 链接 [必学] [截止 日期] [学时 N]", Summary: "发学习材料（党员点“已学”记学时）；状态、列表",
			Run: b.studyMaterial,
			Subcommands: []Subcommand{
				{Words: []string{"状态", "status"}, Access: AccessBranch, Usage: "学习材料 状态 [#编号]", Summary: "已学人数和未学名单（请假者除外）", Claim: readOnly, Run: b.materialStatus},
				{Words: []string{"列表", "list"}, Access: AccessBranch, Usage: "学习材料 列表", Summary: "最近的学习材料", Claim: readOnly, Run: b.materialList},
			},
		},
		{
			Name: "已学", Aliases: []string{"studied"}, Group: GroupAnnounce, Shown: never,
			Usage: "已学 [#编号] [心得]", Summary: "学完学习材料后登记（计学时）",
			Run: b.studied,
		},
		{
			Name: "公告状态", Aliases: []string{"ackstatus"}, Group: GroupAnnounce, Access: AccessBranch,
			Usage: "公告状态 [#编号]", Summary: "谁已确认、谁未确认",
			Claim: readOnly, Run: b.announceStatus,
		},
		{
			Name: "活动状态", Aliases: []string{"eventstatus"}, Group: GroupAnnounce, Access: AccessBranch,
			Usage: "活动状态 [#编号]", Summary: "报名、候补和未回复名单",
			Claim: readOnly, Run: b.announceStatus,
		},
		{
			Name: "公告列表", Aliases: []string{"announcements"}, Group: GroupAnnounce, Access: AccessBranch,
			Usage: "公告列表", Summary: "本支部最近的公告和活动",
			Claim: readOnly, Run: b.announceList,
		},
		// 台账与党费
		{
			Name: "党费", Aliases: []string{"dues"}, Group: GroupLedger,
			Usage: "党费 [已交 月份]", Summary: "看自己的党费；交了发“党费 已交”",
			Run: b.dues,
			Subcommands: []Subcommand{
				{Words: []string{"已交", "交了", "paid"}, Usage: "党费 已交 [月份]", Run: b.duesPaid},
				{Words: []string{"设置", "set"}, Access: AccessBranch, Usage: "党费 设置 @userid 50", Summary: "设置月党费金额（记入审计）", Run: b.duesSet},
				{Words: []string{"补交", "代交", "proxy"}, Access: AccessBranch, Usage: "党费 补交 @userid 2026-05", Summary: "代交、补交登记（记入审计）", Run: b.duesProxy},
				{Words: []string{"撤销", "revoke"}, Access: AccessBranch, Usage: "党费 撤销 @userid 2026-05", Summary: "撤销登记错的一个月（记入审计）", Run: b.duesRevoke},
				{Words: []string{"状态", "status"}, Access: AccessBranch, Usage: "党费 状态 [月份]", Summary: "已交、未交名单和合计", Claim: readOnly, Run: b.duesStatus},
				{Words: []string{"年度", "year"}, Access: AccessBranch, Usage: "党费 年度 [年]", Summary: "全年每人已交月数和合计", Claim: readOnly, Run: b.duesYear},
			},
		},
		{
			Name: "导出", Aliases: []string{"export"}, Group: GroupLedger, Access: AccessBranch,
			Usage: "导出 [本月|上季度|2026-10-01 2026-12-31]", Summary: "本支部台账 Excel（签到、学习、会议纪要、公告、请假）",
			Claim: readOnly, Run: b.export,
		},
		// 支部管理
		{
			Name: "本周", Aliases: []string{"week"}, Group: GroupBranch, Access: AccessBranch,
			Usage: "本周", Summary: "本支部本周签到与学习一览",
			Claim: readOnly, Run: b.week,
		},
		{
			Name: "名单", Aliases: []string{"roster", "members"}, Group: GroupBranch, Access: AccessBranch,
			Usage: "名单", Summary: "本支部党员名单",
			Claim: readOnly, Run: b.roster,
		},
		{
			Name: "预警", Aliases: []string{"warnings", "risk"}, Group: GroupBranch, Access: AccessBranch,
			Usage: "预警", Summary: "连续 2 个月以上未参加组织生活或未交党费的党员（仅自己可见）",
			Claim: readOnly, Run: b.warnings,
		},
		{
			Name: "确认", Aliases: []string{"confirm"}, Group: GroupBranch, Access: AccessBranch,
			Usage: "确认 @userid 正式党员|预备党员", Summary: "确认通讯录同步来的待确认人员为党员，或撤销待转出（留痕）",
			Run: b.confirm,
		},
		{
			Name: "转出", Aliases: []string{"transfer-out"}, Group: GroupBranch, Access: AccessBranch,
			Usage: "转出 @userid 去向", Summary: "组织关系转出：标为待转出，对方接收前仍由本支部负责（留痕）",
			Run: b.transferOut,
			Subcommands: []Subcommand{
				{Words: []string{"完成", "done"}, Access: AccessBranch, Usage: "转出 完成 @userid", Summary: "对方已接收：移出本支部名单，记录保留（留痕）", Run: b.transferDone},
			},
		},
		{
			Name: "转入", Aliases: []string{"transfer-in"}, Group: GroupBranch, Access: AccessBranch,
			Usage: "转入 @userid 姓名 [预备党员] 来自…", Summary: "接收转入的党员，默认正式党员（留痕）",
			Run: b.transferIn,
		},
		{
			Name: "支部", Aliases: []string{"branches"}, Group: GroupBranch, Access: AccessAdmin,
			Usage: "支部", Summary: "全部支部及人数",
			Claim: readOnly, Run: b.branches,
		},
		{
			Name: "成绩单", Aliases: []string{"scorecard"}, Group: GroupBranch, Access: AccessAdmin,
			Usage: "成绩单 [本月|本季度|本年]", Summary: "联合党委：各企业、各支部的党员、发展、会议、学时、党费、公告（只计人数，附 Excel）",
			Claim: readOnly, Run: b.scorecard,
		},
		// 发展党员 (发展党员工作细则 2014): leaders record the steps; the person
		// on the path may ask for their own stage and hand in 思想汇报.
		{
			Name: "发展", Aliases: []string{"develop"}, Group: GroupDevelop, Access: AccessBranch,
			Usage: "发展 进度 [@userid]", Summary: "发展党员：登记每一步，看谁到期",
			Run: b.develop,
			Subcommands: []Subcommand{
				{Words: []string{"进度", "progress"}, Access: AccessBranch, Usage: "发展 进度 [@userid]", Summary: "每人所处阶段、下一步和期限（逾期在前）", Claim: readOnly, Run: b.developProgress},
				{Words: []string{"申请人", "申请", "apply"}, Access: AccessBranch, Usage: "发展 申请人 @userid 姓名 日期", Summary: "收到入党申请书", Run: b.recordStep(DevApplied, "用法：发展 申请人 @userid 姓名 日期", stepApplied)},
				{Words: []string{"谈话", "talk"}, Access: AccessBranch, Usage: "发展 谈话 @userid 日期 [谈话人 @a]", Summary: "申请后一个月内谈话", Run: b.recordStep(DevTalked, "用法：发展 谈话 @userid 日期 [谈话人 @a]", stepTalked)},
				{Words: []string{"积极分子", "activist"}, Access: AccessBranch, Usage: "发展 积极分子 @userid 日期 联系人 @a @b", Summary: "支委会确定，两名培养联系人", Run: b.recordStep(DevActivist, "用法：发展 积极分子 @userid 日期 联系人 @a @b", stepActivist)},
				{Words: []string{"考察", "review"}, Access: AccessBranch, Usage: "发展 考察 @userid 日期 [意见]", Summary: "半年一次培养考察", Run: b.recordStep(DevReviewed, "用法：发展 考察 @userid 日期 [意见]", stepReviewed)},
				{Words: []string{"发展对象", "candidate"}, Access: AccessBranch, Usage: "发展 发展对象 @userid 日期", Summary: "积极分子满一年后确定", Run: b.recordStep(DevCandidate, "用法：发展 发展对象 @userid 日期", stepCandidate)},
				{Words: []string{"政审", "vetting"}, Access: AccessBranch, Usage: "发展 政审 @userid 日期", Summary: "政治审查", Run: b.recordStep(DevVetted, "用法：发展 政审 @userid 日期", stepVetted)},
				{Words: []string{"培训", "training"}, Access: AccessBranch, Usage: "发展 培训 @userid 日期 学时", Summary: "集中培训（≥3 天或 24 学时）", Run: b.recordStep(DevTrained, "用法：发展 培训 @userid 日期 学时", stepTrained)},
				{Words: []string{"公示", "publicity"}, Access: AccessBranch, Usage: "发展 公示 @userid 日期", Summary: "公示开始（≥5 个工作日）", Run: b.recordStep(DevPublished, "用法：发展 公示 @userid 日期", stepPublished)},
				{Words: []string{"预审", "precheck"}, Access: AccessBranch, Usage: "发展 预审 @userid 日期", Summary: "党委预审", Run: b.recordStep(DevPreChecked, "用法：发展 预审 @userid 日期", stepPreChecked)},
				{Words: []string{"大会", "vote"}, Access: AccessBranch, Usage: "发展 大会 @userid 日期 赞成 N 反对 N 弃权 N", Summary: "支部大会表决（当天的党员大会）", Run: b.recordStep(DevVoted, "用法：发展 大会 @userid 日期 赞成 N 反对 N 弃权 N", stepVoted)},
				{Words: []string{"审批", "approve"}, Access: AccessAdmin, Usage: "发展 审批 @userid 日期", Summary: "党委审批（大会后三个月内），成为预备党员", Run: b.recordStep(DevApproved, "用法：发展 审批 @userid 日期", stepApproved)},
				{Words: []string{"撤销", "withdraw"}, Access: AccessBranch, Usage: "发展 撤销 @userid 原因", Summary: "退出发展流程（留痕）", Run: b.recordStep(DevWithdrawn, "用法：发展 撤销 @userid 原因", stepWithdrawn)},
			},
		},
		// The year's cycle, under 支部管理 (帮助 has no room for a ninth
		// line): 谈心谈话 (支部工作条例 第十八条) and 整改/议定 items.
		// Every member may type them, but a member's 帮助 is at its flat
		// limit (helpFlatMax): only leaders see them listed.
		{
			Name: "谈心", Aliases: []string{"talk"}, Group: GroupBranch, Shown: forLeaders,
			Usage: "谈心 @userid [要点]", Summary: "记录一次谈心谈话（要点仅双方和书记可见）",
			Run: b.talk,
			Subcommands: []Subcommand{
				{Words: []string{"覆盖", "coverage"}, Access: AccessBranch, Usage: "谈心 覆盖", Summary: "今年支委谈到了谁、还差谁", Claim: readOnly, Run: b.talkCoverageReply},
			},
		},
		{
			Name: "约谈心", Aliases: []string{"asktalk"}, Group: GroupBranch, Shown: never,
			Usage: "约谈心 [@支委]", Summary: "请书记或某位支委找你谈心",
			Run: b.requestTalk,
		},
		{
			Name: "整改", Aliases: []string{"rectify", "todo"}, Group: GroupBranch, Shown: forLeaders,
			Usage: "整改 [@userid 事项 截止 日期]", Summary: "未完成的整改事项；书记、支委登记新事项",
			Run: b.rectifyList,
			Subcommands: []Subcommand{
				{Words: []string{"完成", "done"}, Usage: "整改 完成 #编号 [说明]", Summary: "责任人或书记、支委标记完成", Run: b.rectifyDone},
			},
		},
		{
			Name: "议定", Aliases: []string{"decide"}, Group: GroupBranch, Access: AccessBranch,
			Usage: "议定 @userid 事项 截止 日期", Summary: "登记主题党日等议定的事项（与整改同一清单）",
			Run: b.rectifyAdd(KindDecision),
		},
		{
			Name: "入党进度", Aliases: []string{"mystage"}, Group: GroupDaily, Applicants: true,
			Shown: forProbationers,
			Usage: "入党进度", Summary: "我的入党进度和下一步",
			Claim: readOnly, Run: b.myDevelopment,
		},
		{
			Name: "思想汇报", Aliases: []string{"report"}, Group: GroupDaily, Applicants: true,
			Shown: forProbationers,
			Usage: "思想汇报 内容", Summary: "提交思想汇报（只送培养联系人和书记）",
			Run: b.thoughtReport,
		},
		// 年度工作: 民主评议党员 (党员教育管理工作条例) and the 组织生活会
		// checklist (支部工作条例 第17条). A member's 帮助 must fit a phone:
		// 自评, 测评, 我的评议, 意见 and 检查材料 are named by the notices
		// that open the round and the plan and by the reminder, not in 帮助.
		{
			Name: "民主评议", Aliases: []string{"review"}, Group: GroupYear, Access: AccessBranch,
			Usage: "民主评议 开始|进度|结果|评定", Summary: "民主评议党员：自评、互评、民主测评（匿名）、评定",
			Claim: readOnly, Run: b.review,
			Subcommands: []Subcommand{
				{Words: []string{"开始", "open"}, Access: AccessBranch, Usage: "民主评议 开始 [截止 12-20]", Summary: "开始本年民主评议，私信通知每位党员", Run: b.reviewOpen},
				{Words: []string{"进度", "progress"}, Access: AccessBranch, Usage: "民主评议 进度", Summary: "谁未交自评、谁未测评完（不含票数）", Claim: readOnly, Run: b.reviewProgress},
				{Words: []string{"结果", "result"}, Access: AccessBranch, Usage: "民主评议 结果", Summary: "每人各等次票数、自评和评定", Claim: readOnly, Run: b.reviewResults},
				{Words: []string{"评定", "verdict"}, Access: AccessBranch, Usage: "民主评议 评定 @userid 等次", Summary: "记录支委会或党员大会的评定（留痕）", Run: b.reviewVerdict},
			},
		},
		{
			Name: "自评", Aliases: []string{"self-review"}, Group: GroupYear, Shown: never,
			Usage: "自评 内容", Summary: "提交民主评议的自我评价",
			Run: b.selfAssess,
		},
		{
			Name: "测评", Aliases: []string{"rate"}, Group: GroupYear, Shown: never,
			Usage: "测评 @userid 优秀|合格|基本合格|不合格", Summary: "民主测评其他党员（匿名，提交后不能修改）",
			Run: b.rate,
		},
		{
			Name: "我的评议", Aliases: []string{"myreview"}, Group: GroupYear, Shown: never,
			Usage: "我的评议", Summary: "我的自评、测评进度和得票（仅自己可见）",
			Claim: readOnly, Run: b.myReview,
		},
		{
			Name: "主题党日", Aliases: []string{"themeday"}, Group: GroupYear, Access: AccessBranch,
			Usage: "主题党日 计划 [月份] 主题 [议定：…]", Summary: "主题党日计划：主题和议定事项（月初提醒、进度引用）",
			Claim: readOnly, Run: b.themePlanShow,
			Subcommands: []Subcommand{
				{Words: []string{"计划", "plan"}, Access: AccessBranch, Usage: "主题党日 计划 [月份] 主题 [议定：@userid 事项 截止 日期；…]", Summary: "制定本月（或某月）主题党日计划", Run: b.themePlanSet},
			},
		},
		{
			Name: "组织生活会", Aliases: []string{"lifemeeting"}, Group: GroupYear, Access: AccessBranch,
			Usage: "组织生活会 方案|学习|进度", Summary: "组织生活会：方案、会前学习、准备进度",
			Claim: readOnly, Run: b.lifeMeeting,
			Subcommands: []Subcommand{
				{Words: []string{"方案", "plan"}, Access: AccessBranch, Usage: "组织生活会 方案 主题 [12-25]", Summary: "制定本年方案并通知党员", Run: b.lifePlanOpen},
				{Words: []string{"学习", "study"}, Access: AccessBranch, Usage: "组织生活会 学习 内容", Summary: "记录会前集中学习", Run: b.lifeStudy},
				{Words: []string{"进度", "progress"}, Access: AccessBranch, Usage: "组织生活会 进度", Summary: "学习、征求意见、谈心、检查材料、测评、会议、整改清单", Claim: readOnly, Run: b.lifeProgress},
			},
		},
		{
			Name: "意见", Aliases: []string{"opinion"}, Group: GroupYear, Shown: never,
			Usage: "意见 内容", Summary: "对支部和支委提意见建议（匿名）",
			Run: b.opinion,
		},
		{
			Name: "检查材料", Aliases: []string{"selfcheck"}, Group: GroupYear, Shown: never,
			Usage: "检查材料 内容", Summary: "提交组织生活会个人检查材料（文字）",
			Run: b.material,
		},
	}
}

// CardRoute is one row of the card table: a template-card button whose key
// starts with Prefix. The rest of the key is the handler's argument.
type CardRoute struct {
	Prefix string
	Access Access
	// Denied relabels the button of a click Access refuses; "" means 无权操作.
	Denied string
	// Typed is what a member types to the same effect (members on WeChat's
	// 微工作台 see no cards, and wecom.plain_text turns cards into text that
	// names it), and Does what that does; "" lists the words with 或.
	Typed, Does string
	Run         func(b *Bot, ctx context.Context, req Request, rest string) (Reply, error)
}

// cardRoutes is the card table. A click on a key no row claims is ignored.
var cardRoutes = []CardRoute{
	{Prefix: signInButtonKey, Typed: "签到 签到码", Does: "签到", Run: func(b *Bot, ctx context.Context, req Request, _ string) (Reply, error) {
		return b.signInByCard(ctx, req)
	}},
	{Prefix: duesButtonKey, Typed: "党费 已交", Does: "登记", Run: (*Bot).duesByCard},
	{Prefix: keyAnnounceSend, Access: AccessBranch, Denied: "无权发送", Typed: "发送", Does: "发出", Run: (*Bot).publishDraft},
	{Prefix: keyAnnounceCancel, Access: AccessBranch, Typed: "取消", Does: "放弃", Run: (*Bot).dropDraft},
	{Prefix: keyAnnounceAck, Typed: "收到", Does: "确认", Run: (*Bot).ackByCard},
	{Prefix: keyMaterialDone, Typed: "已学", Does: "登记学习", Run: (*Bot).studiedByCard},
	{Prefix: keyActivityJoin, Typed: "报名", Run: func(b *Bot, ctx context.Context, req Request, key string) (Reply, error) {
		return b.respondByCard(ctx, req, key, SignUpJoin)
	}},
	{Prefix: keyActivityNo, Typed: "不参加", Run: func(b *Bot, ctx context.Context, req Request, key string) (Reply, error) {
		return b.respondByCard(ctx, req, key, SignUpDecline)
	}},
}

// cardClick finds the route of a button key and guards it with the row's
// access, as a typed command is guarded.
func (b *Bot) cardClick(key string) HandlerFunc {
	for _, r := range cardRoutes {
		rest, ok := strings.CutPrefix(key, r.Prefix)
		if !ok {
			continue
		}
		return func(ctx context.Context, req Request) (Reply, error) {
			if r.Access.refusal(req.Member, "") != "" {
				return Reply{ReplaceButton: cmp.Or(r.Denied, "无权操作")}, nil
			}
			return r.Run(b, ctx, req, rest)
		}
	}
	return nil
}

// typedReplies is the line that tells how to answer a card by typing:
// 回复“发送”发出，“取消”放弃 / 回复“报名”或“不参加”.
func typedReplies(buttons []Button) string {
	var parts []string
	plain := true // no button says what it does: list the words with 或
	for _, b := range buttons {
		for _, r := range cardRoutes {
			if strings.HasPrefix(b.Key, r.Prefix) {
				parts = append(parts, "“"+r.Typed+"”"+r.Does)
				plain = plain && r.Does == ""
				break
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	if plain {
		return "回复" + strings.Join(parts, "或")
	}
	return "回复" + strings.Join(parts, "，")
}

// Jobs is the job table. The default schedule, the names the config
// accepts, `jobs list` and the dispatch all derive from it.
var Jobs = []Job{
	{JobCheckinReminder, "0 30 9 * * *", "提醒未签到的党员（默认关闭，支部开启后才发；仅工作日，请假者除外）", atFire((*Bot).checkinReminder)},
	{JobStudyReminder, "0 0 16 * * FRI", "提醒本周学习未达标的党员", atFire((*Bot).studyReminder)},
	{JobWeeklySummary, "0 0 20 * * SUN", "周报：书记与支委、支部群、党委管理员", atFire((*Bot).weeklySummary)},
	{JobObligations, "0 0 9 * * MON", "三会一课待开与逾期提醒（书记与支委）", atFire((*Bot).obligationsReminder)},
	{JobMonthly, "0 0 9 1 * *", "月初：主题党日提醒；书记收到连续 2、3、5 个月未参加组织生活或未交党费的预警", atFire((*Bot).monthlyReminder)},
	{JobDuesReminder, "0 15 9 * * *", "支部党费收缴日：提醒本月未交的党员（一次）", (*Bot).duesReminder},
	{JobLifecycle, "0 5 9 * * *", "转正：提前一月提醒本人交申请、书记准备，期满后提醒召开党员大会；请假满 6 个月提醒书记办理组织关系；政治生日问候", (*Bot).lifecycle},
	{JobDevelopment, "0 20 9 * * *", "发展党员：谈话、考察、审批期限和季度思想汇报提醒（各一次）；手动运行列出 14 天内到期的步骤", (*Bot).developmentReminders},
	{JobTransfers, "0 20 9 * * *", "组织关系转出：通讯录中离开的党员当天告知书记；转出 1、3、6 个月仍未接收时提醒", (*Bot).transferReminder},
	{JobYearCycle, "0 25 9 * * *", "年度工作：整改、议定事项截止前 3 天和当天提醒责任人（各一次）；每月一次向书记建议谈心谈话人选", (*Bot).yearCycle},
	{JobReview, "0 25 9 * * *", "民主评议：截止前 3 天提醒未交自评或未测评完的党员（一次）", (*Bot).reviewReminder},
	{JobMakeup, "0 30 9 * * *", "补学：请假结束后私信告知所缺会议；结束一周后提醒仍未补学者（各一次）", (*Bot).makeupJob},
	{JobAnnounceReminder, "0 10,40 9-17 * * *", "公告发出 4 小时后（工作日）催未确认者一次并告知发布人；活动前一天提醒报名者", (*Bot).announceReminder},
}

// checkCardRoutes catches a prefix that an earlier row would shadow.
func checkCardRoutes(routes []CardRoute) error {
	for i, r := range routes {
		if r.Prefix == "" || r.Run == nil || r.Typed == "" {
			return fmt.Errorf("bot: card route %d needs a prefix, a handler and the words typed instead", i)
		}
		for _, earlier := range routes[:i] {
			if strings.HasPrefix(r.Prefix, earlier.Prefix) {
				return fmt.Errorf("bot: card prefix %q is shadowed by %q", r.Prefix, earlier.Prefix)
			}
		}
	}
	return nil
}

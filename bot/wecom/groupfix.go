package wecom

import "errors"

// groupFixes are the errcodes by which WeCom refuses one group channel
// while every other send works: the install's configuration is at fault
// for that channel only, and an operator must act.
var groupFixes = map[string]map[int64]string{
	// App group chats need the app's visible range (可见范围) to be the root
	// department; an app without it gets 48002 on every appchat/send
	// (WeCom doc 90244). Members' messages are unaffected.
	"appchat/send": {
		48002: "app group chats need the app's 可见范围 to be the root department (应用管理 → the app → 可见范围 → the company itself); until then group messages wait, members still get theirs",
	},
	// A group robot removed from its group, or a key typed wrong (doc 91770).
	"webhook/send": {
		93000: "the branch's group robot was removed from its group or its robot_key is wrong: add a robot to the group (群设置 → 群机器人) and put the key after key= of its webhook address in org.branches[].robot_key, or remove robot_key",
	},
}

// GroupConfigFix reports whether err is WeCom refusing a group channel
// (an app chat send, a branch's group robot) for a reason only the
// configuration can fix, and what an operator must do about it.
func GroupConfigFix(err error) (fix string, ok bool) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return "", false
	}
	fix, ok = groupFixes[apiErr.API][apiErr.Code]
	return fix, ok
}

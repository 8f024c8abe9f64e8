package bot

import "context"

// MaterialMinutes is the 学时 (in minutes) a member earned this year from
// 学习材料 marked 已学. Stub: replaced by materials.go at merge.
func (b *Bot) MaterialMinutes(ctx context.Context, branchID, userID string, year int) (minutes int, err error) {
	return 0, nil
}

package bot

import "context"

// replaced by talk.go/rectify.go at merge

// TalkCoverage is a stub: replaced by talk.go/rectify.go at merge.
func (b *Bot) TalkCoverage(ctx context.Context, branchID string, year int) (talkedWith, members int, err error) {
	return 0, 0, nil
}

// RectifyProgress is a stub: replaced by talk.go/rectify.go at merge.
func (b *Bot) RectifyProgress(ctx context.Context, branchID string, year int) (done, total int, err error) {
	return 0, 0, nil
}

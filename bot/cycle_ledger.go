package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ReviewLedger is a 民主评议 round as the ledger keeps it: per member the
// tally, whether 自评 was received, and the 评定. Individual ballots do
// not exist to be exported.
type ReviewLedger struct {
	Round ReviewRound
	Rows  []ReviewRow
}

// ReviewRow is one member's line.
type ReviewRow struct {
	UserID, Name string
	Tally        GradeTally
	SelfAssessed bool
	Verdict      Grade // "" until recorded
}

// LifeLedger is the 组织生活会 checklist with what was handed in.
type LifeLedger struct {
	Checklist LifeChecklist
	Materials []Material // by userid
	Names     map[string]string
	Opinions  []Opinion // no authors
}

func (b *Bot) reviewLedger(ctx context.Context, branchID string, year int) (*ReviewLedger, error) {
	round, found, err := b.Reviews.Review(ctx, branchID, year)
	if err != nil {
		return nil, fmt.Errorf("bot: read review: %w", err)
	}
	if !found {
		return nil, nil
	}
	st, err := b.readReview(ctx, round)
	if err != nil {
		return nil, err
	}
	l := &ReviewLedger{Round: round}
	for _, id := range round.Members {
		_, self := st.self[id]
		l.Rows = append(l.Rows, ReviewRow{UserID: id, Name: st.name(id), Tally: st.tallies[id], SelfAssessed: self, Verdict: st.verdict[id].Grade})
	}
	return l, nil
}

func (b *Bot) lifeLedger(ctx context.Context, branchID string, year int) (*LifeLedger, error) {
	c, err := b.lifeChecklist(ctx, branchID, year)
	if err != nil {
		return nil, err
	}
	if !c.Planned {
		return nil, nil
	}
	l := &LifeLedger{Checklist: c, Names: map[string]string{}}
	materials, err := b.LifeMeetings.Materials(ctx, branchID, year)
	if err != nil {
		return nil, fmt.Errorf("bot: read materials: %w", err)
	}
	for _, m := range materials {
		l.Materials = append(l.Materials, m)
	}
	slices.SortFunc(l.Materials, func(x, y Material) int { return strings.Compare(x.UserID, y.UserID) })
	members, err := b.Roster.BranchMembers(ctx, branchID)
	if err != nil {
		return nil, fmt.Errorf("bot: list branch %s: %w", branchID, err)
	}
	for _, m := range members {
		l.Names[m.UserID] = m.DisplayName()
	}
	if l.Opinions, err = b.LifeMeetings.Opinions(ctx, branchID, year); err != nil {
		return nil, fmt.Errorf("bot: read opinions: %w", err)
	}
	return l, nil
}

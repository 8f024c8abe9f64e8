package bot

import (
	"regexp"
	"strings"
)

// A 联合党委 may span several companies, each with its own WeCom corp. A
// member is (corp, userid): the id the bot stores and compares is the bare
// userid for the home corp (the config's wecom section) and "corp/userid"
// for a member of another corp (a `corps` entry). WeCom userids never hold
// a "/", so the two never collide, and an install that never had a second
// corp keeps every key it wrote: home members need no migration.

// HomeCorp is the home corp's id where an id must be named explicitly: a
// member of another corp writes "@home/m1" for the home corp's m1. No
// corps entry may take it.
const HomeCorp = "home"

// corpSep separates the corp from the userid in a member id.
const corpSep = "/"

// corpIDPattern is what a corps entry's id may be: short, lower case, safe
// inside Redis keys.
var corpIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ValidCorpID reports whether id may name a corps entry.
func ValidCorpID(id string) bool { return corpIDPattern.MatchString(id) && id != HomeCorp }

// MemberID is the id of corp's user userid; corp "" (or HomeCorp) is the
// home corp.
func MemberID(corp, userid string) string {
	if corp == "" || corp == HomeCorp {
		return userid
	}
	return corp + corpSep + userid
}

// SplitMemberID returns the corp ("" for the home corp) and the WeCom userid
// within it.
func SplitMemberID(id string) (corp, userid string) {
	if c, u, ok := strings.Cut(id, corpSep); ok {
		return c, u
	}
	return "", id
}

// CorpOf is the corp of a member id: "" for the home corp.
func CorpOf(id string) string {
	corp, _ := SplitMemberID(id)
	return corp
}

// Qualify turns a userid a member of corp wrote (or WeCom sent) into a
// member id: "m1" means corp's own m1, "partner/m1" names another corp's
// and "home/m1" the home corp's.
func Qualify(corp, written string) string {
	id := NormalizeUserID(written)
	if c, u, ok := strings.Cut(id, corpSep); ok {
		return MemberID(c, u)
	}
	return MemberID(corp, id)
}

// mentionOf reads "@userid" in a command as a member id: a bare userid is
// one of the sender's own corp (so m1 and partner/m1 stay two people).
func mentionOf(req Request, word string) string {
	return Qualify(CorpOf(req.Msg.From), strings.TrimPrefix(Normalize(word), "@"))
}

// Company is one company of the org: the home corp (ID "") or a corps
// entry. Its name is what the committee's 成绩单 shows.
type Company struct {
	ID   string
	Name string
}

package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// maxStudyMinutes bounds one study report (12 hours).
const maxStudyMinutes = 12 * 60

// chineseDigits are the numerals members type for small numbers.
var chineseDigits = map[rune]int{'零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// parseChineseNumber reads 一 … 九十九 (and 十, 十五, 二十, 四十五).
func parseChineseNumber(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	r := []rune(s)
	if len(r) == 1 {
		if r[0] == '十' {
			return 10, true
		}
		n, ok := chineseDigits[r[0]]
		return n, ok
	}
	tens, units := 0, 0
	switch i := strings.IndexRune(s, '十'); {
	case i < 0:
		return 0, false
	case i == 0:
		tens = 1
	default:
		n, ok := chineseDigits[[]rune(s[:i])[0]]
		if !ok || len([]rune(s[:i])) != 1 {
			return 0, false
		}
		tens = n
	}
	after := []rune(s[strings.IndexRune(s, '十')+len("十"):])
	switch len(after) {
	case 0:
	case 1:
		n, ok := chineseDigits[after[0]]
		if !ok {
			return 0, false
		}
		units = n
	default:
		return 0, false
	}
	return tens*10 + units, true
}

// number reads Arabic (with decimals) or Chinese numerals.
func number(s string) (float64, bool) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE+-") {
		return f, true
	}
	n, ok := parseChineseNumber(s)
	return float64(n), ok
}

const (
	numPat   = `(\d+(?:\.\d+)?|[零一二两三四五六七八九十]+)`
	hourUnit = `(?:个?小时|个?钟头|h|hr|hrs|hour|hours)`
	minUnit  = `(?:分钟|分|min|mins|minute|minutes|m)`
)

var (
	hoursAndMinutes = regexp.MustCompile(`^` + numPat + hourUnit + numPat + minUnit + `?` + `$`)
	hoursAndHalf    = regexp.MustCompile(`^` + numPat + `(?:个半小时|个半钟头|小时半|个小时半|h半)` + `$`)
	hoursOnly       = regexp.MustCompile(`^` + numPat + hourUnit + `$`)
	minutesOnly     = regexp.MustCompile(`^` + numPat + minUnit + `$`)
	quarters        = regexp.MustCompile(`^` + numPat + `刻钟` + `$`)
)

// ParseStudyDuration reads how long a member studied, in minutes: 30分钟,
// 30min, 半小时, 1小时, 1.5小时, 1h30m, 90分钟, 一个半小时, 2h, 三刻钟 …
// It accepts 1 minute to 12 hours.
func ParseStudyDuration(s string) (int, bool) {
	minutes, ok := durationMinutes(Normalize(s))
	if !ok || minutes < 1 || minutes > maxStudyMinutes {
		return 0, false
	}
	return minutes, true
}

func durationMinutes(s string) (int, bool) {
	switch s {
	case "半小时", "半个小时", "半个钟头", "半h":
		return 30, true
	}
	if m := hoursAndMinutes.FindStringSubmatch(s); m != nil {
		h, ok1 := number(m[1])
		mins, ok2 := number(m[2])
		if !ok1 || !ok2 || h != float64(int(h)) || mins != float64(int(mins)) || mins >= 60 {
			return 0, false
		}
		return int(h)*60 + int(mins), true
	}
	if m := hoursAndHalf.FindStringSubmatch(s); m != nil {
		h, ok := number(m[1])
		if !ok || h != float64(int(h)) {
			return 0, false
		}
		return int(h)*60 + 30, true
	}
	if m := hoursOnly.FindStringSubmatch(s); m != nil {
		h, ok := number(m[1])
		if !ok {
			return 0, false
		}
		mins := h * 60
		if mins != float64(int(mins)) {
			return 0, false
		}
		return int(mins), true
	}
	if m := minutesOnly.FindStringSubmatch(s); m != nil {
		mins, ok := number(m[1])
		if !ok || mins != float64(int(mins)) {
			return 0, false
		}
		return int(mins), true
	}
	if m := quarters.FindStringSubmatch(s); m != nil {
		q, ok := number(m[1])
		if !ok || q != float64(int(q)) {
			return 0, false
		}
		return int(q) * 15, true
	}
	return 0, false
}

// FormatMinutes writes a duration for a phone: 45 分钟, 2 小时, 1 小时 30 分钟.
func FormatMinutes(m int) string {
	h, rest := m/60, m%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d 分钟", rest)
	case rest == 0:
		return fmt.Sprintf("%d 小时", h)
	}
	return fmt.Sprintf("%d 小时 %d 分钟", h, rest)
}

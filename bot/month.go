package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Month is a calendar month.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf is the month of day d.
func MonthOf(d Date) Month { return Month{d.Year, d.Month} }

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, m.Month) }

// Label is how members read it: 2026年5月.
func (m Month) Label() string { return fmt.Sprintf("%d年%d月", m.Year, m.Month) }

// Add moves n months.
func (m Month) Add(n int) Month {
	t := time.Date(m.Year, m.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	return Month{t.Year(), t.Month()}
}

// Before reports whether m is earlier than o.
func (m Month) Before(o Month) bool { return m.Year*12+int(m.Month) < o.Year*12+int(o.Month) }

// Since counts the months from o to m (m - o).
func (m Month) Since(o Month) int { return (m.Year-o.Year)*12 + int(m.Month-o.Month) }

// First is the month's first day.
func (m Month) First() Date { return Date{m.Year, m.Month, 1} }

// Last is the month's last day.
func (m Month) Last() Date { return lastDay(m.First()) }

var monthPattern = regexp.MustCompile(`^(?:(\d{4})[-/.年])?(\d{1,2})月?$`)

// ParseMonth reads "2026-05", "5月", "2026年5月", 本月, 上月 or 下月 relative to this.
func ParseMonth(s string, this Month) (Month, bool) {
	switch w := Normalize(s); w {
	case "本月", "这个月", "this-month":
		return this, true
	case "上月", "上个月", "last-month":
		return this.Add(-1), true
	case "下月", "下个月", "next-month":
		return this.Add(1), true
	default:
		m := monthPattern.FindStringSubmatch(w)
		if m == nil {
			return Month{}, false
		}
		year := this.Year
		if m[1] != "" {
			year, _ = strconv.Atoi(m[1])
		}
		month, _ := strconv.Atoi(m[2])
		if month < 1 || month > 12 {
			return Month{}, false
		}
		out := Month{year, time.Month(month)}
		if m[1] == "" && this.Before(out) { // "12月" in January is last December
			out.Year--
		}
		return out, true
	}
}

// addMonths moves d by n months, keeping the day where the month has it
// (31 January + 1 month is 28 or 29 February).
func addMonths(d Date, n int) Date {
	m := MonthOf(d).Add(n)
	return Date{m.Year, m.Month, min(d.Day, m.Last().Day)}
}

package bot

import (
	"slices"
	"time"
)

// Span is a range of days, both ends included.
type Span struct{ From, To Date }

func (s Span) String() string { return s.From.String() + " 至 " + s.To.String() }

// Days is how many days the span has.
func (s Span) Days() int { return int(s.To.Number()-s.From.Number()) + 1 }

// Start and End are the span's first and after-last moments in loc.
func (s Span) Start(loc *time.Location) time.Time {
	return time.Date(s.From.Year, s.From.Month, s.From.Day, 0, 0, 0, 0, loc)
}

// End is the midnight after the span's last day.
func (s Span) End(loc *time.Location) time.Time {
	return time.Date(s.To.Year, s.To.Month, s.To.Day+1, 0, 0, 0, 0, loc)
}

// spanUsage is the usage line of 导出, with an example.
const spanUsage = "用法：导出 [本月|上月|本季度|上季度|本年|去年|2026-10-01 2026-12-31]，例如“导出 上季度”"

// ParseSpan reads a named span or two dates; none means this month.
func ParseSpan(args []string, today Date) (Span, bool) {
	quarter := func(year int, q int) Span {
		from := Date{year, time.Month(3*q + 1), 1}
		return Span{from, lastDay(Date{year, time.Month(3*q + 3), 1})}
	}
	month := Date{today.Year, today.Month, 1}
	q := (int(today.Month) - 1) / 3
	if len(args) == 0 {
		return Span{month, lastDay(month)}, true
	}
	if len(args) == 1 {
		switch Normalize(args[0]) {
		case "本月", "this-month":
			return Span{month, lastDay(month)}, true
		case "上月", "last-month":
			prev := month.AddDays(-1)
			first := Date{prev.Year, prev.Month, 1}
			return Span{first, prev}, true
		case "本季度", "本季", "this-quarter":
			return quarter(today.Year, q), true
		case "上季度", "上季", "last-quarter":
			if q == 0 {
				return quarter(today.Year-1, 3), true
			}
			return quarter(today.Year, q-1), true
		case "本年", "今年", "this-year":
			return Span{Date{today.Year, 1, 1}, Date{today.Year, 12, 31}}, true
		case "去年", "上年", "last-year":
			return Span{Date{today.Year - 1, 1, 1}, Date{today.Year - 1, 12, 31}}, true
		}
		return Span{}, false
	}
	words := slices.DeleteFunc(slices.Clone(args), isRangeSeparator)
	if len(words) != 2 {
		return Span{}, false
	}
	from, err1 := ParseDate(Normalize(words[0]))
	to, err2 := ParseDate(Normalize(words[1]))
	if err1 != nil || err2 != nil || to.Before(from) {
		return Span{}, false
	}
	return Span{from, to}, true
}

// lastDay is the last day of d's month.
func lastDay(d Date) Date {
	t := time.Date(d.Year, d.Month+1, 0, 0, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Months lists the months the span touches.
func (s Span) Months() []Month {
	var out []Month
	for m := MonthOf(s.From); !MonthOf(s.To).Before(m); m = m.Add(1) {
		out = append(out, m)
	}
	return out
}

// isDateWord tells a date from a branch id.
func isDateWord(w string) bool {
	_, err := ParseDate(Normalize(w))
	return err == nil
}

// isSpanWord tells a span word from a branch id.
func isSpanWord(w string) bool {
	_, ok := ParseSpan([]string{w}, Date{2000, 1, 1})
	return ok
}

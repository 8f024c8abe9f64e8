package bot

import (
	"fmt"
	"time"
)

// Date is a calendar day in the org's time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// String formats the date as 2006-01-02, the form used in Redis keys; the
// zero Date (unknown) is "".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// IsZero reports whether d is the zero Date (unknown).
func (d Date) IsZero() bool { return d == Date{} }

// ParseDate reads 2006-01-02.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("bot: %q is not a date like 2006-01-02", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// MarshalText writes 2006-01-02, and nothing for the zero Date, so that
// records keep the JSON they had when dates were strings.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return nil, nil
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads 2006-01-02; empty is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	parsed, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Number() < e.Number() }

// Number is the count of days since 1970-01-01; consecutive days differ by
// one. A day out of its month's range counts on from the month's start, as
// time.Date normalizes it. Summaries call it per member and day, so it is
// arithmetic (Hinnant's days_from_civil), not time.Date.
func (d Date) Number() int64 {
	y, m := int64(d.Year), int64(d.Month)
	if m < 1 || m > 12 {
		return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400
	}
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400                             // [0, 399]
	doy := (153*((m+9)%12)+2)/5 + int64(d.Day) - 1 // from March 1st
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// AddDays returns the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date { return DateFromNumber(d.Number() + int64(n)) }

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Weekday()
}

// DateFromNumber is the inverse of Date.Number (Hinnant's civil_from_days).
func DateFromNumber(n int64) Date {
	z := n + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // March = 0
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if month > 12 {
		month -= 12
	}
	year := yoe + era*400
	if month <= 2 {
		year++
	}
	return Date{int(year), time.Month(month), int(day)}
}

// Calendar tells which days members are expected to work (and so check in).
type Calendar interface {
	IsWorkday(d Date) bool
}

// WeekdayCalendar treats Monday to Friday as working days. A calendar with
// statutory holidays and make-up days replaces it where one is configured.
type WeekdayCalendar struct{}

// IsWorkday implements Calendar.
func (WeekdayCalendar) IsWorkday(d Date) bool {
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Streak counts a member's consecutive check-ins backwards from today.
// Working days without a check-in end the streak (today excepted, since the
// day is not over); check-ins on rest days count, and rest days without one
// are skipped. lookback bounds the walk.
func Streak(checkedIn map[Date]bool, today Date, cal Calendar, lookback int) int {
	streak := 0
	for i := 0; i < lookback; i++ {
		d := today.AddDays(-i)
		switch {
		case checkedIn[d]:
			streak++
		case i == 0 || !cal.IsWorkday(d):
			continue
		default:
			return streak
		}
	}
	return streak
}

package bot

import (
	"bufio"
	_ "embed" // the work calendar ships inside the binary
	"fmt"
	"strings"
	"time"
)

//go:embed cn_workdays.txt
var cnWorkdays string

// ChinaCalendar knows China's statutory holidays and 调休 make-up working
// days; other days follow the week (Monday to Friday work).
type ChinaCalendar struct {
	holidays map[Date]string
	workdays map[Date]string
}

var _ Calendar = (*ChinaCalendar)(nil)

// NewChinaCalendar loads the shipped data, then applies the operator's
// extra holidays and make-up working days (YYYY-MM-DD), which win.
func NewChinaCalendar(extraHolidays, extraWorkdays []string) (*ChinaCalendar, error) {
	c := &ChinaCalendar{holidays: map[Date]string{}, workdays: map[Date]string{}}
	sc := bufio.NewScanner(strings.NewReader(cnWorkdays))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) < 2 {
			return nil, fmt.Errorf("bot: cn_workdays.txt line %d: want 'date kind name'", line)
		}
		if err := c.set(fields[0], fields[1], strings.Join(fields[2:], " ")); err != nil {
			return nil, fmt.Errorf("bot: cn_workdays.txt line %d: %w", line, err)
		}
	}
	for i, d := range extraHolidays {
		if err := c.set(d, "holiday", "配置"); err != nil {
			return nil, fmt.Errorf("calendar.holidays[%d]: %w", i, err)
		}
	}
	for i, d := range extraWorkdays {
		if err := c.set(d, "workday", "配置"); err != nil {
			return nil, fmt.Errorf("calendar.workdays[%d]: %w", i, err)
		}
	}
	return c, nil
}

func (c *ChinaCalendar) set(day, kind, name string) error {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return fmt.Errorf("%q is not a date like 2026-10-01", day)
	}
	d := Date{t.Year(), t.Month(), t.Day()}
	switch kind {
	case "holiday":
		c.holidays[d] = name
		delete(c.workdays, d)
	case "workday":
		c.workdays[d] = name
		delete(c.holidays, d)
	default:
		return fmt.Errorf("kind %q is not holiday or workday", kind)
	}
	return nil
}

// IsWorkday implements Calendar.
func (c *ChinaCalendar) IsWorkday(d Date) bool {
	if _, ok := c.workdays[d]; ok {
		return true
	}
	if _, ok := c.holidays[d]; ok {
		return false
	}
	return WeekdayCalendar{}.IsWorkday(d)
}

// Holiday names the holiday on d, if any.
func (c *ChinaCalendar) Holiday(d Date) (string, bool) {
	name, ok := c.holidays[d]
	return name, ok
}

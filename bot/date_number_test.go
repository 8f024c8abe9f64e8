package bot

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Number and DateFromNumber are arithmetic; time.Date is the definition
// they must agree with, normalization of out-of-range days included.
func TestDateNumberAgreesWithTimeDate(t *testing.T) {
	cases := []Date{
		{1970, 1, 1}, {1969, 12, 31}, {2000, 2, 29}, {1900, 3, 1}, {2100, 2, 28}, {2026, 11, 22},
		{2026, 11, 32}, {2026, 1, 0}, {2026, 3, -40}, {2026, 12, 400}, {1, 1, 1}, {-400, 3, 1}, {9999, 12, 31},
		{2026, 0, 15}, {2026, 13, 1}, {0, 0, 0},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		cases = append(cases, Date{r.IntN(3000) - 500, time.Month(r.IntN(12) + 1), r.IntN(80) - 20})
	}
	for _, d := range cases {
		want := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
		n := d.Number()
		if wantN := want.Unix() / 86400; want.Unix()%86400 == 0 && n != wantN {
			t.Fatalf("%+v.Number() = %d, want %d", d, n, wantN)
		}
		back := DateFromNumber(n)
		if back != (Date{want.Year(), want.Month(), want.Day()}) {
			t.Fatalf("DateFromNumber(%d) = %+v, want %s", n, back, want.Format(time.DateOnly))
		}
		if got, w := d.AddDays(45), want.AddDate(0, 0, 45); got != (Date{w.Year(), w.Month(), w.Day()}) {
			t.Fatalf("%+v.AddDays(45) = %+v, want %s", d, got, w.Format(time.DateOnly))
		}
	}
}

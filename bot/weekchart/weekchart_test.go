package weekchart

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"

	"github.com/partybot/partybot/bot"
)

var week = bot.Date{Year: 2026, Month: 11, Day: 16}

// Every word the chart sets has its glyphs in both embedded subsets: a
// missing one would draw as an empty box (rerun scripts/subset-font.sh
// after adding it to font/chars.txt).
func TestSubsetsCoverTheChartsWords(t *testing.T) {
	words := append([]string{titleText, checkinsTitle, studyTitle, thisWeekText, lastWeekText, "共人0123456789",
		weekSpan(week), weekSpan(bot.Date{Year: 2026, Month: 11, Day: 30})}, weekdays...)
	chars, err := os.ReadFile("font/chars.txt")
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{"regular": regularOTF, "bold": boldOTF} {
		f, err := opentype.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var buf sfnt.Buffer
		for _, w := range words {
			for _, r := range w {
				if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
					t.Errorf("%s subset lacks %q (of %q)", name, r, w)
				}
				if !strings.ContainsRune(string(chars), r) {
					t.Errorf("font/chars.txt lacks %q (of %q)", r, w)
				}
			}
		}
	}
	if n := len(regularOTF) + len(boldOTF); n > 64<<10 {
		t.Errorf("embedded fonts are %d bytes: a subset should be tens of KB", n)
	}
}

func TestDrawWeekChart(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	full := bot.WeekBars{
		Daily: [7]int{18, 20, 17, 19, 15, 3, 1}, Members: 22, Week: week,
		LastDaily:        []int{16, 19, 20, 14, 12, 2, 1},
		StudyMinutes:     []int{120, 90, 240, 60, 300, 45, 10},
		LastStudyMinutes: []int{80, 150, 100, 200, 90, 20, 30},
	}
	tests := []struct {
		name        string
		bars        bot.WeekBars
		stored      string // a notice's image as stored in the outbox, instead of bars
		w, h        int
		panels      int
		last        bool
		firstPanel  []int // this week's values in the top panel, for bar heights
		secondPanel []int
	}{
		{name: "this week against last", bars: full, w: 1120, h: 1120, panels: 2, last: true,
			firstPanel: full.Daily[:], secondPanel: full.StudyMinutes},
		{name: "a notice stored by the release before", stored: `{"name":"tech-2026-11-16.png","chart":{"daily":[1,2,3,4,5,2,1],"members":5}}`,
			w: 1120, h: 622, panels: 1, firstPanel: []int{1, 2, 3, 4, 5, 2, 1}},
		{name: "last week's study unknown", bars: bot.WeekBars{Daily: full.Daily, Members: 22, Week: week, LastDaily: full.LastDaily, StudyMinutes: full.StudyMinutes},
			w: 1120, h: 1120, panels: 2, last: true, firstPanel: full.Daily[:], secondPanel: full.StudyMinutes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bars := tc.bars
			if tc.stored != "" {
				var img bot.Image
				if err := json.Unmarshal([]byte(tc.stored), &img); err != nil || img.Chart == nil {
					t.Fatalf("decode the stored image: %v %+v", err, img)
				}
				bars = *img.Chart
			}
			raw, err := r.DrawWeekChart(bars)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("chart is %v, want %d×%d", b, tc.w, tc.h)
			}
			// The title is drawn: dark pixels where it stands, top left.
			if n := count(img, image.Rect(30, 20, 320, 100), func(c color.RGBA) bool { return c.R < 0x60 && c.G < 0x60 }); n < 500 {
				t.Errorf("title area has %d dark pixels", n)
			}
			if n := count(img, img.Bounds(), same(lastGrey)); tc.last != (n > 2000) {
				t.Errorf("%d pixels of last week's grey, want bars: %v", n, tc.last)
			}
			panelH := (tc.h - 124) / tc.panels // below the 62 pt header
			for i, want := range [][]int{tc.firstPanel, tc.secondPanel}[:tc.panels] {
				top := 124 + i*panelH
				got := redBars(img, top, top+panelH)
				if len(got) != len(want) {
					t.Fatalf("panel %d: %d red bars %v, want %d", i, len(got), got, len(want))
				}
				assertProportional(t, got, want)
			}
		})
	}
}

func TestDrawWeekChartRefusesBadSeries(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, bars := range []bot.WeekBars{
		{Members: 3, LastDaily: []int{1, 2, 3}},
		{Members: 3, StudyMinutes: []int{1, 2, 3, 4, 5, 6, 7, 8}},
		{Members: 3, Daily: [7]int{-1}},
		{Members: -1},
	} {
		if _, err := r.DrawWeekChart(bars); err == nil {
			t.Errorf("%+v drew", bars)
		}
	}
}

// The outbox delivers several notices at once through one Renderer: each
// chart comes out the same as when drawn alone.
func TestDrawWeekChartConcurrently(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	bars := func(i int) bot.WeekBars {
		return bot.WeekBars{Daily: [7]int{i, 2, 3, 4, 5, 6, 7}, Members: 10, Week: week, LastDaily: []int{1, i, 1, 1, 1, 1, 1}}
	}
	want := make([][]byte, 4)
	for i := range want {
		if want[i], err = r.DrawWeekChart(bars(i)); err != nil {
			t.Fatal(err)
		}
	}
	got := make([][]byte, len(want))
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], _ = r.DrawWeekChart(bars(i)) })
	}
	wg.Wait()
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("chart %d drawn concurrently differs from drawn alone", i)
		}
	}
}

func BenchmarkDrawWeekChart(b *testing.B) {
	r, err := New()
	if err != nil {
		b.Fatal(err)
	}
	bars := bot.WeekBars{
		Daily: [7]int{80, 90, 70, 60, 50, 3, 1}, Members: 100, Week: week,
		LastDaily: []int{75, 88, 80, 66, 40, 5, 0}, StudyMinutes: []int{600, 900, 450, 300, 1200, 60, 30},
		LastStudyMinutes: []int{500, 700, 800, 350, 900, 120, 0},
	}
	var size int
	for b.Loop() {
		raw, err := r.DrawWeekChart(bars)
		if err != nil {
			b.Fatal(err)
		}
		size = len(raw)
	}
	b.ReportMetric(float64(size), "png-bytes")
}

func count(img image.Image, r image.Rectangle, match func(color.RGBA) bool) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if match(color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)) {
				n++
			}
		}
	}
	return n
}

func same(want color.RGBA) func(color.RGBA) bool {
	return func(c color.RGBA) bool { return c == want }
}

// redBars measures this week's bars between rows top and bottom, left to
// right: each is a run of columns whose longest vertical run of Party red
// (the bar, not its label above it) is more than a few pixels.
func redBars(img image.Image, top, bottom int) []int {
	var bars []int
	inBar := false
	for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
		longest, run := 0, 0
		for y := top; y < bottom; y++ {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == partyRed {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
		switch {
		case longest > 4 && !inBar:
			bars, inBar = append(bars, longest), true
		case longest > 4:
			bars[len(bars)-1] = max(bars[len(bars)-1], longest)
		default:
			inBar = false
		}
	}
	return bars
}

// assertProportional checks bar heights against values, to a pixel or two.
func assertProportional(t *testing.T, heights, values []int) {
	t.Helper()
	iMax := 0
	for i, v := range values {
		if v > values[iMax] {
			iMax = i
		}
	}
	perUnit := float64(heights[iMax]) / float64(values[iMax])
	for i, v := range values {
		if want := float64(v) * perUnit; math.Abs(float64(heights[i])-want) > 2.5 {
			t.Errorf("bar %d is %d px for %d, want about %.0f (heights %v)", i, heights[i], v, want, heights)
		}
	}
}

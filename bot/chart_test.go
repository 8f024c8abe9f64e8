package bot

import (
	"bytes"
	"image/png"
	"testing"
)

func TestWeekChartIsAPNG(t *testing.T) {
	raw := WeekChart([7]int{80, 90, 70, 60, 50, 3, 1}, 100)
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 560 || b.Dy() != 280 {
		t.Fatalf("chart is %v, want 560×280", b)
	}
	// Monday's bar (80 of 100) is red at its middle, Sunday's (1 of 100) is not that tall.
	if r, g, b, _ := img.At(50, 150).RGBA(); r>>8 != 0xc8 || g>>8 != 0x10 || b>>8 != 0x2e {
		t.Fatalf("Monday's bar colour %x %x %x", r>>8, g>>8, b>>8)
	}
	if r, _, _, _ := img.At(500, 150).RGBA(); r>>8 != 0xff {
		t.Fatal("Sunday's bar reaches the middle of the plot")
	}
}

func BenchmarkWeekChart(b *testing.B) {
	for b.Loop() {
		WeekChart([7]int{80, 90, 70, 60, 50, 3, 1}, 100)
	}
}

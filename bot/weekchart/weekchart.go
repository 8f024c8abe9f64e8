// Package weekchart draws a branch's weekly chart (bot.WeekBars) as a PNG:
// check-ins and study minutes per day, this week against last, drawn with
// gonum/plot in Noto Sans SC. The font is embedded as a subset that covers
// the chart's fixed words and digits only (font/chars.txt); names and
// other free text stay in the message around the chart.
package weekchart

//go:generate ../../scripts/subset-font.sh

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"sync"

	"git.sr.ht/~sbinet/gg"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/partybot/partybot/bot"
)

// The embedded subsets (scripts/subset-font.sh), licensed in font/OFL.txt.
var (
	//go:embed font/NotoSansSC-Regular.subset.otf
	regularOTF []byte
	//go:embed font/NotoSansSC-Bold.subset.otf
	boldOTF []byte
)

// Chart size: 560×560 points at 144 dpi, a 1120×1120 PNG (older notices: one panel, 1120×622), so that a phone
// (2× or 3× pixel density) shows it crisp at full width.
const (
	dpi                   = 144
	chartWidth  vg.Length = 560 // points
	panelHeight vg.Length = 249 // points
	headerH     vg.Length = 62  // points
	barWidth    vg.Length = 24  // points
)

// The chart's words. Each rune must be in font/chars.txt (a test checks).
var weekdays = []string{"周一", "周二", "周三", "周四", "周五", "周六", "周日"}

const (
	titleText     = "本周签到与学习"
	checkinsTitle = "每日签到（人）"
	studyTitle    = "每日学习（分钟）"
	thisWeekText  = "本周"
	lastWeekText  = "上周"
)

var (
	partyRed  = color.RGBA{0xc8, 0x10, 0x2e, 0xff}
	lastGrey  = color.RGBA{0xb4, 0xb4, 0xb4, 0xff}
	ink       = color.RGBA{0x22, 0x22, 0x22, 0xff}
	softInk   = color.RGBA{0x77, 0x77, 0x77, 0xff}
	gridGrey  = color.RGBA{0xe6, 0xe6, 0xe6, 0xff}
	allMarker = color.RGBA{0xe3, 0x88, 0x96, 0xff} // Party red, lightened
	allInk    = color.RGBA{0xa8, 0x0d, 0x27, 0xff} // Party red, darkened: not a bar
)

// Renderer draws weekly charts. It is safe for concurrent use: the outbox
// delivers several notices at once.
type Renderer struct {
	handler       text.Handler
	regular, bold font.Font
	buffers       encoderPool
	images        imagePool
}

// New parses the embedded fonts.
func New() (*Renderer, error) {
	regular, err := opentype.Parse(regularOTF)
	if err != nil {
		return nil, fmt.Errorf("weekchart: parse regular font: %w", err)
	}
	bold, err := opentype.Parse(boldOTF)
	if err != nil {
		return nil, fmt.Errorf("weekchart: parse bold font: %w", err)
	}
	r := &Renderer{
		regular: font.Font{Typeface: "Noto Sans SC", Weight: xfont.WeightNormal},
		bold:    font.Font{Typeface: "Noto Sans SC", Weight: xfont.WeightBold},
	}
	// The plot's own cache, not font.DefaultCache: no process-wide state.
	r.handler = text.Plain{Fonts: font.NewCache(font.Collection{
		{Font: r.regular, Face: regular},
		{Font: r.bold, Face: bold},
	})}
	return r, nil
}

// DrawWeekChart draws w as a PNG (wecom.ChartDrawer).
func (r *Renderer) DrawWeekChart(w bot.WeekBars) ([]byte, error) {
	if err := validate(w); err != nil {
		return nil, err
	}
	panels := []*plot.Plot{r.panel(checkinsTitle, w.Daily[:], w.LastDaily, w.Members)}
	if w.StudyMinutes != nil || w.LastStudyMinutes != nil { // older notices have check-ins only
		panels = append(panels, r.panel(studyTitle, w.StudyMinutes, w.LastStudyMinutes, 0))
	}
	height := headerH + vg.Length(len(panels))*panelHeight
	img := r.images.get(pixels(chartWidth), pixels(height))
	defer r.images.put(img)
	// vgimg.NewWith would copy a new image into the context: gg draws
	// straight into this one.
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	canvas := vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(dpi)) // white background
	dc := draw.New(canvas)
	r.header(dc, w)
	rows := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: headerH, PadBottom: 6, PadLeft: 14, PadRight: 16, PadY: 26}
	for i, cs := range plot.Align(rows, tiles, dc) {
		panels[i].Draw(cs[0])
	}
	var buf bytes.Buffer
	// A paletted PNG with BestSpeed: a thousand branches get a chart each,
	// and an RGB one takes several times as long to filter and compress
	// for a file twice as large.
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &r.buffers}
	if err := enc.Encode(&buf, toPaletted(img)); err != nil {
		return nil, fmt.Errorf("weekchart: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// validate refuses series that are not a week of non-negative days.
func validate(w bot.WeekBars) error {
	for _, s := range [][]int{w.Daily[:], w.LastDaily, w.StudyMinutes, w.LastStudyMinutes} {
		if s != nil && len(s) != 7 {
			return fmt.Errorf("weekchart: a series of %d days, want 7", len(s))
		}
		for _, v := range s {
			if v < 0 {
				return errors.New("weekchart: a negative count")
			}
		}
	}
	if w.Members < 0 {
		return errors.New("weekchart: negative members")
	}
	return nil
}

// header writes the title, the week's dates and the legend.
func (r *Renderer) header(dc draw.Canvas, w bot.WeekBars) {
	left, top := dc.Min.X+22, dc.Max.Y-14
	title := r.style(r.bold, 17, ink)
	title.YAlign = draw.YTop
	dc.FillText(title, vg.Point{X: left, Y: top}, titleText)
	if !w.Week.IsZero() {
		sub := r.style(r.regular, 10, softInk)
		sub.YAlign = draw.YTop
		dc.FillText(sub, vg.Point{X: left, Y: top - 25}, weekSpan(w.Week))
	}
	// The legend, right-aligned: this week, then last week when known.
	type entry struct {
		label string
		clr   color.Color
	}
	entries := []entry{{thisWeekText, partyRed}}
	if w.LastDaily != nil || w.LastStudyMinutes != nil {
		entries = append(entries, entry{lastWeekText, lastGrey})
	}
	label := r.style(r.regular, 10.5, ink)
	label.YAlign = draw.YCenter
	x, y := dc.Max.X-22, top-8
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		x -= label.Width(e.label)
		dc.FillText(label, vg.Point{X: x, Y: y}, e.label)
		x -= 14
		dc.FillPolygon(e.clr, []vg.Point{{X: x, Y: y - 5}, {X: x + 10, Y: y - 5}, {X: x + 10, Y: y + 5}, {X: x, Y: y + 5}})
		x -= 14
	}
}

// weekSpan writes a week as 11月16日–22日, or 11月30日–12月6日.
func weekSpan(monday bot.Date) string {
	sunday := monday.AddDays(6)
	s := fmt.Sprintf("%d月%d日–", monday.Month, monday.Day)
	if sunday.Month != monday.Month {
		s += fmt.Sprintf("%d月", sunday.Month)
	}
	return s + fmt.Sprintf("%d日", sunday.Day)
}

func (r *Renderer) style(f font.Font, size float64, clr color.Color) text.Style {
	return text.Style{Color: clr, Font: font.From(f, vg.Points(size)), Handler: r.handler, XAlign: draw.XLeft}
}

// panel is one bar chart: this week's bars in Party red, labelled, beside
// last week's in grey; members > 0 marks the branch's size.
func (r *Renderer) panel(title string, this, last []int, members int) *plot.Plot {
	p := plot.New()
	p.TextHandler = r.handler
	p.Title.Text = title
	p.Title.TextStyle = r.style(r.bold, 12, ink)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.Padding = 6
	p.Legend = plot.NewLegend()
	p.Legend.TextStyle = r.style(r.regular, 10, ink)

	p.X.Tick.Marker = plot.ConstantTicks(weekdayTicks())
	p.X.Tick.Label = r.style(r.regular, 10.5, ink)
	p.X.Tick.Label.XAlign = draw.XCenter
	p.X.Tick.Label.YAlign = draw.YTop
	p.X.Tick.LineStyle.Width = 0
	p.X.LineStyle.Color = softInk
	p.X.Padding = 0
	p.X.Min, p.X.Max = -0.5, 6.5

	p.Y.Tick.Marker = integerTicks{}
	p.Y.Tick.Label = r.style(r.regular, 9.5, softInk)
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	p.Y.Tick.LineStyle.Width = 0
	p.Y.LineStyle.Width = 0
	p.Y.Padding = 0
	p.Y.Min = 0

	// Room above the tallest bar for its label; small counts still get a
	// few integer ticks.
	p.Y.Max = max(float64(max(members, maxOf(this), maxOf(last)))*1.15, 4)

	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal.Color = gridGrey
	grid.Horizontal.Width = vg.Points(0.8)
	p.Add(grid)

	if members > 0 {
		line := plotter.NewFunction(func(float64) float64 { return float64(members) })
		line.Color, line.Width, line.Dashes = allMarker, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
		line.XMin, line.XMax = -0.5, 6.5
		p.Add(line)
		note, _ := plotter.NewLabels(plotter.XYLabels{
			XYs:    []plotter.XY{{X: 6.5, Y: float64(members)}},
			Labels: []string{"共" + strconv.Itoa(members) + "人"},
		})
		note.TextStyle[0] = r.style(r.regular, 9, allInk)
		note.TextStyle[0].XAlign = draw.XRight
		note.Offset = vg.Point{X: -2, Y: 3}
		p.Add(note)
	}
	var offset vg.Length // this week's bar sits in the middle of its day, or right of last week's
	if last != nil {
		p.Add(r.bars(last, lastGrey, -barWidth/2))
		offset = barWidth / 2
	}
	if this != nil {
		p.Add(r.bars(this, partyRed, offset))
		p.Add(r.valueLabels(this, offset))
	}
	return p
}

func (r *Renderer) bars(days []int, clr color.Color, offset vg.Length) *plotter.BarChart {
	values := make(plotter.Values, len(days))
	for i, v := range days {
		values[i] = float64(v)
	}
	b, _ := plotter.NewBarChart(values, barWidth) // only fails on NaN or Inf
	b.Color, b.LineStyle.Width, b.Offset = clr, 0, offset
	return b
}

// valueLabels writes each day's number above its bar.
func (r *Renderer) valueLabels(days []int, offset vg.Length) *plotter.Labels {
	l := plotter.XYLabels{XYs: make(plotter.XYs, len(days)), Labels: make([]string, len(days))}
	for i, v := range days {
		l.XYs[i] = plotter.XY{X: float64(i), Y: float64(v)}
		l.Labels[i] = strconv.Itoa(v)
	}
	labels, _ := plotter.NewLabels(l) // only fails on NaN or Inf
	for i := range labels.TextStyle {
		labels.TextStyle[i] = r.style(r.bold, 9.5, partyRed)
		labels.TextStyle[i].XAlign = draw.XCenter
	}
	labels.Offset = vg.Point{X: offset, Y: 3}
	return labels
}

func weekdayTicks() []plot.Tick {
	ticks := make([]plot.Tick, len(weekdays))
	for i, d := range weekdays {
		ticks[i] = plot.Tick{Value: float64(i), Label: d}
	}
	return ticks
}

// integerTicks are plot.DefaultTicks without fractions: people and
// minutes are counted whole.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Label != "" && t.Value == math.Trunc(t.Value) {
			out = append(out, plot.Tick{Value: t.Value, Label: strconv.Itoa(int(t.Value))})
		}
	}
	return out
}

func maxOf(days []int) int {
	m := 0
	for _, v := range days {
		m = max(m, v)
	}
	return m
}

// encoderPool reuses the PNG encoder's buffers across charts.
type encoderPool struct{ pool sync.Pool }

func (p *encoderPool) Get() *png.EncoderBuffer {
	b, _ := p.pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *encoderPool) Put(b *png.EncoderBuffer) { p.pool.Put(b) }

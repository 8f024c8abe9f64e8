package bot

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"sync"
)

// glyphs is a 3×5 pixel font for the chart's labels: digits, weekday
// letters and '/'. Chinese text would need a font file; the chart carries
// numbers only and the message around it says the rest.
var glyphs = map[rune][5]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"}, '1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"}, '3': {"###", "..#", "###", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"}, '5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"}, '7': {"###", "..#", "..#", "..#", "..#"},
	'8': {"###", "#.#", "###", "#.#", "###"}, '9': {"###", "#.#", "###", "..#", "###"},
	'M': {"#.#", "###", "###", "#.#", "#.#"}, 'T': {"###", ".#.", ".#.", ".#.", ".#."},
	'W': {"#.#", "#.#", "###", "###", "#.#"}, 'F': {"###", "#..", "##.", "#..", "#.."},
	'S': {"###", "#..", "###", "..#", "###"}, '/': {"..#", "..#", ".#.", "#..", "#.."},
}

// The chart has four colours, so it is a paletted image: small, and quick
// to draw and encode (a thousand branches get one each).
var chartPalette = color.Palette{
	color.RGBA{0xff, 0xff, 0xff, 0xff}, // background
	color.RGBA{0xc8, 0x10, 0x2e, 0xff}, // bars: Party red
	color.RGBA{0x33, 0x33, 0x33, 0xff}, // ink
	color.RGBA{0xdd, 0xdd, 0xdd, 0xff}, // grid
}

const (
	chartBackground uint8 = iota
	chartBar
	chartInk
	chartGrid
)

// encoderPool reuses the PNG encoder's buffers across charts.
type encoderPool struct{ pool sync.Pool }

func (p *encoderPool) Get() *png.EncoderBuffer {
	b, _ := p.pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *encoderPool) Put(b *png.EncoderBuffer) { p.pool.Put(b) }

var chartBuffers encoderPool

// drawText writes s at (x, y) with each font pixel scale×scale.
func drawText(img *image.Paletted, x, y, scale int, s string) {
	for _, r := range s {
		g, ok := glyphs[r]
		if ok {
			for row, line := range g {
				for col, c := range line {
					if c == '#' {
						fill(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), chartInk)
					}
				}
			}
		}
		x += 4 * scale
	}
}

func fill(img *image.Paletted, r image.Rectangle, c uint8) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := range row {
			row[i] = c
		}
	}
}

// WeekChart draws a branch's check-ins per day, Monday to Sunday, as a bar
// chart against the member count: each bar is labelled "count/members".
func WeekChart(daily [7]int, members int) []byte {
	const w, h, top, bottom, left = 560, 280, 40, 40, 20
	img := image.NewPaletted(image.Rect(0, 0, w, h), chartPalette) // zero: the background
	plotH := h - top - bottom
	fill(img, image.Rect(left, h-bottom, w-left, h-bottom+2), chartGrid)
	fill(img, image.Rect(left, top, w-left, top+1), chartGrid)
	slot := (w - 2*left) / 7
	for i, n := range daily {
		x := left + i*slot + slot/4
		barH := 0
		if members > 0 {
			barH = min(n, members) * plotH / members
		}
		fill(img, image.Rect(x, h-bottom-barH, x+slot/2, h-bottom), chartBar)
		label := strconv.Itoa(n) + "/" + strconv.Itoa(members)
		drawText(img, x, h-bottom-barH-18, 3, label)
		drawText(img, x+slot/4-6, h-bottom+10, 4, string("MTWTFSS"[i]))
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &chartBuffers}
	_ = enc.Encode(&buf, img) // encoding to memory cannot fail
	return buf.Bytes()
}

package weekchart

import (
	"image"
	"image/color"
	"sync"

	"gonum.org/v1/plot/vg"
)

// pixels is a length in points at the chart's resolution, in pixels.
func pixels(l vg.Length) int { return int(l/vg.Inch*dpi + 0.5) }

// chartPalette holds the chart's colours and their anti-aliased edges on
// white: a grey ramp (text, grid, last week), a ramp from white to Party
// red (bars, labels, the members line) and one to the darker red of the
// members note. Every pixel drawn is one of them or close to one.
var chartPalette = func() color.Palette {
	p := color.Palette{color.White, partyRed, lastGrey, ink, softInk, gridGrey, allMarker, allInk}
	for v := 0; v < 0x100; v += 4 {
		p = append(p, color.RGBA{uint8(v), uint8(v), uint8(v), 0xff})
	}
	ramp := func(to color.RGBA, steps int) {
		for i := 1; i < steps; i++ {
			mix := func(c uint8) uint8 { return uint8(0xff - (0xff-int(c))*i/steps) }
			p = append(p, color.RGBA{mix(to.R), mix(to.G), mix(to.B), 0xff})
		}
	}
	ramp(partyRed, 96)
	ramp(allInk, 48)
	return p
}()

// toPaletted maps the drawn chart onto chartPalette. Most pixels are white
// or a bar's colour, and the rest take a few hundred values: each distinct
// one is matched once.
func toPaletted(img *image.RGBA) *image.Paletted {
	out := image.NewPaletted(img.Bounds(), chartPalette) // zero: white
	seen := make(map[uint32]uint8, 1024)
	var last uint32 = 0xffffffff
	var lastIndex uint8
	for i, o := 0, 0; i+3 < len(img.Pix); i, o = i+4, o+1 {
		c := uint32(img.Pix[i])<<24 | uint32(img.Pix[i+1])<<16 | uint32(img.Pix[i+2])<<8 | uint32(img.Pix[i+3])
		switch {
		case c == 0xffffffff:
			continue
		case c == last:
		default:
			index, ok := seen[c]
			if !ok {
				index = uint8(chartPalette.Index(color.RGBA{img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3]}))
				seen[c] = index
			}
			last, lastIndex = c, index
		}
		out.Pix[o] = lastIndex
	}
	return out
}

// imagePool reuses the 5 MB canvases across charts.
type imagePool struct{ pool sync.Pool }

// get returns a w×h image; vgimg.NewWith paints it white.
func (p *imagePool) get(w, h int) *image.RGBA {
	img, _ := p.pool.Get().(*image.RGBA)
	if img == nil || img.Rect.Dx() != w || img.Rect.Dy() != h {
		img = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	return img
}

func (p *imagePool) put(img *image.RGBA) { p.pool.Put(img) }

package librarytest

import (
	"bytes"
	"embed"
	"image"
	"image/color"
	stdjpeg "image/jpeg"
	"image/png"
	"math"
)

// CoverImage draws cover art of size×size pixels: a diagonal blend from
// one colour (top left) to another (bottom right) behind a paler disc with
// a hole, a record on its sleeve. Tests tell covers apart by their colours.
func CoverImage(size int, from, to color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	c := float64(size-1) / 2
	for y := range size {
		for x := range size {
			t := float64(x+y) / float64(2*max(size-1, 1))
			px := color.RGBA{mix(from.R, to.R, t), mix(from.G, to.G, t), mix(from.B, to.B, t), 255}
			// A disc of a third of the side with a hole in the middle, its
			// edges smoothed over a pixel.
			r := math.Hypot(float64(x)-c, float64(y)-c)
			outer := math.Max(0, math.Min(1, 0.5-(r-float64(size)/6)))
			hole := math.Max(0, math.Min(1, 0.5-(r-float64(size)/40)))
			if a := outer - hole; a > 0 {
				px.R = mix(px.R, 255, 0.35*a)
				px.G = mix(px.G, 255, 0.35*a)
				px.B = mix(px.B, 255, 0.35*a)
			}
			img.SetRGBA(x, y, px)
		}
	}
	return img
}

func mix(a, b uint8, t float64) uint8 {
	return uint8(math.Round(float64(a) + (float64(b)-float64(a))*t))
}

// PNG encodes img as PNG.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // only a writer's error; a bytes.Buffer has none
	}
	return b.Bytes()
}

// JPEG encodes img as JPEG at quality 80.
func JPEG(img image.Image) []byte {
	var b bytes.Buffer
	if err := stdjpeg.Encode(&b, img, &stdjpeg.Options{Quality: 80}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// pictures holds the sample library's cover art: two 320-pixel JPEGs that
// CoverImage drew (JPEG at quality 80), kept as files so that the sample
// library's bytes do not depend on the Go release's encoders.
//
//go:embed covers/*.jpg
var pictures embed.FS

// Pictures returns the bytes of a picture of the sample library by name,
// as File.Picture and Image.Picture give it; nil for an unknown name.
func Pictures(name string) []byte {
	b, err := pictures.ReadFile("covers/" + name)
	if err != nil {
		return nil
	}
	return b
}

package printing

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/jung-kurt/gofpdf"
	"github.com/skip2/go-qrcode"

	"huren/kiosk"
	"huren/printing/internal/ttfsubset"
	"huren/resources"
)

// Size is a paper format for PDF output.
type Size int

const (
	// Roll80 is an 80 mm roll; the page is as tall as the content.
	Roll80 Size = iota
	// A6 is 105 × 148 mm; long documents continue on further pages.
	A6
)

// String names the size (roll80, a6).
func (s Size) String() string {
	switch s {
	case Roll80:
		return "roll80"
	case A6:
		return "a6"
	}
	return fmt.Sprintf("Size(%d)", int(s))
}

// ParseSize parses "roll80" (or "80mm") and "a6".
func ParseSize(s string) (Size, error) {
	switch s {
	case "roll80", "80mm", "roll":
		return Roll80, nil
	case "a6", "A6":
		return A6, nil
	}
	return 0, fmt.Errorf("unknown paper size %q (want roll80 or a6)", s)
}

const (
	fontFamily = "wqy"
	ptToMM     = 25.4 / 72
	lineFactor = 1.32 // line height / font size
	qrMinMM    = 30.0 // the QR symbol without its quiet zone is at least this wide
)

// geometry of one paper size, in mm and pt.
type geometry struct {
	width, height float64 // height 0: fitted to the content
	margin        float64
	labelW        float64 // label column of fields
	qrW           float64 // QR code width including the quiet zone
	inlineLabels  bool    // English field labels beside the Chinese ones, not under them
	qrSide        bool    // text beside the QR code, not under it
	pt            map[style]float64
}

func geometryOf(s Size) (geometry, error) {
	switch s {
	case Roll80:
		return geometry{width: 80, margin: 4, labelW: 19, qrW: 46, pt: map[style]float64{
			styleBody: 9, styleSmall: 7, styleTitle: 14, styleBig: 15.5, styleMark: 11, styleHeading: 9.5,
		}}, nil
	case A6:
		return geometry{width: 105, height: 148, margin: 6, labelW: 30, qrW: 38, inlineLabels: true, qrSide: true,
			pt: map[style]float64{
				styleBody: 8.5, styleSmall: 6.5, styleTitle: 13.5, styleBig: 15.5, styleMark: 10, styleHeading: 9,
			}}, nil
	}
	return geometry{}, fmt.Errorf("unknown paper size %d", int(s))
}

var parsedFont struct {
	mu   sync.Mutex
	src  []byte // the bytes resources.ChineseFont returned (cached there)
	font *ttfsubset.Font
}

// subsetFor returns the Chinese font cut down to the characters of bs (plus ASCII), so gofpdf parses a
// font of a few hundred glyphs instead of 30,000 for each document.
func subsetFor(bs []block) ([]byte, error) {
	src, err := resources.ChineseFont()
	if err != nil {
		return nil, fmt.Errorf("pdf font: %w", err)
	}
	parsedFont.mu.Lock()
	if len(parsedFont.src) == 0 || &parsedFont.src[0] != &src[0] {
		f, err := ttfsubset.Parse(src)
		if err != nil {
			parsedFont.mu.Unlock()
			return nil, fmt.Errorf("pdf font: %w", err)
		}
		parsedFont.src, parsedFont.font = src, f
	}
	f := parsedFont.font
	parsedFont.mu.Unlock()

	runes := make([]rune, 0, 512)
	for r := rune(0x20); r < 0x7F; r++ {
		runes = append(runes, r)
	}
	var add func(b block)
	add = func(b block) {
		for _, s := range append([]string{b.text, b.label, b.labelEN}, append(b.values, b.en...)...) {
			runes = append(runes, []rune(s)...)
		}
		for _, sb := range b.side {
			add(sb)
		}
	}
	for _, b := range bs {
		add(b)
	}
	out, err := f.Subset(runes)
	if err != nil {
		return nil, fmt.Errorf("pdf font: %w", err)
	}
	return out, nil
}

// ReceiptPDF lays out a receipt as a PDF. Errors: the Chinese font is missing (wrapping
// resources.ErrFontMissing), the QR code cannot be made, or gofpdf fails.
func ReceiptPDF(doc kiosk.ReceiptDoc, size Size) ([]byte, error) {
	b, _, err := renderPDF(receiptBlocks(doc), size, "居住证互认转换受理回执")
	return b, err
}

// RefusalPDF lays out a refusal notice listing every reason with its remedy. Errors as ReceiptPDF.
func RefusalPDF(doc kiosk.RefusalDoc, size Size) ([]byte, error) {
	b, _, err := renderPDF(refusalBlocks(doc), size, "不予受理告知书")
	return b, err
}

// TestPagePDF lays out a test page stamped with now. Errors as ReceiptPDF.
func TestPagePDF(now time.Time, size Size) ([]byte, error) {
	b, _, err := renderPDF(testPageBlocks(now), size, "打印测试页")
	return b, err
}

// DocumentPDF lays out whichever document doc holds; now stamps the test page. Errors as ReceiptPDF, or
// ErrNoDocument.
func DocumentPDF(doc kiosk.Document, size Size, now time.Time) ([]byte, error) {
	bs, err := blocksFor(doc, now)
	if err != nil {
		return nil, err
	}
	b, _, err := renderPDF(bs, size, docName(doc, now))
	return b, err
}

type pdfRenderer struct {
	pdf   *gofpdf.Fpdf
	g     geometry
	font  string
	y     float64
	x, w  float64 // the current column
	pageH float64
	draw  bool
	inQR  bool // drawing beside a QR code: no page breaks
	info  layoutInfo
	qrs   map[string][][]bool
}

// qr returns the module bitmap (quiet zone included) of a level-M QR code of data, made once per document.
func (r *pdfRenderer) qr(data string) ([][]bool, error) {
	if bm, ok := r.qrs[data]; ok {
		return bm, nil
	}
	q, err := qrcode.New(data, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	if r.qrs == nil {
		r.qrs = make(map[string][][]bool, 1)
	}
	r.qrs[data] = q.Bitmap()
	return r.qrs[data], nil
}

// layoutInfo tells tests where things went (mm).
type layoutInfo struct {
	PageW, PageH float64
	Pages        int
	QR           []qrBox
}

type qrBox struct {
	Page                 int
	X, Y, Side, InnerMod float64 // Side includes the quiet zone; InnerMod is the module size
	Modules              int     // without the quiet zone
}

func renderPDF(bs []block, size Size, title string) ([]byte, layoutInfo, error) {
	g, err := geometryOf(size)
	if err != nil {
		return nil, layoutInfo{}, err
	}
	font, err := subsetFor(bs)
	if err != nil {
		return nil, layoutInfo{}, err
	}
	pdf := gofpdf.NewCustom(&gofpdf.InitType{UnitStr: "mm", Size: gofpdf.SizeType{Wd: g.width, Ht: 297}})
	pdf.AddUTF8FontFromBytes(fontFamily, "", font)
	return layoutPDF(pdf, bs, g, fontFamily, title)
}

// layoutPDF measures bs, opens a page of the right height (roll) and draws.
func layoutPDF(pdf *gofpdf.Fpdf, bs []block, g geometry, font, title string) ([]byte, layoutInfo, error) {
	pdf.SetTitle(title, true)
	pdf.SetCreator("Huren", false)
	pdf.SetMargins(g.margin, g.margin, g.margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetFont(font, "", g.pt[styleBody])
	if err := pdf.Error(); err != nil {
		return nil, layoutInfo{}, fmt.Errorf("pdf font: %w", err)
	}
	r := &pdfRenderer{pdf: pdf, g: g, font: font, x: g.margin, w: g.width - 2*g.margin}

	r.pageH = g.height
	if r.pageH == 0 { // roll: measure first
		r.y = g.margin
		for _, b := range bs {
			if err := r.block(b); err != nil {
				return nil, layoutInfo{}, err
			}
		}
		r.pageH = r.y + g.margin + 2
	}
	r.draw = true
	pdf.AddPageFormat("P", gofpdf.SizeType{Wd: g.width, Ht: r.pageH})
	r.y = g.margin
	for _, b := range bs {
		if err := r.block(b); err != nil {
			return nil, layoutInfo{}, err
		}
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, layoutInfo{}, fmt.Errorf("pdf output: %w", err)
	}
	r.info.PageW, r.info.PageH, r.info.Pages = g.width, r.pageH, pdf.PageNo()
	return out.Bytes(), r.info, nil
}

func (r *pdfRenderer) lineH(s style) float64 { return r.g.pt[s] * ptToMM * lineFactor }

// room starts a new page (fixed-height sizes) when h more mm do not fit.
func (r *pdfRenderer) room(h float64) {
	if r.draw && !r.inQR && r.g.height > 0 && r.y+h > r.pageH-r.g.margin && r.y > r.g.margin+1 {
		r.pdf.AddPageFormat("P", gofpdf.SizeType{Wd: r.g.width, Ht: r.pageH})
		r.y = r.g.margin
	}
}

func (r *pdfRenderer) setStyle(s style) {
	r.pdf.SetFont(r.font, "", r.g.pt[s])
	if s == styleSmall {
		r.pdf.SetTextColor(70, 70, 70)
	} else {
		r.pdf.SetTextColor(0, 0, 0)
	}
}

func (r *pdfRenderer) width(rn rune) float64 { return r.pdf.GetStringWidth(string(rn)) }

// lines draws (or measures) wrapped text in the column [x, x+w) from y; it returns the height used.
func (r *pdfRenderer) lines(s style, txt string, x, w, y float64, center bool) float64 {
	r.setStyle(s)
	lh := r.lineH(s)
	ls := wrap(txt, w, r.width)
	if r.draw {
		size := r.g.pt[s] * ptToMM
		for i, l := range ls {
			lx := x
			if center {
				lx = x + (w-r.pdf.GetStringWidth(l))/2
			}
			r.pdf.Text(lx, y+float64(i)*lh+size*0.98, l)
		}
	}
	return float64(len(ls)) * lh
}

func (r *pdfRenderer) block(b block) error {
	x, w := r.x, r.w
	switch b.kind {
	case kindGap:
		r.y += 1.5
	case kindRule:
		r.room(3)
		if r.draw {
			r.pdf.SetLineWidth(0.2)
			r.pdf.SetDrawColor(0, 0, 0)
			r.pdf.SetDashPattern([]float64{0.8, 0.6}, 0)
			r.pdf.Line(x, r.y+1.5, x+w, r.y+1.5)
			r.pdf.SetDashPattern(nil, 0)
		}
		r.y += 3
	case kindText:
		if b.indent {
			x, w = x+4, w-4
		}
		if r.draw {
			save := r.draw
			r.draw = false
			h := r.lines(b.style, b.text, x, w, r.y, b.center)
			r.draw = save
			r.room(h)
		}
		if b.style == styleMark {
			// a framed mark: 补打 with the time
			r.setStyle(b.style)
			h := r.lineH(b.style) + 1.6
			if r.draw {
				r.pdf.SetLineWidth(0.5)
				r.pdf.Rect(x, r.y, w, h, "D")
			}
			r.lines(b.style, b.text, x, w, r.y+0.8, true)
			r.y += h + 1.5
			break
		}
		r.y += r.lines(b.style, b.text, x, w, r.y, b.center)
		if b.style == styleTitle || b.style == styleBig {
			r.y += 0.8
		}
	case kindField:
		lx, lw := x, r.g.labelW
		vx, vw := x+lw+1.5, w-lw-1.5
		save := r.draw
		r.draw = false
		h := r.fieldCols(b, lx, lw, vx, vw)
		r.draw = save
		r.room(h)
		if r.draw {
			r.fieldCols(b, lx, lw, vx, vw)
		}
		r.y += h + 0.6
	case kindQR:
		bm, err := r.qr(b.text) // with the 4-module quiet zone
		if err != nil {
			return err
		}
		n := len(bm)
		inner := float64(n - 8)
		mod := r.g.qrW / float64(n)
		if mod*inner < qrMinMM {
			mod = qrMinMM / inner
		}
		side := mod * float64(n)
		var sideH float64
		if r.g.qrSide && len(b.side) > 0 {
			sideH = r.measure(b.side, x+side+2, w-side-2)
		}
		r.room(max(side, sideH))
		qx := x + (w-side)/2
		if r.g.qrSide && len(b.side) > 0 {
			qx = x
		}
		if r.draw {
			r.info.QR = append(r.info.QR, qrBox{Page: r.pdf.PageNo(), X: qx, Y: r.y, Side: side, InnerMod: mod, Modules: n - 8})
			r.pdf.SetFillColor(0, 0, 0)
			for row := range bm {
				for col := 0; col < n; {
					if !bm[row][col] {
						col++
						continue
					}
					start := col
					for col < n && bm[row][col] {
						col++
					}
					// a hair of overlap so rows do not show seams when rasterised
					r.pdf.Rect(qx+float64(start)*mod, r.y+float64(row)*mod, float64(col-start)*mod, mod+0.02, "F")
				}
			}
		}
		if r.g.qrSide && len(b.side) > 0 {
			top := r.y
			r.y += (side - sideH) / 2
			if err := r.column(b.side, x+side+2, w-side-2); err != nil {
				return err
			}
			r.y = top + max(side, sideH)
			break
		}
		r.y += side
		for _, sb := range b.side {
			if err := r.block(sb); err != nil {
				return err
			}
		}
	}
	return r.pdf.Error()
}

// column draws bs in the column [x, x+w) from the current y without page breaks.
func (r *pdfRenderer) column(bs []block, x, w float64) error {
	sx, sw, sq := r.x, r.w, r.inQR
	r.x, r.w, r.inQR = x, w, true
	defer func() { r.x, r.w, r.inQR = sx, sw, sq }()
	for _, b := range bs {
		if err := r.block(b); err != nil {
			return err
		}
	}
	return nil
}

// measure returns the height bs takes in the column [x, x+w).
func (r *pdfRenderer) measure(bs []block, x, w float64) float64 {
	sy, sd := r.y, r.draw
	r.draw = false
	defer func() { r.y, r.draw = sy, sd }()
	_ = r.column(bs, x, w)
	return r.y - sy
}

// fieldCols draws (or measures) a label/value field and returns its height.
func (r *pdfRenderer) fieldCols(b block, lx, lw, vx, vw float64) float64 {
	var lh float64
	if r.g.inlineLabels && b.labelEN != "" {
		r.setStyle(styleBody)
		zw := r.pdf.GetStringWidth(b.label) + 1.2
		r.setStyle(styleSmall)
		if zw+r.pdf.GetStringWidth(b.labelEN) <= lw {
			lh = r.lines(styleBody, b.label, lx, lw, r.y, false)
			// baseline-aligned with the Chinese label
			dy := (r.g.pt[styleBody] - r.g.pt[styleSmall]) * ptToMM * 0.98
			r.lines(styleSmall, b.labelEN, lx+zw, lw-zw, r.y+dy, false)
		}
	}
	if lh == 0 {
		lh = r.lines(styleBody, b.label, lx, lw, r.y, false)
		if b.labelEN != "" {
			lh += r.lines(styleSmall, b.labelEN, lx, lw, r.y+lh, false)
		}
	}
	vh := 0.0
	for _, v := range b.values {
		vh += r.lines(styleBody, v, vx, vw, r.y+vh, false)
	}
	for _, v := range b.en {
		vh += r.lines(styleSmall, v, vx, vw, r.y+vh, false)
	}
	if vh > lh {
		return vh
	}
	return lh
}

// Package ttfsubset cuts a TrueType (glyf) font down to the glyphs of a set of characters. It exists for
// speed: gofpdf parses the whole font it is given for every document, which for a CJK font of 30,000
// glyphs costs tens of milliseconds; handing it a font of the few dozen glyphs a receipt uses costs almost
// nothing. The font is parsed once (Parse) and cut per document (Subset).
//
// The subset keeps the tables gofpdf and PDF viewers need (head, hhea, maxp, OS/2, name, post as version 3,
// cmap format 4, hmtx, loca, glyf, and the hinting tables cvt, fpgm, prep), renumbers glyphs in character
// order (composite glyphs bring their components), and recomputes every checksum.
package ttfsubset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// ErrFormat is wrapped for fonts this package cannot subset (not TrueType outlines, damaged tables).
var ErrFormat = errors.New("cannot subset font")

var be = binary.BigEndian

// Font is a parsed TrueType font, safe for concurrent Subset calls.
type Font struct {
	tables      map[string][]byte
	cmap        map[rune]uint16
	numGlyphs   int
	numHMetrics int
	longLoca    bool
}

func tag(t uint32) string { return string([]byte{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}) }

// Parse reads a standalone TrueType font. Errors wrap ErrFormat.
func Parse(b []byte) (*Font, error) {
	if len(b) < 12 || (be.Uint32(b) != 0x00010000 && be.Uint32(b) != 0x74727565) {
		return nil, fmt.Errorf("not a TrueType font: %w", ErrFormat)
	}
	n := int(be.Uint16(b[4:]))
	if 12+16*n > len(b) {
		return nil, fmt.Errorf("table directory: %w", ErrFormat)
	}
	f := &Font{tables: make(map[string][]byte, n)}
	for i := 0; i < n; i++ {
		rec := b[12+16*i:]
		off, l := uint64(be.Uint32(rec[8:])), uint64(be.Uint32(rec[12:]))
		if off+l > uint64(len(b)) {
			return nil, fmt.Errorf("table %q out of range: %w", tag(be.Uint32(rec)), ErrFormat)
		}
		f.tables[tag(be.Uint32(rec))] = b[off : off+l]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("no %s table: %w", t, ErrFormat)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, fmt.Errorf("short head/hhea/maxp: %w", ErrFormat)
	}
	f.longLoca = be.Uint16(head[50:]) == 1
	f.numGlyphs = int(be.Uint16(maxp[4:]))
	f.numHMetrics = int(be.Uint16(hhea[34:]))
	if f.numHMetrics == 0 || f.numHMetrics > f.numGlyphs || len(f.tables["hmtx"]) < 4*f.numHMetrics+2*(f.numGlyphs-f.numHMetrics) {
		return nil, fmt.Errorf("hmtx: %w", ErrFormat)
	}
	locaLen := 2 * (f.numGlyphs + 1)
	if f.longLoca {
		locaLen *= 2
	}
	if len(f.tables["loca"]) < locaLen {
		return nil, fmt.Errorf("loca: %w", ErrFormat)
	}
	cm, err := parseCmap(f.tables["cmap"])
	if err != nil {
		return nil, err
	}
	f.cmap = cm
	return f, nil
}

func parseCmap(t []byte) (map[rune]uint16, error) {
	if len(t) < 4 {
		return nil, fmt.Errorf("cmap: %w", ErrFormat)
	}
	n := int(be.Uint16(t[2:]))
	var best []byte
	bestRank := 0
	for i := 0; i < n && 4+8*i+8 <= len(t); i++ {
		pid, eid, off := be.Uint16(t[4+8*i:]), be.Uint16(t[6+8*i:]), be.Uint32(t[8+8*i:])
		if uint64(off)+4 > uint64(len(t)) {
			continue
		}
		sub := t[off:]
		format := be.Uint16(sub)
		rank := 0
		switch {
		case format == 12 && (pid == 3 && eid == 10 || pid == 0):
			rank = 3
		case format == 4 && (pid == 3 && eid == 1 || pid == 0):
			rank = 2
		}
		if rank > bestRank {
			best, bestRank = sub, rank
		}
	}
	m := make(map[rune]uint16)
	switch bestRank {
	case 3:
		if len(best) < 16 {
			return nil, fmt.Errorf("cmap format 12: %w", ErrFormat)
		}
		groups := int(be.Uint32(best[12:]))
		if 16+12*groups > len(best) {
			return nil, fmt.Errorf("cmap format 12 groups: %w", ErrFormat)
		}
		budget := 0x110000 // code points at most: damaged tables cannot make Parse loop for long
		for g := 0; g < groups && budget > 0; g++ {
			p := best[16+12*g:]
			start, end, gid := be.Uint32(p), be.Uint32(p[4:]), be.Uint32(p[8:])
			for c := start; c <= end && c <= 0x10FFFF && budget > 0; c++ {
				budget--
				m[rune(c)] = uint16(gid + c - start)
			}
		}
	case 2:
		if len(best) < 14 {
			return nil, fmt.Errorf("cmap format 4: %w", ErrFormat)
		}
		segX2 := int(be.Uint16(best[6:]))
		if 16+4*segX2 > len(best) {
			return nil, fmt.Errorf("cmap format 4 segments: %w", ErrFormat)
		}
		ends, starts := best[14:], best[16+segX2:]
		deltas, ranges := best[16+2*segX2:], best[16+3*segX2:]
		budget := 0x10000
		for s := 0; s < segX2/2 && budget > 0; s++ {
			end, start := int(be.Uint16(ends[2*s:])), int(be.Uint16(starts[2*s:]))
			budget -= max(0, end-start+1)
			delta, ro := be.Uint16(deltas[2*s:]), int(be.Uint16(ranges[2*s:]))
			for c := start; c <= end && c != 0xFFFF; c++ {
				var gid uint16
				if ro == 0 {
					gid = uint16(c) + delta
				} else {
					p := 16 + 3*segX2 + 2*s + ro + 2*(c-start)
					if p+2 > len(best) {
						continue
					}
					if gid = be.Uint16(best[p:]); gid != 0 {
						gid += delta
					}
				}
				if gid != 0 {
					m[rune(c)] = gid
				}
			}
		}
	default:
		return nil, fmt.Errorf("no Unicode cmap: %w", ErrFormat)
	}
	return m, nil
}

// Has reports whether the font maps r to a glyph.
func (f *Font) Has(r rune) bool { _, ok := f.cmap[r]; return ok }

func (f *Font) glyph(gid int) []byte {
	loca, glyf := f.tables["loca"], f.tables["glyf"]
	var a, b uint32
	if f.longLoca {
		a, b = be.Uint32(loca[4*gid:]), be.Uint32(loca[4*gid+4:])
	} else {
		a, b = 2*uint32(be.Uint16(loca[2*gid:])), 2*uint32(be.Uint16(loca[2*gid+2:]))
	}
	if a >= b || uint64(b) > uint64(len(glyf)) {
		return nil
	}
	return glyf[a:b]
}

func (f *Font) metric(gid int) (adv, lsb uint16) {
	h := f.tables["hmtx"]
	if gid < f.numHMetrics {
		return be.Uint16(h[4*gid:]), be.Uint16(h[4*gid+2:])
	}
	adv = be.Uint16(h[4*(f.numHMetrics-1):])
	return adv, be.Uint16(h[4*f.numHMetrics+2*(gid-f.numHMetrics):])
}

// Composite glyph flags.
const (
	argWords       = 0x0001
	haveScale      = 0x0008
	moreComponents = 0x0020
	xyScale        = 0x0040
	twoByTwo       = 0x0080
)

// components calls fn with the byte offset (within g) of each component glyph index of composite glyph g.
func components(g []byte, fn func(off int)) {
	if len(g) < 10 || int16(be.Uint16(g)) >= 0 {
		return
	}
	p := 10
	for p+4 <= len(g) {
		flags := be.Uint16(g[p:])
		fn(p + 2)
		p += 4
		if flags&argWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&xyScale != 0:
			p += 4
		case flags&twoByTwo != 0:
			p += 8
		}
		if flags&moreComponents == 0 {
			return
		}
	}
}

// Subset returns a standalone TrueType font with glyph 0 and the glyphs of runes (characters the font
// lacks are left out; gofpdf then shows .notdef). Only BMP characters are mapped (cmap format 4).
func (f *Font) Subset(runes []rune) ([]byte, error) {
	rs := make([]rune, 0, len(runes))
	seen := make(map[rune]bool, len(runes))
	for _, r := range runes {
		if r > 0 && r < 0xFFFF && !seen[r] && f.Has(r) {
			seen[r] = true
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })

	// New glyph order: .notdef, then the characters' glyphs in character order, then composite parts.
	newID := map[int]int{0: 0}
	order := []int{0}
	add := func(gid int) {
		if _, ok := newID[gid]; !ok && gid < f.numGlyphs {
			newID[gid] = len(order)
			order = append(order, gid)
		}
	}
	for _, r := range rs {
		add(int(f.cmap[r]))
	}
	for i := 0; i < len(order); i++ { // order grows as components are found
		components(f.glyph(order[i]), func(off int) { add(int(be.Uint16(f.glyph(order[i])[off:]))) })
	}
	if len(order) > 0xFFFF {
		return nil, fmt.Errorf("too many glyphs: %w", ErrFormat)
	}

	// glyf, loca (long), hmtx
	var glyf []byte
	loca := make([]byte, 4*(len(order)+1))
	hmtx := make([]byte, 4*len(order))
	for i, old := range order {
		be.PutUint32(loca[4*i:], uint32(len(glyf)))
		g := f.glyph(old)
		start := len(glyf)
		glyf = append(glyf, g...)
		components(g, func(off int) {
			c := int(be.Uint16(g[off:]))
			nid, ok := newID[c]
			if !ok {
				nid = 0
			}
			be.PutUint16(glyf[start+off:], uint16(nid))
		})
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		adv, lsb := f.metric(old)
		be.PutUint16(hmtx[4*i:], adv)
		be.PutUint16(hmtx[4*i+2:], lsb)
	}
	be.PutUint32(loca[4*len(order):], uint32(len(glyf)))

	head := append([]byte(nil), f.tables["head"]...)
	be.PutUint16(head[50:], 1) // long loca
	hhea := append([]byte(nil), f.tables["hhea"]...)
	be.PutUint16(hhea[34:], uint16(len(order)))
	maxp := append([]byte(nil), f.tables["maxp"]...)
	be.PutUint16(maxp[4:], uint16(len(order)))

	gids := make([]uint16, len(rs))
	for i, r := range rs {
		gids[i] = uint16(newID[int(f.cmap[r])])
	}
	out := map[string][]byte{
		"head": head, "hhea": hhea, "maxp": maxp, "hmtx": hmtx, "loca": loca, "glyf": glyf,
		"cmap": cmap4(rs, gids), "post": post3(f.tables["post"]),
	}
	for _, t := range []string{"OS/2", "name", "cvt ", "fpgm", "prep", "gasp"} {
		if b := f.tables[t]; b != nil {
			out[t] = b
		}
	}
	return assemble(out), nil
}

// post3 keeps the header of the post table as version 3.0 (no glyph names).
func post3(p []byte) []byte {
	out := make([]byte, 32)
	copy(out, p)
	be.PutUint32(out, 0x00030000)
	return out
}

// cmap4 builds a cmap table with one (3,1) format 4 subtable mapping rs (sorted, BMP) to gids.
func cmap4(rs []rune, gids []uint16) []byte {
	type seg struct{ start, end, delta uint16 }
	var segs []seg
	for i, r := range rs {
		d := gids[i] - uint16(r)
		if n := len(segs); n > 0 && segs[n-1].end+1 == uint16(r) && segs[n-1].delta == d {
			segs[n-1].end = uint16(r)
			continue
		}
		segs = append(segs, seg{uint16(r), uint16(r), d})
	}
	segs = append(segs, seg{0xFFFF, 0xFFFF, 1})
	n := len(segs)
	sub := make([]byte, 16+8*n)
	be.PutUint16(sub, 4)
	be.PutUint16(sub[2:], uint16(len(sub)))
	be.PutUint16(sub[6:], uint16(2*n))
	es := 0
	for 1<<(es+1) <= n {
		es++
	}
	be.PutUint16(sub[8:], uint16(2<<es))
	be.PutUint16(sub[10:], uint16(es))
	be.PutUint16(sub[12:], uint16(2*n-(2<<es)))
	for i, s := range segs {
		be.PutUint16(sub[14+2*i:], s.end)
		be.PutUint16(sub[16+2*n+2*i:], s.start)
		be.PutUint16(sub[16+4*n+2*i:], s.delta)
		// idRangeOffset stays 0
	}
	out := make([]byte, 12, 12+len(sub))
	be.PutUint16(out[2:], 1)
	be.PutUint16(out[4:], 3)
	be.PutUint16(out[6:], 1)
	be.PutUint32(out[8:], 12)
	return append(out, sub...)
}

// assemble writes a TrueType file of tables with a sorted directory, 4-byte aligned tables, checksums and
// head.checkSumAdjustment.
func assemble(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	size := 12 + 16*n
	for _, t := range tags {
		size += (len(tables[t]) + 3) &^ 3
	}
	out := make([]byte, size)
	be.PutUint32(out, 0x00010000)
	be.PutUint16(out[4:], uint16(n))
	es := 0
	for 1<<(es+1) <= n {
		es++
	}
	be.PutUint16(out[6:], uint16(16<<es))
	be.PutUint16(out[8:], uint16(es))
	be.PutUint16(out[10:], uint16(16*n-(16<<es)))
	off, headOff := 12+16*n, 0
	for i, t := range tags {
		d := tables[t]
		copy(out[off:], d)
		if t == "head" {
			headOff = off
			be.PutUint32(out[off+8:], 0)
		}
		l := (len(d) + 3) &^ 3
		rec := out[12+16*i:]
		copy(rec, t)
		be.PutUint32(rec[4:], checksum(out[off:off+l]))
		be.PutUint32(rec[8:], uint32(off))
		be.PutUint32(rec[12:], uint32(len(d)))
		off += l
	}
	be.PutUint32(out[headOff+8:], 0xB1B0AFBA-checksum(out))
	return out
}

func checksum(b []byte) uint32 {
	var s uint32
	for i := 0; i+4 <= len(b); i += 4 {
		s += be.Uint32(b[i:])
	}
	return s
}

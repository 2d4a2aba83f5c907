// Package resources holds Huren's run-time assets. The Chinese font is not committed: it is read at run time
// from the Debian package fonts-wqy-microhei and, when it comes as a TrueType collection (.ttc), its first
// face is extracted into a standalone TrueType file that gofpdf and Fyne accept.
package resources

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
)

// DefaultFontPath is where Debian's fonts-wqy-microhei installs WenQuanYi Micro Hei.
const DefaultFontPath = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

// FontPackage is the Debian package that provides the default font.
const FontPackage = "fonts-wqy-microhei"

// ErrFontMissing is wrapped when the Chinese font file does not exist.
var ErrFontMissing = errors.New("chinese font missing (install the Debian package " + FontPackage + ")")

// ErrFontFormat is wrapped when the font file is neither a TrueType collection nor a TrueType/OpenType font.
var ErrFontFormat = errors.New("unsupported font file")

var font struct {
	mu   sync.Mutex
	path string
	data []byte
}

// SetFontPath overrides the path of the Chinese font (a .ttc collection, whose face 0 is used, or a plain
// .ttf/.otf file) and drops the cached font. An empty path restores DefaultFontPath.
func SetFontPath(path string) {
	font.mu.Lock()
	defer font.mu.Unlock()
	font.path = path
	font.data = nil
}

// FontPath returns the path ChineseFont reads.
func FontPath() string {
	font.mu.Lock()
	defer font.mu.Unlock()
	if font.path == "" {
		return DefaultFontPath
	}
	return font.path
}

// ChineseFont returns face 0 of the Chinese font as a standalone TrueType file. The result is cached and
// shared: callers must not modify it. Errors wrap ErrFontMissing (the file does not exist; the message names
// the Debian package fonts-wqy-microhei) or ErrFontFormat (the file is not a usable font), or are I/O errors.
func ChineseFont() ([]byte, error) {
	font.mu.Lock()
	defer font.mu.Unlock()
	if font.data != nil {
		return font.data, nil
	}
	path := font.path
	if path == "" {
		path = DefaultFontPath
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read font %s: %w", path, ErrFontMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("read font: %w", err)
	}
	out, err := ExtractFace(raw, 0)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", path, err)
	}
	font.data = out
	return out, nil
}

// sfnt versions accepted as a single font: TrueType (0x00010000, 'true') and CFF OpenType ('OTTO').
func isSFNT(v uint32) bool { return v == 0x00010000 || v == 0x74727565 || v == 0x4F54544F }

const ttcTag = 0x74746366 // 'ttcf'

// ExtractFace returns face index of the TrueType collection b as a standalone font file: the table
// directory is rebuilt with new offsets, every table is 4-byte aligned and padded with zeros, each table's
// checksum is recomputed, and head.checkSumAdjustment is set for the whole file. A plain TrueType/OpenType
// file is accepted for index 0 and rebuilt the same way. Errors wrap ErrFontFormat.
func ExtractFace(b []byte, index int) ([]byte, error) {
	if len(b) < 12 {
		return nil, fmt.Errorf("file too short: %w", ErrFontFormat)
	}
	be := binary.BigEndian
	var dir uint32
	switch tag := be.Uint32(b); {
	case tag == ttcTag:
		n := be.Uint32(b[8:])
		if index < 0 || uint64(index) >= uint64(n) || 12+4*uint64(n) > uint64(len(b)) {
			return nil, fmt.Errorf("collection has %d faces, want face %d: %w", n, index, ErrFontFormat)
		}
		dir = be.Uint32(b[12+4*index:])
	case isSFNT(tag):
		if index != 0 {
			return nil, fmt.Errorf("single font has no face %d: %w", index, ErrFontFormat)
		}
	default:
		return nil, fmt.Errorf("unknown signature %#08x: %w", tag, ErrFontFormat)
	}
	if uint64(dir)+12 > uint64(len(b)) {
		return nil, fmt.Errorf("table directory out of range: %w", ErrFontFormat)
	}
	version := be.Uint32(b[dir:])
	if !isSFNT(version) {
		return nil, fmt.Errorf("face %d: unknown sfnt version %#08x: %w", index, version, ErrFontFormat)
	}
	numTables := int(be.Uint16(b[dir+4:]))
	if numTables == 0 || uint64(dir)+12+16*uint64(numTables) > uint64(len(b)) {
		return nil, fmt.Errorf("face %d: bad table count %d: %w", index, numTables, ErrFontFormat)
	}
	type table struct {
		tag  uint32
		data []byte
	}
	tables := make([]table, 0, numTables)
	seen := make(map[uint32]bool, numTables)
	for i := 0; i < numTables; i++ {
		rec := b[int(dir)+12+16*i:]
		tag, off, length := be.Uint32(rec), be.Uint32(rec[8:]), be.Uint32(rec[12:])
		if uint64(off)+uint64(length) > uint64(len(b)) {
			return nil, fmt.Errorf("table %q out of range: %w", tagString(tag), ErrFontFormat)
		}
		if seen[tag] {
			return nil, fmt.Errorf("table %q twice: %w", tagString(tag), ErrFontFormat)
		}
		seen[tag] = true
		tables = append(tables, table{tag, b[off : off+length]})
	}
	// The directory must be sorted by tag.
	sort.Slice(tables, func(i, j int) bool { return tables[i].tag < tables[j].tag })

	size := 12 + 16*numTables
	for _, t := range tables {
		size += pad4(len(t.data))
	}
	out := make([]byte, size)
	be.PutUint32(out, version)
	be.PutUint16(out[4:], uint16(numTables))
	entrySelector := 0
	for 1<<(entrySelector+1) <= numTables {
		entrySelector++
	}
	searchRange := (1 << entrySelector) * 16
	be.PutUint16(out[6:], uint16(searchRange))
	be.PutUint16(out[8:], uint16(entrySelector))
	be.PutUint16(out[10:], uint16(numTables*16-searchRange))

	const headTag = 0x68656164 // 'head'
	headOff := -1
	off := 12 + 16*numTables
	for i, t := range tables {
		copy(out[off:], t.data)
		if t.tag == headTag {
			if len(t.data) < 12 {
				return nil, fmt.Errorf("head table too short: %w", ErrFontFormat)
			}
			headOff = off
			be.PutUint32(out[off+8:], 0) // checkSumAdjustment is zero while checksums are computed
		}
		rec := out[12+16*i:]
		be.PutUint32(rec, t.tag)
		be.PutUint32(rec[4:], checksum(out[off:off+pad4(len(t.data))]))
		be.PutUint32(rec[8:], uint32(off))
		be.PutUint32(rec[12:], uint32(len(t.data)))
		off += pad4(len(t.data))
	}
	if headOff < 0 {
		return nil, fmt.Errorf("no head table: %w", ErrFontFormat)
	}
	be.PutUint32(out[headOff+8:], 0xB1B0AFBA-checksum(out))
	return out, nil
}

// checksum is the OpenType table checksum: the sum of big-endian uint32 words (b is zero-padded to 4 bytes).
func checksum(b []byte) uint32 {
	var sum uint32
	n := len(b) &^ 3
	for i := 0; i < n; i += 4 {
		sum += binary.BigEndian.Uint32(b[i:])
	}
	if n < len(b) {
		var last [4]byte
		copy(last[:], b[n:])
		sum += binary.BigEndian.Uint32(last[:])
	}
	return sum
}

func pad4(n int) int { return (n + 3) &^ 3 }

func tagString(t uint32) string {
	return string([]byte{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)})
}

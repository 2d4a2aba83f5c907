package capture

import "encoding/binary"

// Orientation values of EXIF tag 0x0112 (TIFF/EP). 1 is upright; 2–8 say how the stored pixels must be
// mirrored and/or rotated to be shown upright.
const (
	OrientNormal     = 1 // stored upright
	OrientFlipH      = 2 // mirrored left-right
	OrientRotate180  = 3
	OrientFlipV      = 4 // mirrored top-bottom
	OrientTranspose  = 5 // mirrored along the top-left/bottom-right diagonal
	OrientRotate90   = 6 // must be turned 90° clockwise to be upright
	OrientTransverse = 7 // mirrored along the other diagonal
	OrientRotate270  = 8 // must be turned 90° anticlockwise to be upright
)

const tagOrientation = 0x0112

// JPEGOrientation returns the EXIF orientation (1–8) of a JPEG file: it walks the marker segments up to the
// first scan, finds the APP1 "Exif" segment and reads tag 0x0112 from the TIFF IFD0. Anything missing,
// malformed or out of range gives 1 (upright): a broken EXIF block must never make a page unusable.
func JPEGOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return OrientNormal
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return OrientNormal
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 { // no length
			i += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan / end of image: no EXIF after this
			return OrientNormal
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return OrientNormal
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return OrientNormal
}

// PNGOrientation returns the orientation from a PNG's eXIf chunk (which holds TIFF data directly), or 1.
func PNGOrientation(b []byte) int {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(b) < len(sig) || string(b[:len(sig)]) != sig {
		return OrientNormal
	}
	i := len(sig)
	for i+8 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || n > len(b)-i-12 {
			return OrientNormal
		}
		switch typ {
		case "eXIf":
			if o := tiffOrientation(b[i+8 : i+8+n]); o != 0 {
				return o
			}
			return OrientNormal
		case "IDAT", "IEND":
			return OrientNormal
		}
		i += 12 + n
	}
	return OrientNormal
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF block; 0 when absent or invalid.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := bo.Uint32(t[4:])
	if off < 8 || uint64(off)+2 > uint64(len(t)) {
		return 0
	}
	p := int(off)
	count := int(bo.Uint16(t[p:]))
	p += 2
	for k := 0; k < count; k++ {
		e := p + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) != tagOrientation {
			continue
		}
		typ, cnt := bo.Uint16(t[e+2:]), bo.Uint32(t[e+4:])
		var v int
		switch {
		case typ == 3 && cnt >= 1: // SHORT, stored left-justified in the value field
			v = int(bo.Uint16(t[e+8:]))
		case typ == 4 && cnt >= 1: // LONG (seen in the wild)
			v = int(bo.Uint32(t[e+8:]))
		default:
			return 0
		}
		if v < 1 || v > 8 {
			return 0
		}
		return v
	}
	return 0
}

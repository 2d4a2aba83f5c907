package capture

import (
	"bytes"
	"fmt"
)

// CheckPDF accepts a PDF material: at most MaxBytes, starting with "%PDF-", and at most MaxPDFPages pages.
// Pages are counted as "/Type /Page" dictionary entries (not "/Pages", the page-tree nodes), which holds for
// uncompressed object streams, which is what scanner software writes. Errors are *kiosk.UserError wrapping
// ErrTooBig, ErrBadPDF or ErrPDFPages.
func CheckPDF(data []byte) error {
	if len(data) > MaxBytes {
		return userErr("PDF文件过大（超过2MB），请分开扫描或降低分辨率", "The PDF is larger than 2 MB; please scan fewer pages or a lower resolution",
			fmt.Errorf("%w: pdf %d bytes", ErrTooBig, len(data)))
	}
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return userErr("文件不是有效的PDF", "The file is not a valid PDF", fmt.Errorf("%w: no %%PDF- header", ErrBadPDF))
	}
	n := CountPDFPages(data)
	if n == 0 {
		return userErr("文件不是有效的PDF", "The file is not a valid PDF", fmt.Errorf("%w: no pages", ErrBadPDF))
	}
	if n > MaxPDFPages {
		return userErr("PDF页数过多（最多10页），请分开提交", "The PDF has more than 10 pages; please split it",
			fmt.Errorf("%w: %d pages", ErrPDFPages, n))
	}
	return nil
}

// CountPDFPages counts "/Type /Page" entries (any whitespace, or none, between the two names) that are not
// "/Type /Pages". It does not parse compressed object streams.
func CountPDFPages(data []byte) int {
	n := 0
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("/Type"))
		if j < 0 {
			return n
		}
		k := i + j + len("/Type")
		for k < len(data) && isPDFSpace(data[k]) {
			k++
		}
		if bytes.HasPrefix(data[k:], []byte("/Page")) {
			e := k + len("/Page")
			if e >= len(data) || !isPDFNameChar(data[e]) {
				n++
			}
		}
		i = k
	}
}

func isPDFSpace(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
}

// isPDFNameChar reports whether c continues a PDF name (anything but whitespace and delimiters).
func isPDFNameChar(c byte) bool {
	if isPDFSpace(c) {
		return false
	}
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return false
	}
	return true
}

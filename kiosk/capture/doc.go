// Package capture turns pages from the document camera (高拍仪), a scanner hot folder or the demo camera into
// clean, small, legible materials, and warns when a page is blurred, too dark or bright, blank or too small.
//
// The pipeline (Normalize) sniffs the content, refuses what is not a JPEG, PNG or PDF, reads the dimensions
// before decoding (refusing decompression bombs over 50 megapixels), applies the EXIF orientation, scales the
// long side down to at most 2480 px (A4 at 300 dpi) and encodes a JPEG of at most 2 MiB. PDFs pass unchanged
// when they are small, look like PDFs and have at most 10 pages. The quality gate (Check) runs on a small
// greyscale copy; see gate.go and docs/CAPTURE.md for the thresholds and how they were calibrated.
//
// Cameras: DemoCamera (generated A4 pages with faults on demand), HotFolder (files dropped by scanner software)
// and V4L2Camera (UVC document cameras on Linux). All implement kiosk.Camera.
package capture

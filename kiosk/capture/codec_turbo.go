//go:build cgo && !purego

package capture

/*
#cgo LDFLAGS: -ljpeg
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

// An error manager that longjmps instead of exit()ing, and turns warnings about corrupt data into errors
// (libjpeg otherwise fills a truncated image with grey and reports success).
struct hj_err {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	int corrupt;
	char msg[JMSG_LENGTH_MAX];
};

static void hj_error_exit(j_common_ptr c) {
	struct hj_err *e = (struct hj_err *)c->err;
	(*c->err->format_message)(c, e->msg);
	longjmp(e->jb, 1);
}

static void hj_emit(j_common_ptr c, int level) {
	struct hj_err *e = (struct hj_err *)c->err;
	if (level < 0 && c->err->msg_code != JWRN_EXTRANEOUS_DATA && !e->corrupt) {
		e->corrupt = 1;
		(*c->err->format_message)(c, e->msg);
	}
}

// hj_dims reads the header and reports the output size for the scale num/8; *gray is set for
// 1-component images and *unsupported for CMYK/YCCK. Returns 0 or -1 (msg set).
static int hj_dims(const unsigned char *data, unsigned long n, int num, int *w, int *h, int *fullw, int *fullh,
		int *unsupported, char *msg) {
	struct jpeg_decompress_struct ci;
	struct hj_err je;
	ci.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = hj_error_exit;
	je.pub.emit_message = hj_emit;
	je.corrupt = 0;
	if (setjmp(je.jb)) {
		strncpy(msg, je.msg, JMSG_LENGTH_MAX);
		jpeg_destroy_decompress(&ci);
		return -1;
	}
	jpeg_create_decompress(&ci);
	jpeg_mem_src(&ci, (unsigned char *)data, n);
	jpeg_read_header(&ci, TRUE);
	*fullw = ci.image_width;
	*fullh = ci.image_height;
	*unsupported = (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK);
	ci.scale_num = num;
	ci.scale_denom = 8;
	ci.out_color_space = JCS_EXT_RGBA;
	jpeg_calc_output_dimensions(&ci);
	*w = ci.output_width;
	*h = ci.output_height;
	jpeg_destroy_decompress(&ci);
	return 0;
}

// hj_decode decodes at scale num/8 into buf (RGBA, stride bytes per row), which must be w×h.
static int hj_decode(const unsigned char *data, unsigned long n, int num, unsigned char *buf, int w, int h,
		int stride, char *msg) {
	struct jpeg_decompress_struct ci;
	struct hj_err je;
	ci.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = hj_error_exit;
	je.pub.emit_message = hj_emit;
	je.corrupt = 0;
	if (setjmp(je.jb)) {
		strncpy(msg, je.msg, JMSG_LENGTH_MAX);
		jpeg_destroy_decompress(&ci);
		return -1;
	}
	jpeg_create_decompress(&ci);
	jpeg_mem_src(&ci, (unsigned char *)data, n);
	jpeg_read_header(&ci, TRUE);
	ci.scale_num = num;
	ci.scale_denom = 8;
	ci.out_color_space = JCS_EXT_RGBA;
	ci.dct_method = JDCT_ISLOW;
	jpeg_start_decompress(&ci);
	if ((int)ci.output_width != w || (int)ci.output_height != h || ci.output_components != 4) {
		snprintf(msg, JMSG_LENGTH_MAX, "unexpected output %ux%u", ci.output_width, ci.output_height);
		jpeg_destroy_decompress(&ci);
		return -1;
	}
	while (ci.output_scanline < ci.output_height) {
		JSAMPROW rows[8];
		int k;
		for (k = 0; k < 8; k++) {
			unsigned int y = ci.output_scanline + k;
			rows[k] = buf + (size_t)(y < ci.output_height ? y : ci.output_height - 1) * stride;
		}
		jpeg_read_scanlines(&ci, rows, 8);
		if (je.corrupt) {
			break;
		}
	}
	if (je.corrupt) {
		strncpy(msg, je.msg, JMSG_LENGTH_MAX);
		jpeg_destroy_decompress(&ci);
		return -1;
	}
	jpeg_finish_decompress(&ci);
	jpeg_destroy_decompress(&ci);
	if (je.corrupt) {
		strncpy(msg, je.msg, JMSG_LENGTH_MAX);
		return -1;
	}
	return 0;
}

// hj_encode encodes RGBA pixels; *out is malloc'd by libjpeg (free with free()).
static int hj_encode(const unsigned char *pix, int w, int h, int stride, int quality, unsigned char **out,
		unsigned long *outlen, char *msg) {
	struct jpeg_compress_struct ci;
	struct hj_err je;
	ci.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = hj_error_exit;
	je.pub.emit_message = hj_emit;
	je.corrupt = 0;
	*out = NULL;
	*outlen = 0;
	if (setjmp(je.jb)) {
		strncpy(msg, je.msg, JMSG_LENGTH_MAX);
		jpeg_destroy_compress(&ci);
		if (*out) { free(*out); *out = NULL; }
		return -1;
	}
	jpeg_create_compress(&ci);
	jpeg_mem_dest(&ci, out, outlen);
	ci.image_width = w;
	ci.image_height = h;
	ci.input_components = 4;
	ci.in_color_space = JCS_EXT_RGBA;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, quality, TRUE);
	ci.dct_method = JDCT_ISLOW;
	jpeg_start_compress(&ci, TRUE);
	while (ci.next_scanline < ci.image_height) {
		JSAMPROW row = (JSAMPROW)(pix + (size_t)ci.next_scanline * stride);
		jpeg_write_scanlines(&ci, &row, 1);
	}
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

func init() {
	decodeJPEG = decodeJPEGTurbo
	encodeJPEG = encodeJPEGTurbo
	codecName = "libjpeg-turbo"
}

// decodeJPEGTurbo decodes with libjpeg-turbo, using its DCT scaling (M/8, M = 1…8) to decode at the smallest
// size whose long side is still ≥ minLong. CMYK/YCCK files go to the Go decoder.
func decodeJPEGTurbo(data []byte, minLong int) (image.Image, error) {
	if len(data) == 0 {
		return nil, errors.New("decode jpeg: empty")
	}
	var msg [C.JMSG_LENGTH_MAX]C.char
	p := (*C.uchar)(unsafe.Pointer(&data[0]))
	n := C.ulong(len(data))
	var w, h, fw, fh, unsup C.int
	if C.hj_dims(p, n, 8, &w, &h, &fw, &fh, &unsup, &msg[0]) != 0 {
		return nil, fmt.Errorf("decode jpeg: %s", C.GoString(&msg[0]))
	}
	if unsup != 0 {
		return decodeJPEGGo(data, minLong)
	}
	num := scaleNum(int(fw), int(fh), minLong)
	if num != 8 && C.hj_dims(p, n, C.int(num), &w, &h, &fw, &fh, &unsup, &msg[0]) != 0 {
		return nil, fmt.Errorf("decode jpeg: %s", C.GoString(&msg[0]))
	}
	if w <= 0 || h <= 0 || int64(w)*int64(h) > MaxPixels {
		return nil, fmt.Errorf("decode jpeg: output %dx%d", w, h)
	}
	img := image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
	if C.hj_decode(p, n, C.int(num), (*C.uchar)(unsafe.Pointer(&img.Pix[0])), w, h, C.int(img.Stride), &msg[0]) != 0 {
		return nil, fmt.Errorf("decode jpeg: %s", C.GoString(&msg[0]))
	}
	return img, nil
}

// scaleNum returns the smallest M (1–8) with the long side × M/8 ≥ minLong (8 when the image is smaller).
func scaleNum(w, h, minLong int) int {
	long := max(w, h)
	for m := 1; m < 8; m++ {
		// libjpeg rounds the output size up: ceil(long*m/8).
		if (long*m+7)/8 >= minLong {
			return m
		}
	}
	return 8
}

func encodeJPEGTurbo(img *image.RGBA, q int) ([]byte, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, errors.New("encode jpeg: empty image")
	}
	var msg [C.JMSG_LENGTH_MAX]C.char
	var out *C.uchar
	var outLen C.ulong
	pix := img.Pix[img.PixOffset(b.Min.X, b.Min.Y):]
	if C.hj_encode((*C.uchar)(unsafe.Pointer(&pix[0])), C.int(b.Dx()), C.int(b.Dy()), C.int(img.Stride), C.int(q), &out, &outLen, &msg[0]) != 0 {
		return nil, fmt.Errorf("encode jpeg: %s", C.GoString(&msg[0]))
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(outLen)), nil
}

// Package printing lays out Huren's printed documents — the receipt (受理回执), the refusal notice
// (不予受理告知书) and a test page — and prints them: as PDF (gofpdf, 80 mm roll or A6) for CUPS printers and
// the demo folder, or as ESC/POS (package printing/escpos) for thermal printers on a device file or TCP 9100.
//
// Documents are data (kiosk.Document); this package turns them into a small list of layout blocks that each
// backend renders, so the PDF and the thermal print carry the same content. Every backend implements
// kiosk.Printer: Print checks the printer first and fails with an error wrapping kiosk.ErrPaperOut,
// kiosk.ErrPrinterOffline, kiosk.ErrCoverOpen or kiosk.ErrPrinterFault without printing anything.
package printing

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"huren/kiosk"
	"huren/kiosk/idcard"
)

// ErrNoDocument is returned when a kiosk.Document has no content set.
var ErrNoDocument = errors.New("empty document")

// style is the typographic role of a text block.
type style int

const (
	styleBody    style = iota // ordinary text
	styleSmall                // English second lines, footers
	styleTitle                // document title
	styleBig                  // the receipt number
	styleMark                 // 补打 mark: bold, framed
	styleHeading              // section heading
)

type kind int

const (
	kindText  kind = iota
	kindField      // label column + value column
	kindQR
	kindRule
	kindGap
)

// block is one element of a laid-out document.
type block struct {
	kind    kind
	style   style
	center  bool
	indent  bool     // kindText: indented (remedies under their reason)
	text    string   // kindText; kindQR: the content
	label   string   // kindField: Chinese label
	labelEN string   // kindField: English label (smaller, under the Chinese one where space allows)
	values  []string // kindField: value lines (Chinese first)
	en      []string // kindField: English value lines (smaller)
	side    []block  // kindQR: text that goes beside the code where the paper is wide enough, else under it
}

func text(s style, center bool, t string) block {
	return block{kind: kindText, style: s, center: center, text: t}
}

func field(label, labelEN string, values []string, en ...string) block {
	return block{kind: kindField, label: label, labelEN: labelEN, values: values, en: en}
}

var (
	rule = block{kind: kindRule}
	gap  = block{kind: kindGap}
)

const timeFormat = "2006-01-02 15:04"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(kiosk.Shanghai).Format(timeFormat)
}

// maskNumber masks an ID number unless it is masked already: a full number must never be printed.
func maskNumber(s string) string {
	if strings.Contains(s, "*") {
		return s
	}
	return idcard.MaskNumber(s)
}

// maskName masks a name unless it is masked already.
func maskName(s string) string {
	if strings.Contains(s, "*") || len([]rune(s)) <= 1 {
		return s
	}
	return idcard.MaskName(s)
}

func kioskLabel(n int) string {
	if n <= 0 {
		return "—"
	}
	return fmt.Sprintf("%03d", n)
}

// phoneLine tells the applicant how to check the status by phone.
func phoneLine(hotline string) (zh, en string) {
	if hotline == "" {
		return "也可携带本回执到服务窗口查询办理进度。", "You can also ask at the service counter with this receipt."
	}
	return "电话查询：拨打 " + hotline + "，报回执编号即可查询办理进度。",
		"By phone: call " + hotline + " and give the receipt number to hear the status."
}

// receiptBlocks lays out a receipt.
func receiptBlocks(d kiosk.ReceiptDoc) []block {
	var bs []block
	if !d.Reprint.IsZero() {
		bs = append(bs, text(styleMark, true, "补打 REPRINT  "+fmtTime(d.Reprint)))
	}
	bs = append(bs,
		text(styleTitle, true, "居住证互认转换受理回执"),
		text(styleSmall, true, "Receipt: Zhejiang residence permit mutual recognition"),
		rule,
		text(styleBody, true, "回执编号 Receipt No."),
		text(styleBig, true, d.Receipt.String()),
		rule,
		field("姓名", "Name", []string{maskName(d.MaskedName)}),
		field("身份证号", "ID No.", []string{maskNumber(d.MaskedNumber)}),
		field("办理类型", "Route", []string{d.Route.Label()}, d.Route.LabelEN()),
		field("申请条件", "Condition", []string{d.Condition.Label()}, d.Condition.LabelEN()),
	)
	mats := d.Materials
	if len(mats) == 0 {
		mats = []string{"—"}
	}
	bs = append(bs,
		field("已收材料", "Materials", mats),
		field("受理时间", "Accepted", []string{fmtTime(d.AcceptedAt)}),
		field("审核期限", "Review by", []string{fmtTime(d.DueAt) + " 前"}, "within 2 working days of acceptance"),
		rule,
	)
	zh, en := phoneLine(d.Hotline)
	side := []block{
		text(styleBody, true, "扫码查询办理进度"),
		text(styleSmall, true, "Scan the code to check the status"),
		gap, text(styleBody, false, zh), text(styleSmall, false, en),
	}
	if d.Hotline != "" {
		side = append(side, gap, text(styleBody, false, "服务热线 "+d.Hotline), text(styleSmall, false, "Hotline"))
	}
	side = append(side, text(styleBody, false, "自助终端 "+kioskLabel(d.KioskNo)), text(styleSmall, false, "Kiosk"))
	if d.StatusURL != "" {
		bs = append(bs, block{kind: kindQR, text: d.StatusURL, side: side})
	} else {
		bs = append(bs, side[3:]...)
	}
	bs = append(bs,
		rule,
		text(styleSmall, true, "办结后将免费短信通知您。请妥善保管本回执。"),
		text(styleSmall, true, "You will get a free SMS when it is done. Please keep this receipt."),
	)
	return bs
}

// refusalBlocks lays out a refusal notice: every reason with its remedy.
func refusalBlocks(d kiosk.RefusalDoc) []block {
	bs := []block{
		text(styleTitle, true, "不予受理告知书"),
		text(styleSmall, true, "Notice: application not accepted"),
		rule,
		field("姓名", "Name", []string{maskName(d.MaskedName)}),
		field("身份证号", "ID No.", []string{maskNumber(d.MaskedNumber)}),
	}
	if d.Route != "" {
		bs = append(bs, field("办理类型", "Route", []string{d.Route.Label()}, d.Route.LabelEN()))
	}
	if d.Condition != "" {
		bs = append(bs, field("申请条件", "Condition", []string{d.Condition.Label()}, d.Condition.LabelEN()))
	}
	bs = append(bs,
		field("告知时间", "Date", []string{fmtTime(d.At)}),
		rule,
		text(styleBody, false, fmt.Sprintf("经核查，您的申请暂不符合受理条件。现将全部原因（共 %d 项）一次性告知如下：", len(d.Reasons))),
		text(styleSmall, false, "Your application cannot be accepted yet. All reasons are listed below."),
	)
	for i, r := range d.Reasons {
		msg := r.Message
		if msg == "" {
			msg = r.Code
		}
		bs = append(bs, gap, text(styleHeading, false, fmt.Sprintf("%d. %s", i+1, msg)))
		if r.Remedy != "" {
			rb := text(styleBody, false, "办理建议："+r.Remedy)
			rb.indent = true
			bs = append(bs, rb)
		}
	}
	if len(d.Reasons) == 0 {
		bs = append(bs, text(styleBody, false, "（未列出原因，请咨询工作人员。）"))
	}
	bs = append(bs, gap, rule,
		text(styleBody, false, "请按上述建议准备材料后再次申请。"),
		text(styleSmall, false, "Please prepare what is listed above and apply again."))
	if d.Hotline != "" {
		bs = append(bs, field("服务热线", "Hotline", []string{d.Hotline}))
	}
	bs = append(bs, field("自助终端", "Kiosk", []string{kioskLabel(d.KioskNo)}))
	return bs
}

// TestPageURL is what the test page's QR code holds.
const TestPageURL = "https://huren.invalid/test-page"

// testPageBlocks lays out a test page for staff.
func testPageBlocks(now time.Time) []block {
	return []block{
		text(styleTitle, true, "打印测试页"),
		text(styleSmall, true, "Printer test page"),
		rule,
		field("打印时间", "Printed", []string{fmtTime(now)}),
		text(styleBig, true, "331122-000-000000-0000"),
		text(styleBody, false, "中文：居住证互认转换 缙云县 浙江省 受理回执 补打"),
		text(styleBody, false, "English: ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789"),
		text(styleSmall, false, "small: abcdefghijklmnopqrstuvwxyz !@#$%&*()-+=/"),
		block{kind: kindQR, text: TestPageURL, side: []block{
			text(styleBody, true, "二维码应可扫描"), text(styleSmall, true, "The QR code should scan"),
		}},
		rule,
	}
}

// blocksFor lays out doc; now stamps the test page.
func blocksFor(doc kiosk.Document, now time.Time) ([]block, error) {
	switch {
	case doc.Receipt != nil:
		return receiptBlocks(*doc.Receipt), nil
	case doc.Refusal != nil:
		return refusalBlocks(*doc.Refusal), nil
	case doc.TestPage:
		return testPageBlocks(now), nil
	}
	return nil, ErrNoDocument
}

// docName names a document for files and job titles (no personal data).
func docName(doc kiosk.Document, now time.Time) string {
	switch {
	case doc.Receipt != nil:
		n := "receipt-" + doc.Receipt.Receipt.String()
		if !doc.Receipt.Reprint.IsZero() {
			n += "-reprint-" + doc.Receipt.Reprint.In(kiosk.Shanghai).Format("150405")
		}
		return n
	case doc.Refusal != nil:
		return "refusal-" + now.In(kiosk.Shanghai).Format("20060102-150405.000")
	}
	return "testpage-" + now.In(kiosk.Shanghai).Format("20060102-150405.000")
}

// wrap breaks s into lines no wider than max, measuring each rune with width. It breaks at spaces (which are
// dropped) or between CJK characters, and keeps closing punctuation on the line before it.
func wrap(s string, max float64, width func(rune) float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		lines = append(lines, wrapLine([]rune(para), max, width)...)
	}
	return lines
}

func wrapLine(r []rune, max float64, width func(rune) float64) []string {
	var lines []string
	for len(r) > 0 {
		w := 0.0
		brk := -1 // index where the next line may start
		i := 0
		for ; i < len(r); i++ {
			cw := width(r[i])
			if w+cw > max && i > 0 {
				if unicode.IsSpace(r[i]) || (isWide(r[i]) && !isClosing(r[i])) {
					brk = i
				}
				break
			}
			w += cw
			if unicode.IsSpace(r[i]) {
				brk = i + 1
			} else if i+1 < len(r) && (isWide(r[i]) || isWide(r[i+1])) && !isClosing(r[i+1]) {
				brk = i + 1
			}
		}
		if i == len(r) {
			lines = append(lines, strings.TrimRight(string(r), " "))
			break
		}
		if brk <= 0 {
			brk = i
		}
		lines = append(lines, strings.TrimRight(string(r[:brk]), " "))
		r = r[brk:]
		for len(r) > 0 && r[0] == ' ' {
			r = r[1:]
		}
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}

// isWide reports whether r is a CJK (double-width) character.
func isWide(r rune) bool {
	return unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFF60) ||
		(r >= 0x2E80 && r <= 0x2FFF) || r == '—' || r == '…'
}

func isClosing(r rune) bool {
	return strings.ContainsRune("，。、；：？！）》」』】,.;:?!)", r)
}

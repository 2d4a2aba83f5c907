// Package samdiag is the technicians' diagnostic for the ID-card reader: `huren diag idcard`. It lives apart
// from package sam because its --simulate mode needs the simulator, which itself imports sam.
package samdiag

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/kiosk/idcard/sam"
	"huren/kiosk/idcard/samsim"
)

// Timeout is how long Diag waits for a card.
const Timeout = 10 * time.Second

// Result is the JSON object Diag prints.
type Result struct {
	Type      string `json:"type"`
	Name      string `json:"name"`
	Sex       string `json:"sex"`
	Nation    string `json:"nation"`
	Number    string `json:"number"`
	Birth     string `json:"birth"`
	Address   string `json:"address"`
	Authority string `json:"authority"`
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to"` // empty for 长期
}

func ymd(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(kiosk.Shanghai).Format("2006-01-02")
}

// NewResult builds the printed object; name and number are masked unless reveal.
func NewResult(c idcard.Card, reveal bool) Result {
	r := Result{Type: c.Type.String(), Name: c.Name, Sex: c.Sex, Nation: c.Nation, Number: c.Number,
		Birth: ymd(c.Birth), Address: c.Address, Authority: c.Authority, ValidFrom: ymd(c.ValidFrom), ValidTo: ymd(c.ValidTo)}
	if !reveal {
		r.Name, r.Number = idcard.MaskName(c.Name), idcard.MaskNumber(c.Number)
	}
	return r
}

// Diag implements `huren diag idcard --port DEV [--baud N] [--reveal] | --simulate` (args are those after
// "idcard"). It reads one card within Timeout and prints one JSON object on stdout. It returns 0 on success and
// 2 otherwise, with the Chinese message on stderr.
func Diag(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("huren diag idcard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.String("port", "", "读卡器串口设备，如 /dev/ttyUSB0；USB 读卡器用 usb (serial device, or usb for a 0400:C35A reader)")
	baud := fs.Int("baud", sam.DefaultBaud, "串口速率 (baud rate)")
	reveal := fs.Bool("reveal", false, "显示完整姓名和号码 (show the full name and number)")
	simulate := fs.Bool("simulate", false, "使用模拟读卡器 (read a sample card from the simulator)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 2
		}
		fmt.Fprintln(stderr, "参数错误:", err)
		return 2
	}
	if fs.NArg() > 0 || (*port == "") == !*simulate {
		fmt.Fprintln(stderr, "用法: huren diag idcard --port 设备 [--baud 速率] [--reveal] | --simulate")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	var card idcard.Card
	var err error
	if *simulate {
		var d *samsim.DemoReader
		if d, err = samsim.NewDemoReader(ctx); err == nil {
			d.SetDelay(0)
			card, err = d.Read(ctx)
			d.Close()
		}
	} else {
		var r *sam.Reader
		if r, err = sam.Open(ctx, *port, *baud); err == nil {
			card, err = r.Read(ctx)
			r.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, message(err))
		return 2
	}
	defer card.Wipe()
	b, err := json.Marshal(NewResult(card, *reveal))
	if err != nil {
		fmt.Fprintln(stderr, "输出失败:", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return 0
}

// message is the Chinese text for a failed diagnostic, with the cause for the technician.
func message(err error) string {
	var zh string
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		zh = "10 秒内未读到身份证，请检查卡片是否放好"
	case errors.Is(err, context.Canceled):
		zh = "已取消"
	default:
		var ue *kiosk.UserError
		var se *sam.StatusError
		switch {
		case errors.As(err, &ue):
			zh = ue.Zh
		case errors.As(err, &se):
			zh = se.Zh()
		case errors.Is(err, sam.ErrIO):
			zh = "无法打开读卡器"
		case errors.Is(err, sam.ErrTimeout):
			zh = "读卡器无响应"
		default:
			zh = "读卡失败"
		}
	}
	return zh + "（" + err.Error() + "）"
}

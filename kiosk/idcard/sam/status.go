package sam

import (
	"errors"
	"fmt"
)

// SW3 status codes of the SAM module.
const (
	SWOK           byte = 0x90 // 操作成功
	SWFound        byte = 0x9F // 找卡成功
	SWNoContent    byte = 0x91 // 无此项内容 (no additional address)
	SWChecksum     byte = 0x10 // 接收业务终端数据的校验和错
	SWLength       byte = 0x11 // 接收业务终端数据的长度错
	SWCommand      byte = 0x21 // 接收业务终端的命令错误
	SWNotAllowed   byte = 0x23 // 越权操作
	SWUnknown      byte = 0x24 // 无法识别的错误
	SWAuthCard     byte = 0x31 // 卡认证机具失败
	SWAuthSAM      byte = 0x32 // 机具认证卡失败
	SWVerify       byte = 0x33 // 信息验证错误
	SWCardType     byte = 0x40 // 无法识别的卡类型
	SWReadFailed   byte = 0x41 // 读卡操作失败
	SWRandom       byte = 0x47 // 取随机数失败
	SWSelfTest     byte = 0x60 // SAM 自检失败
	SWUnauthorised byte = 0x66 // SAM 未经授权
	SWFindFailed   byte = 0x80 // 找卡失败
	SWSelectFailed byte = 0x81 // 选卡失败
)

// StatusCodes lists every SW3 code of the protocol document.
var StatusCodes = []byte{SWOK, SWFound, SWNoContent, SWChecksum, SWLength, SWCommand, SWNotAllowed, SWUnknown,
	SWAuthCard, SWAuthSAM, SWVerify, SWCardType, SWReadFailed, SWRandom, SWSelfTest, SWUnauthorised,
	SWFindFailed, SWSelectFailed}

var statusText = map[byte][2]string{
	SWOK:           {"操作成功", "success"},
	SWFound:        {"找卡成功", "card found"},
	SWNoContent:    {"无此项内容", "no content"},
	SWChecksum:     {"读卡器收到的数据校验和错误", "the module received a frame with a wrong checksum"},
	SWLength:       {"读卡器收到的数据长度错误", "the module received a frame with a wrong length"},
	SWCommand:      {"读卡器收到的命令错误", "the module received an unknown command"},
	SWNotAllowed:   {"越权操作", "operation not allowed"},
	SWUnknown:      {"读卡器无法识别的错误", "unknown module error"},
	SWAuthCard:     {"卡认证读卡器失败", "card–SAM authentication failed (card authenticating the SAM)"},
	SWAuthSAM:      {"读卡器认证卡失败", "card–SAM authentication failed (SAM authenticating the card)"},
	SWVerify:       {"信息验证错误", "data verification error"},
	SWCardType:     {"无法识别的卡类型", "unknown card type"},
	SWReadFailed:   {"读卡操作失败", "reading the card failed"},
	SWRandom:       {"取随机数失败", "random-number failure"},
	SWSelfTest:     {"安全模块自检失败", "SAM self-test failed"},
	SWUnauthorised: {"安全模块未经授权", "SAM not authorised"},
	SWFindFailed:   {"未找到身份证", "find failed (no card)"},
	SWSelectFailed: {"选卡失败", "select failed"},
}

// StatusError is a non-success SW3 answer. Classify it with errors.As, or with errors.Is against
// ErrNoCard, ErrSelect, ErrCardRead (card-side failures a re-placement may cure) and ErrModule (the SAM
// module itself is faulty or unauthorised).
type StatusError struct {
	SW3 byte
	Cmd Command
}

// Zh returns the Chinese message for the status.
func (e *StatusError) Zh() string {
	if t, ok := statusText[e.SW3]; ok {
		return t[0]
	}
	return fmt.Sprintf("读卡器返回未知状态 %02X", e.SW3)
}

// En returns the English message for the status.
func (e *StatusError) En() string {
	if t, ok := statusText[e.SW3]; ok {
		return t[1]
	}
	return fmt.Sprintf("unknown status %02X", e.SW3)
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s（SW3=%02X, 命令 %s）", e.Zh(), e.SW3, e.Cmd)
}

// Is makes errors.Is(err, ErrNoCard) etc. work.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrNoCard:
		return e.SW3 == SWFindFailed
	case ErrSelect:
		return e.SW3 == SWSelectFailed
	case ErrCardRead:
		switch e.SW3 {
		case SWAuthCard, SWAuthSAM, SWVerify, SWCardType, SWReadFailed, SWRandom, SWSelectFailed:
			return true
		}
	case ErrModule:
		switch e.SW3 {
		case SWSelfTest, SWUnauthorised, SWNotAllowed, SWUnknown:
			return true
		}
	case ErrLinkCorrupt:
		return e.SW3 == SWChecksum || e.SW3 == SWLength || e.SW3 == SWCommand
	}
	return false
}

// Classes of StatusError for errors.Is.
var (
	ErrNoCard      = errors.New("sam: no card")                     // SW3 80
	ErrSelect      = errors.New("sam: select failed")               // SW3 81
	ErrCardRead    = errors.New("sam: card read failed")            // 31 32 33 40 41 47 81
	ErrModule      = errors.New("sam: module fault")                // 23 24 60 66
	ErrLinkCorrupt = errors.New("sam: module received a bad frame") // 10 11 21
)

// Err returns nil when SW3 is success for command c (90; 9F for find card; 91 for the additional address),
// else a *StatusError.
func (r Response) Err(c Command) error {
	switch {
	case r.SW3 == SWOK:
		return nil
	case r.SW3 == SWFound && c == CmdFind:
		return nil
	case r.SW3 == SWNoContent && c == CmdReadAddress:
		return nil
	}
	return &StatusError{SW3: r.SW3, Cmd: c}
}

package printing

import (
	"time"

	"huren/kiosk"
	"huren/kiosk/workday"
)

// SampleHotline is the made-up hotline of sample documents.
const SampleHotline = "0578-3000000"

// SampleReceipt returns a receipt with made-up data for diagnostics and tests (nothing real, already masked).
func SampleReceipt(now time.Time) kiosk.ReceiptDoc {
	r := kiosk.NewReceipt(7, now, 12)
	accepted := now.In(kiosk.Shanghai).Truncate(time.Minute)
	due := workday.Default().Deadline(accepted, 2) // the same calendar as a real receipt
	return kiosk.ReceiptDoc{
		Receipt:      r,
		StatusURL:    kiosk.StatusURL("https://huren.example.gov.cn", r, "Zx3kQ9rT0bYw1uVn5mLp8A"),
		MaskedName:   "张*",
		MaskedNumber: "110***********0015",
		Route:        kiosk.RoutePermit,
		Condition:    kiosk.ConditionEmployment,
		Materials:    []string{"劳动合同 2页", "社会保险缴纳记录 1页"},
		AcceptedAt:   accepted,
		DueAt:        due,
		Hotline:      SampleHotline,
		KioskNo:      7,
	}
}

// SampleRefusal returns a refusal notice with made-up data and three reasons.
func SampleRefusal(now time.Time) kiosk.RefusalDoc {
	return kiosk.RefusalDoc{
		MaskedName:   "李**",
		MaskedNumber: "330***********002X",
		Route:        kiosk.RouteRegistration,
		Condition:    kiosk.ConditionResidence,
		Reasons: []kiosk.Reason{
			{Code: "registration_short", Message: "省内居住登记未满六个月", Remedy: "居住登记满六个月后再申请，或持有效的浙江省居住证申请。"},
			{Code: "material_missing_lease", Message: "缺少房屋租赁合同", Remedy: "请携带房屋租赁合同原件，并同时提供租赁登记备案证明。"},
			{Code: "address_outside", Message: "居住地址不在缙云县", Remedy: "请向实际居住地的县（市、区）公安机关申请。"},
		},
		At:      now,
		Hotline: SampleHotline,
		KioskNo: 7,
	}
}

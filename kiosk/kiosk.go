// Package kiosk is the domain root of Huren's self-service kiosk: applications, applicants, materials,
// receipts, user-facing errors, and the small interfaces where the GUI and the device and storage adapters
// meet (CardReader, Camera, Printer, Clock).
//
// It imports no GUI toolkit and no SQL driver. Sub-packages hold the rules (eligibility), the calendar
// (workday), ID cards (idcard), capture (capture) and the SQLite queue (store).
package kiosk

import (
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without zoneinfo

	"huren/kiosk/idcard"
)

// CountyCode is Jinyun County's administrative division code (缙云县).
const CountyCode = "331122"

// Route is how an applicant qualifies for recognition.
type Route string

const (
	// RoutePermit: holds a valid Zhejiang residence permit issued elsewhere in the province (现有居住证件互认).
	RoutePermit Route = "permit"
	// RouteRegistration: six months or more of continuous residence registration in Zhejiang (居住登记时间累计互认).
	RouteRegistration Route = "registration"
)

// Routes lists every route in display order.
var Routes = []Route{RoutePermit, RouteRegistration}

// Label returns the Chinese label of the route.
func (r Route) Label() string {
	switch r {
	case RoutePermit:
		return "持有浙江省居住证"
	case RouteRegistration:
		return "省内居住登记满六个月"
	}
	return string(r)
}

// LabelEN returns the English label of the route.
func (r Route) LabelEN() string {
	switch r {
	case RoutePermit:
		return "Holding a Zhejiang residence permit"
	case RouteRegistration:
		return "Six months of residence registration in Zhejiang"
	}
	return string(r)
}

// Valid reports whether r is a known route.
func (r Route) Valid() bool { return r == RoutePermit || r == RouteRegistration }

// Condition is the one condition of the three the applicant meets.
type Condition string

const (
	ConditionResidence  Condition = "residence"  // 合法稳定住所
	ConditionEmployment Condition = "employment" // 合法稳定就业
	ConditionSchooling  Condition = "schooling"  // 连续就读
)

// Conditions lists every condition in display order.
var Conditions = []Condition{ConditionResidence, ConditionEmployment, ConditionSchooling}

// Label returns the Chinese label of the condition.
func (c Condition) Label() string {
	switch c {
	case ConditionResidence:
		return "合法稳定住所"
	case ConditionEmployment:
		return "合法稳定就业"
	case ConditionSchooling:
		return "连续就读"
	}
	return string(c)
}

// LabelEN returns the English label of the condition.
func (c Condition) LabelEN() string {
	switch c {
	case ConditionResidence:
		return "Legal stable residence"
	case ConditionEmployment:
		return "Legal stable employment"
	case ConditionSchooling:
		return "Continuous schooling"
	}
	return string(c)
}

// Valid reports whether c is a known condition.
func (c Condition) Valid() bool {
	return c == ConditionResidence || c == ConditionEmployment || c == ConditionSchooling
}

// MaterialKind names one kind of proof document. Which kinds a condition needs is the eligibility table's
// business (package eligibility).
type MaterialKind string

const (
	MaterialProperty       MaterialKind = "property_certificate"      // 不动产权证书（房屋所有权证）
	MaterialLease          MaterialKind = "lease_contract"            // 房屋租赁合同
	MaterialLeaseFiling    MaterialKind = "lease_filing"              // 租赁登记备案证明
	MaterialAccommodation  MaterialKind = "accommodation_certificate" // 住宿证明（单位/学校宿舍等）
	MaterialLabourContract MaterialKind = "labour_contract"           // 劳动合同
	MaterialSocialInsure   MaterialKind = "social_insurance"          // 社会保险缴纳记录
	MaterialBusinessLic    MaterialKind = "business_licence"          // 营业执照
	MaterialStudyCert      MaterialKind = "study_certificate"         // 学校出具的连续就读证明
)

// MaterialKinds lists every kind in display order.
var MaterialKinds = []MaterialKind{
	MaterialProperty, MaterialLease, MaterialLeaseFiling, MaterialAccommodation,
	MaterialLabourContract, MaterialSocialInsure, MaterialBusinessLic, MaterialStudyCert,
}

var materialLabels = map[MaterialKind][2]string{
	MaterialProperty:       {"不动产权证书（房屋所有权证）", "Property certificate"},
	MaterialLease:          {"房屋租赁合同", "Lease contract"},
	MaterialLeaseFiling:    {"租赁登记备案证明", "Lease filing certificate"},
	MaterialAccommodation:  {"住宿证明", "Accommodation certificate"},
	MaterialLabourContract: {"劳动合同", "Labour contract"},
	MaterialSocialInsure:   {"社会保险缴纳记录", "Social insurance record"},
	MaterialBusinessLic:    {"营业执照", "Business licence"},
	MaterialStudyCert:      {"连续就读证明", "Certificate of continuous study"},
}

// Label returns the Chinese label of the material kind.
func (k MaterialKind) Label() string {
	if l, ok := materialLabels[k]; ok {
		return l[0]
	}
	return string(k)
}

// LabelEN returns the English label of the material kind.
func (k MaterialKind) LabelEN() string {
	if l, ok := materialLabels[k]; ok {
		return l[1]
	}
	return string(k)
}

// Valid reports whether k is a known material kind.
func (k MaterialKind) Valid() bool { _, ok := materialLabels[k]; return ok }

// Applicant is what the kiosk keeps of the ID card: text only, never the photo or fingerprints.
type Applicant struct {
	Name      string
	Number    string // full ID number: never logged, shown only masked after the card step
	Sex       string
	Nation    string
	Birth     time.Time
	CardType  idcard.CardType
	ValidFrom time.Time
	ValidTo   time.Time // zero for 长期 (long-term)
}

// ApplicantFromCard copies the fields the application needs from a card read.
func ApplicantFromCard(c idcard.Card) Applicant {
	return Applicant{
		Name: c.Name, Number: c.Number, Sex: c.Sex, Nation: c.Nation, Birth: c.Birth,
		CardType: c.Type, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo,
	}
}

// Address is a residence address in Jinyun, chosen from lists and a keypad (no typing of Chinese).
type Address struct {
	TownCode  string // 9-digit division code of the town/subdistrict, e.g. 331122001
	Town      string // 五云街道
	Community string // community / village name from the list
	Detail    string // building/room from the address keypad: digits and 号幢单元室栋楼弄巷-
}

// String joins the address for display.
func (a Address) String() string { return "缙云县" + a.Town + a.Community + a.Detail }

// Precheck is the provincial registration record the review service reports for an ID number.
type Precheck struct {
	Known           bool      // false when the kiosk was offline or the record is unknown
	HasPermit       bool      // holds a Zhejiang residence permit
	PermitCity      string    // issuing city (division code or name)
	RegisteredSince time.Time // start of continuous registration
	Months          int       // months of continuous registration
}

// Material is one page of one proof document, already normalised by the capture pipeline.
type Material struct {
	Kind        MaterialKind
	Page        int    // 1-based page number within the kind
	ContentType string // image/jpeg or application/pdf
	Data        []byte
	SHA256      string // lower-case hex of Data
	Size        int64
	Warnings    []string // quality warnings the applicant chose to keep (codes, e.g. "blur")
}

// Application is one applicant's submission.
type Application struct {
	Receipt       Receipt
	StatusToken   string // 128 random bits, URL-safe; the server keeps only its hash
	Applicant     Applicant
	Route         Route
	Condition     Condition
	Mobile        string
	Address       Address
	EmployerUSCC  string // employment: unified social credit code
	SchoolCode    string // schooling: code from the school list
	SchoolName    string
	Materials     []Material
	Precheck      Precheck
	NoticeVersion string    // version of the notice-and-commitment text the applicant accepted
	CreatedAt     time.Time // when the kiosk committed it (accepted-at on the receipt until the server says otherwise)
}

// State is where an application stands, locally and at the review service.
type State string

const (
	StateQueued            State = "queued"             // committed on the kiosk, not yet delivered
	StateDead              State = "dead"               // delivery refused by the server; staff must look
	StateReceived          State = "received"           // server has the manifest
	StateAwaitingMaterials State = "awaiting_materials" // server is missing materials
	StateAccepted          State = "accepted"           // 已受理: the 2-working-day clock runs
	StateInReview          State = "in_review"
	StateApproved          State = "approved"
	StateRejected          State = "rejected"
)

// Label returns the Chinese label of the state.
func (s State) Label() string {
	switch s {
	case StateQueued:
		return "待上传"
	case StateDead:
		return "上传失败，待处理"
	case StateReceived:
		return "已接收"
	case StateAwaitingMaterials:
		return "待补充材料"
	case StateAccepted:
		return "已受理"
	case StateInReview:
		return "审核中"
	case StateApproved:
		return "已办结（通过）"
	case StateRejected:
		return "不予办理"
	}
	return string(s)
}

// Final reports whether the state is a final decision.
func (s State) Final() bool { return s == StateApproved || s == StateRejected }

// Reason is one reason an application does not qualify, with what to do about it.
// Package eligibility aliases it as eligibility.Reason.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"` // Chinese, plain
	Remedy  string `json:"remedy"`  // what to bring or do, Chinese
}

// Clock tells the time; tests inject a fixed or stepping clock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

var _ Clock = SystemClock{}

// Shanghai is the time zone every date of the work plan is taken in.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Fixed offset fallback: China has had no DST since 1991.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

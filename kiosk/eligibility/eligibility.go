// Package eligibility holds the rules of Jinyun County's work plan for residence-permit mutual recognition
// (缙政办发〔2023〕1号) as plain Go. Check returns every failing reason at once (一次性告知), in a stable order,
// never only the first; the kiosk uses it before submit and the review service re-checks every application
// with the same code.
//
// Every reason has a code, a Chinese message and a remedy (what to bring or do) in one table (Catalogue,
// versioned by RulesVersion); English texts are available through English.
package eligibility

import (
	"sort"
	"strings"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/kiosk/places"
)

// Reason is one failing rule or one note, with what to do about it.
type Reason = kiosk.Reason

// MinAge is the age from which an applicant may apply at the kiosk alone.
const MinAge = 16

// MinRegistrationMonths is the continuous registration the registration route needs.
const MinRegistrationMonths = 6

// Input is what the rules look at.
type Input struct {
	Applicant    kiosk.Applicant
	Route        kiosk.Route
	Condition    kiosk.Condition
	Materials    map[kiosk.MaterialKind]int // pages per kind
	Mobile       string
	Address      kiosk.Address
	EmployerUSCC string
	SchoolCode   string
	Precheck     kiosk.Precheck
}

// FromApplication takes the rules' input from an application, counting material pages per kind.
func FromApplication(a kiosk.Application) Input {
	m := make(map[kiosk.MaterialKind]int, len(a.Materials))
	for _, p := range a.Materials {
		m[p.Kind]++
	}
	return Input{
		Applicant: a.Applicant, Route: a.Route, Condition: a.Condition, Materials: m, Mobile: a.Mobile,
		Address: a.Address, EmployerUSCC: a.EmployerUSCC, SchoolCode: a.SchoolCode, Precheck: a.Precheck,
	}
}

// Result is the outcome of Check. Eligible is true exactly when Reasons is empty; Notes never refuse (for
// example: the provincial record could not be checked, a reviewer will).
type Result struct {
	Eligible bool
	Reasons  []Reason
	Notes    []Reason
}

// Required returns the materials condition c needs as alternatives: any ONE inner set fully present satisfies
// it. It returns nil for an unknown condition.
func Required(c kiosk.Condition) [][]kiosk.MaterialKind {
	switch c {
	case kiosk.ConditionResidence:
		return [][]kiosk.MaterialKind{
			{kiosk.MaterialProperty},
			{kiosk.MaterialLease, kiosk.MaterialLeaseFiling},
			{kiosk.MaterialAccommodation},
		}
	case kiosk.ConditionEmployment:
		return [][]kiosk.MaterialKind{
			{kiosk.MaterialLabourContract},
			{kiosk.MaterialSocialInsure},
			{kiosk.MaterialBusinessLic},
		}
	case kiosk.ConditionSchooling:
		return [][]kiosk.MaterialKind{{kiosk.MaterialStudyCert}}
	}
	return nil
}

// Satisfied reports whether the pages per kind satisfy the material alternatives of condition c.
func Satisfied(c kiosk.Condition, pages map[kiosk.MaterialKind]int) bool {
	for _, set := range Required(c) {
		ok := true
		for _, k := range set {
			if pages[k] <= 0 {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// civil returns the calendar date of t in Asia/Shanghai as a comparable number (YYYYMMDD).
func civil(t time.Time) int {
	y, m, d := t.In(kiosk.Shanghai).Date()
	return y*10000 + int(m)*100 + d
}

// addMonths adds n months to the date of t in Shanghai, clamping to the month's last day (08-31 + 6 → 02-28).
func addMonths(t time.Time, n int) int {
	y, m, d := t.In(kiosk.Shanghai).Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return first.Year()*10000 + int(first.Month())*100 + d
}

// isJinyun reports whether a permit city (division code or name) is Jinyun County.
func isJinyun(city string) bool {
	city = strings.TrimSpace(city)
	return strings.HasPrefix(city, kiosk.CountyCode) || strings.Contains(city, "缙云")
}

// outsideZhejiang reports whether a permit city given as a division code lies outside Zhejiang (33).
func outsideZhejiang(city string) bool {
	city = strings.TrimSpace(city)
	if len(city) < 2 {
		return false
	}
	for i := 0; i < len(city); i++ {
		if city[i] < '0' || city[i] > '9' {
			return false // a name: the review service reports Zhejiang cities only
		}
	}
	return city[:2] != "33"
}

const detailChars = "0123456789号幢单元室栋楼弄巷-"

func detailOK(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune(detailChars, r) {
			return false
		}
	}
	return true
}

// Check applies every rule to in on the day of today (taken in Asia/Shanghai) and returns all failing reasons
// in the order of Catalogue, and the notes. It never stops at the first failure.
func Check(in Input, today time.Time) Result {
	var codes, notes []string
	fail := func(code string) { codes = append(codes, code) }
	note := func(code string) { notes = append(notes, code) }
	day := civil(today)
	a := in.Applicant

	// The card.
	numberOK := true
	if a.CardType != idcard.TypeForeignPermanent { // foreigners' 2023 numbers follow another layout
		if err := idcard.ValidateNumber(idcard.Normalize(a.Number)); err != nil {
			numberOK = false
			fail(CodeIDNumberInvalid)
		}
	}
	if !a.ValidTo.IsZero() && civil(a.ValidTo) < day {
		fail(CodeCardExpired)
	}
	if !a.ValidFrom.IsZero() && civil(a.ValidFrom) > day {
		fail(CodeCardNotYetValid)
	}
	birth := a.Birth
	if birth.IsZero() && numberOK && len(a.Number) == 18 {
		if b, err := time.ParseInLocation("20060102", a.Number[6:14], kiosk.Shanghai); err == nil {
			birth = b
		}
	}
	if !birth.IsZero() && idcard.Age(birth.In(kiosk.Shanghai), today.In(kiosk.Shanghai)) < MinAge {
		fail(CodeUnder16)
	}

	// The route.
	p := in.Precheck
	switch in.Route {
	case kiosk.RoutePermit:
		switch {
		case !p.Known:
			note(CodePermitUnknown)
		case !p.HasPermit:
			fail(CodePermitNotFound)
		case outsideZhejiang(p.PermitCity):
			fail(CodePermitOutsideZhejiang)
		case isJinyun(p.PermitCity):
			fail(CodePermitIssuedLocally)
		}
	case kiosk.RouteRegistration:
		switch {
		case !p.Known:
			note(CodeRegistrationUnknown)
		case !p.RegisteredSince.IsZero():
			if addMonths(p.RegisteredSince, MinRegistrationMonths) > day {
				fail(CodeRegistrationShort)
			}
		case p.Months < MinRegistrationMonths:
			fail(CodeRegistrationShort)
		}
	default:
		fail(CodeRouteMissing)
	}

	// The condition and its materials.
	switch in.Condition {
	case kiosk.ConditionResidence:
		if !Satisfied(in.Condition, in.Materials) {
			if in.Materials[kiosk.MaterialLease] > 0 && in.Materials[kiosk.MaterialLeaseFiling] <= 0 {
				fail(CodeLeaseFilingMissing)
			} else {
				fail(CodeResidenceMaterials)
			}
		}
	case kiosk.ConditionEmployment:
		if !Satisfied(in.Condition, in.Materials) {
			fail(CodeEmploymentMaterials)
		}
		if kiosk.ValidateUSCC(strings.TrimSpace(in.EmployerUSCC)) != nil {
			fail(CodeEmployerUSCCInvalid)
		}
	case kiosk.ConditionSchooling:
		if !Satisfied(in.Condition, in.Materials) {
			fail(CodeStudyCertificateMissing)
		}
		if _, ok := places.SchoolByCode(strings.TrimSpace(in.SchoolCode)); !ok {
			fail(CodeSchoolMissing)
		}
	default:
		fail(CodeConditionMissing)
	}

	// Contact and address.
	if kiosk.ValidateMobile(strings.TrimSpace(in.Mobile)) != nil {
		fail(CodeMobileInvalid)
	}
	ad := in.Address
	town, ok := places.TownByCode(strings.TrimSpace(ad.TownCode))
	if !ok || (ad.Town != "" && ad.Town != town.Name) {
		fail(CodeAddressTownInvalid)
	}
	community := strings.TrimSpace(ad.Community)
	if community == "" || (ok && len(town.Communities) > 0 && !places.HasCommunity(town.Code, community)) {
		fail(CodeAddressCommunityMissing)
	}
	switch detail := strings.TrimSpace(ad.Detail); {
	case detail == "":
		fail(CodeAddressDetailMissing)
	case !detailOK(detail):
		fail(CodeAddressDetailInvalid)
	}

	res := Result{Reasons: toReasons(codes), Notes: toReasons(notes)}
	res.Eligible = len(res.Reasons) == 0
	return res
}

// toReasons turns codes into reasons in table order (stable however the checks above are arranged).
func toReasons(codes []string) []Reason {
	if len(codes) == 0 {
		return nil
	}
	sort.SliceStable(codes, func(i, j int) bool { return index[codes[i]] < index[codes[j]] })
	out := make([]Reason, 0, len(codes))
	for _, c := range codes {
		out = append(out, reason(c))
	}
	return out
}

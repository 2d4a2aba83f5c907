package eligibility

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"huren/kiosk"
	"huren/kiosk/idcard"
)

func sh(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, kiosk.Shanghai) }

var today = time.Date(2023, 2, 1, 10, 0, 0, 0, kiosk.Shanghai)

// number17 with its check character: a man born 1990-03-07 in Jinyun.
var number = "33112219900307123" + string(idcard.CheckChar("33112219900307123"))

// good is an application that passes every rule (route permit, condition residence).
func good() Input {
	return Input{
		Applicant: kiosk.Applicant{
			Name: "张三", Number: number, Birth: sh(1990, 3, 7), CardType: idcard.TypeResident,
			ValidFrom: sh(2015, 6, 1), ValidTo: sh(2035, 6, 1),
		},
		Route:     kiosk.RoutePermit,
		Condition: kiosk.ConditionResidence,
		Materials: map[kiosk.MaterialKind]int{kiosk.MaterialProperty: 2},
		Mobile:    "13800138000",
		Address:   kiosk.Address{TownCode: "331122001", Town: "五云街道", Community: "城东社区", Detail: "12幢3单元301室"},
		Precheck:  kiosk.Precheck{Known: true, HasPermit: true, PermitCity: "330100"},
	}
}

func codes(rs []Reason) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

func TestGoodIsEligible(t *testing.T) {
	r := Check(good(), today)
	if !r.Eligible || len(r.Reasons) != 0 || len(r.Notes) != 0 {
		t.Fatalf("good input: %+v", r)
	}
}

func TestRules(t *testing.T) {
	const (
		uscc = "914403001922038216"
	)
	tests := []struct {
		name      string
		edit      func(*Input)
		when      time.Time // zero: today
		wantCodes []string
		wantNotes []string
	}{
		{"bad ID number", func(in *Input) { in.Applicant.Number = "33112219900307123X" }, time.Time{}, []string{CodeIDNumberInvalid}, nil},
		{"lower-case x accepted", func(in *Input) {
			in.Applicant.Number = "11010519491231002x"
			in.Applicant.Birth = sh(1949, 12, 31)
		}, time.Time{}, nil, nil},
		{"foreigner's number not checked by GB 11643", func(in *Input) {
			in.Applicant.Number = "931156199001011234"
			in.Applicant.CardType = idcard.TypeForeignPermanent
		}, time.Time{}, nil, nil},
		{"card expired yesterday", func(in *Input) { in.Applicant.ValidTo = sh(2023, 1, 31) }, time.Time{}, []string{CodeCardExpired}, nil},
		{"card valid through today", func(in *Input) { in.Applicant.ValidTo = sh(2023, 2, 1) }, time.Time{}, nil, nil},
		{"card long-term (zero ValidTo)", func(in *Input) { in.Applicant.ValidTo = time.Time{} }, time.Time{}, nil, nil},
		{"card expiry in UTC", func(in *Input) { in.Applicant.ValidTo = time.Date(2023, 1, 31, 0, 0, 0, 0, time.UTC) }, time.Time{}, []string{CodeCardExpired}, nil},
		{"card not yet valid", func(in *Input) { in.Applicant.ValidFrom = sh(2023, 2, 2) }, time.Time{}, []string{CodeCardNotYetValid}, nil},
		{"card valid from today", func(in *Input) { in.Applicant.ValidFrom = sh(2023, 2, 1) }, time.Time{}, nil, nil},
		{"under 16 by one day", func(in *Input) {
			in.Applicant.Birth = sh(2007, 2, 2)
			in.Applicant.Number = "33112220070202123" + string(idcard.CheckChar("33112220070202123"))
		}, time.Time{}, []string{CodeUnder16}, nil},
		{"16 today", func(in *Input) {
			in.Applicant.Birth = sh(2007, 2, 1)
			in.Applicant.Number = "33112220070201123" + string(idcard.CheckChar("33112220070201123"))
		}, time.Time{}, nil, nil},
		{"under 16 from the number when Birth is empty", func(in *Input) {
			in.Applicant.Birth = time.Time{}
			in.Applicant.Number = "33112220100101123" + string(idcard.CheckChar("33112220100101123"))
		}, time.Time{}, []string{CodeUnder16}, nil},
		{"no route", func(in *Input) { in.Route = "" }, time.Time{}, []string{CodeRouteMissing}, nil},
		{"unknown route", func(in *Input) { in.Route = "other" }, time.Time{}, []string{CodeRouteMissing}, nil},
		{"permit: record unknown is a note", func(in *Input) { in.Precheck = kiosk.Precheck{} }, time.Time{}, nil, []string{CodePermitUnknown}},
		{"permit: none", func(in *Input) { in.Precheck.HasPermit = false }, time.Time{}, []string{CodePermitNotFound}, nil},
		{"permit: issued in Jinyun (code)", func(in *Input) { in.Precheck.PermitCity = "331122" }, time.Time{}, []string{CodePermitIssuedLocally}, nil},
		{"permit: issued in Jinyun (name)", func(in *Input) { in.Precheck.PermitCity = "丽水市缙云县" }, time.Time{}, []string{CodePermitIssuedLocally}, nil},
		{"permit: elsewhere in Lishui", func(in *Input) { in.Precheck.PermitCity = "331102" }, time.Time{}, nil, nil},
		{"permit: Hangzhou by name", func(in *Input) { in.Precheck.PermitCity = "杭州市" }, time.Time{}, nil, nil},
		{"permit: outside Zhejiang", func(in *Input) { in.Precheck.PermitCity = "310101" }, time.Time{}, []string{CodePermitOutsideZhejiang}, nil},
		{"registration: unknown is a note", func(in *Input) {
			in.Route = kiosk.RouteRegistration
			in.Precheck = kiosk.Precheck{}
		}, time.Time{}, nil, []string{CodeRegistrationUnknown}},
		{"registration: exactly six months", func(in *Input) {
			in.Route = kiosk.RouteRegistration
			in.Precheck = kiosk.Precheck{Known: true, RegisteredSince: sh(2022, 8, 1), Months: 6}
		}, time.Time{}, nil, nil},
		{"registration: one day short", func(in *Input) {
			in.Route = kiosk.RouteRegistration
			in.Precheck = kiosk.Precheck{Known: true, RegisteredSince: sh(2022, 8, 2), Months: 5}
		}, time.Time{}, []string{CodeRegistrationShort}, nil},
		{"registration: 31 August + 6 months is 28 February", func(in *Input) {
			in.Route = kiosk.RouteRegistration
			in.Precheck = kiosk.Precheck{Known: true, RegisteredSince: sh(2022, 8, 31)}
		}, sh(2023, 2, 28).Add(9 * time.Hour), nil, nil},
		{"registration: 31 August, on 27 February", func(in *Input) {
			in.Route = kiosk.RouteRegistration
			in.Precheck = kiosk.Precheck{Known: true, RegisteredSince: sh(2022, 8, 31)}
		}, sh(2023, 2, 27).Add(9 * time.Hour), []string{CodeRegistrationShort}, nil},
		{"registration: months only", func(in *Input) {
			in.Route = kiosk.RouteRegistration
			in.Precheck = kiosk.Precheck{Known: true, Months: 7}
		}, time.Time{}, nil, nil},
		{"registration: months only, short", func(in *Input) {
			in.Route = kiosk.RouteRegistration
			in.Precheck = kiosk.Precheck{Known: true, Months: 5}
		}, time.Time{}, []string{CodeRegistrationShort}, nil},
		{"no condition", func(in *Input) { in.Condition = "" }, time.Time{}, []string{CodeConditionMissing}, nil},
		{"unknown condition", func(in *Input) { in.Condition = "wealth" }, time.Time{}, []string{CodeConditionMissing}, nil},
		{"residence: lease + filing", func(in *Input) {
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialLease: 3, kiosk.MaterialLeaseFiling: 1}
		}, time.Time{}, nil, nil},
		{"residence: accommodation", func(in *Input) {
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialAccommodation: 1}
		}, time.Time{}, nil, nil},
		{"residence: lease without filing", func(in *Input) {
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialLease: 3}
		}, time.Time{}, []string{CodeLeaseFilingMissing}, nil},
		{"residence: filing without lease", func(in *Input) {
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialLeaseFiling: 1}
		}, time.Time{}, []string{CodeResidenceMaterials}, nil},
		{"residence: other condition's material", func(in *Input) {
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialLabourContract: 1}
		}, time.Time{}, []string{CodeResidenceMaterials}, nil},
		{"residence: zero pages", func(in *Input) {
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialProperty: 0}
		}, time.Time{}, []string{CodeResidenceMaterials}, nil},
		{"employment: labour contract", func(in *Input) {
			in.Condition = kiosk.ConditionEmployment
			in.EmployerUSCC = uscc
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialLabourContract: 2}
		}, time.Time{}, nil, nil},
		{"employment: social insurance", func(in *Input) {
			in.Condition = kiosk.ConditionEmployment
			in.EmployerUSCC = uscc
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialSocialInsure: 1}
		}, time.Time{}, nil, nil},
		{"employment: business licence", func(in *Input) {
			in.Condition = kiosk.ConditionEmployment
			in.EmployerUSCC = uscc
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialBusinessLic: 1}
		}, time.Time{}, nil, nil},
		{"employment: no material", func(in *Input) {
			in.Condition = kiosk.ConditionEmployment
			in.EmployerUSCC = uscc
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialProperty: 1}
		}, time.Time{}, []string{CodeEmploymentMaterials}, nil},
		{"employment: bad USCC", func(in *Input) {
			in.Condition = kiosk.ConditionEmployment
			in.EmployerUSCC = "914403001922038217"
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialLabourContract: 1}
		}, time.Time{}, []string{CodeEmployerUSCCInvalid}, nil},
		{"employment: no USCC", func(in *Input) {
			in.Condition = kiosk.ConditionEmployment
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialLabourContract: 1}
		}, time.Time{}, []string{CodeEmployerUSCCInvalid}, nil},
		{"residence ignores a bad USCC", func(in *Input) { in.EmployerUSCC = "nonsense" }, time.Time{}, nil, nil},
		{"schooling", func(in *Input) {
			in.Condition = kiosk.ConditionSchooling
			in.SchoolCode = "JY-S01"
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialStudyCert: 1}
		}, time.Time{}, nil, nil},
		{"schooling: no certificate", func(in *Input) {
			in.Condition = kiosk.ConditionSchooling
			in.SchoolCode = "JY-S01"
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialProperty: 1}
		}, time.Time{}, []string{CodeStudyCertificateMissing}, nil},
		{"schooling: no school", func(in *Input) {
			in.Condition = kiosk.ConditionSchooling
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialStudyCert: 1}
		}, time.Time{}, []string{CodeSchoolMissing}, nil},
		{"schooling: unknown school", func(in *Input) {
			in.Condition = kiosk.ConditionSchooling
			in.SchoolCode = "XX-99"
			in.Materials = map[kiosk.MaterialKind]int{kiosk.MaterialStudyCert: 1}
		}, time.Time{}, []string{CodeSchoolMissing}, nil},
		{"mobile empty", func(in *Input) { in.Mobile = "" }, time.Time{}, []string{CodeMobileInvalid}, nil},
		{"mobile 12x", func(in *Input) { in.Mobile = "12800138000" }, time.Time{}, []string{CodeMobileInvalid}, nil},
		{"town outside Jinyun", func(in *Input) {
			in.Address.TownCode = "331102001"
			in.Address.Town = ""
		}, time.Time{}, []string{CodeAddressTownInvalid}, nil},
		{"town code and name disagree", func(in *Input) { in.Address.Town = "壶镇镇" }, time.Time{}, []string{CodeAddressTownInvalid}, nil},
		{"town name may be empty", func(in *Input) { in.Address.Town = "" }, time.Time{}, nil, nil},
		{"no community", func(in *Input) { in.Address.Community = " " }, time.Time{}, []string{CodeAddressCommunityMissing}, nil},
		{"community of another town", func(in *Input) { in.Address.Community = "壶镇社区" }, time.Time{}, []string{CodeAddressCommunityMissing}, nil},
		{"no detail", func(in *Input) { in.Address.Detail = "" }, time.Time{}, []string{CodeAddressDetailMissing}, nil},
		{"detail with other characters", func(in *Input) { in.Address.Detail = "12幢<script>" }, time.Time{}, []string{CodeAddressDetailInvalid}, nil},
		{"detail with every keypad character", func(in *Input) { in.Address.Detail = "0123456789号幢单元室栋楼弄巷-" }, time.Time{}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good()
			tt.edit(&in)
			when := tt.when
			if when.IsZero() {
				when = today
			}
			r := Check(in, when)
			if got := codes(r.Reasons); !reflect.DeepEqual(got, append([]string{}, tt.wantCodes...)) {
				t.Errorf("reasons = %v, want %v", got, tt.wantCodes)
			}
			if got := codes(r.Notes); !reflect.DeepEqual(got, append([]string{}, tt.wantNotes...)) {
				t.Errorf("notes = %v, want %v", got, tt.wantNotes)
			}
			if r.Eligible != (len(tt.wantCodes) == 0) {
				t.Errorf("Eligible = %v with reasons %v", r.Eligible, codes(r.Reasons))
			}
		})
	}
}

func TestManyFailuresAllReportedInOrder(t *testing.T) {
	in := Input{
		Applicant: kiosk.Applicant{
			Number: "33112220100101123" + string(idcard.CheckChar("33112220100101123")), Birth: sh(2010, 1, 1),
			ValidFrom: sh(2015, 1, 1), ValidTo: sh(2020, 1, 1),
		},
		Route:     kiosk.RoutePermit,
		Condition: kiosk.ConditionResidence,
		Materials: map[kiosk.MaterialKind]int{kiosk.MaterialLease: 1},
		Mobile:    "12345",
		Address:   kiosk.Address{TownCode: "000", Detail: "x"},
		Precheck:  kiosk.Precheck{Known: true, HasPermit: true, PermitCity: "331122"},
	}
	want := []string{CodeCardExpired, CodeUnder16, CodePermitIssuedLocally, CodeLeaseFilingMissing,
		CodeMobileInvalid, CodeAddressTownInvalid, CodeAddressCommunityMissing, CodeAddressDetailInvalid}
	for i := 0; i < 3; i++ { // stable across calls
		r := Check(in, today)
		if got := codes(r.Reasons); !reflect.DeepEqual(got, want) {
			t.Fatalf("reasons = %v\nwant      %v", got, want)
		}
		if r.Eligible {
			t.Fatal("Eligible with reasons")
		}
	}

	// The empty input fails on everything that can be checked without a route or condition.
	r := Check(Input{}, today)
	want = []string{CodeIDNumberInvalid, CodeRouteMissing, CodeConditionMissing, CodeMobileInvalid,
		CodeAddressTownInvalid, CodeAddressCommunityMissing, CodeAddressDetailMissing}
	if got := codes(r.Reasons); !reflect.DeepEqual(got, want) {
		t.Errorf("empty input: %v\nwant          %v", got, want)
	}

	// Employment with everything wrong reports both its material and its code.
	in = good()
	in.Condition = kiosk.ConditionEmployment
	in.Route = kiosk.RouteRegistration
	in.Precheck = kiosk.Precheck{Known: true, Months: 1}
	want = []string{CodeRegistrationShort, CodeEmploymentMaterials, CodeEmployerUSCCInvalid}
	if got := codes(Check(in, today).Reasons); !reflect.DeepEqual(got, want) {
		t.Errorf("employment: %v, want %v", got, want)
	}
}

func TestReasonsFollowCatalogueOrder(t *testing.T) {
	pos := map[string]int{}
	for i, r := range Catalogue() {
		pos[r.Code] = i
	}
	r := Check(Input{Route: kiosk.RouteRegistration, Precheck: kiosk.Precheck{Known: true}, Condition: kiosk.ConditionSchooling}, today)
	for i := 1; i < len(r.Reasons); i++ {
		if pos[r.Reasons[i-1].Code] >= pos[r.Reasons[i].Code] {
			t.Errorf("reasons out of catalogue order: %v", codes(r.Reasons))
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestCatalogueTexts(t *testing.T) {
	cat := Catalogue()
	if len(cat) != len(table) {
		t.Fatalf("Catalogue has %d reasons, table %d", len(cat), len(table))
	}
	seen := map[string]bool{}
	for _, r := range cat {
		if r.Code == "" || seen[r.Code] || strings.ToLower(r.Code) != r.Code || strings.ContainsAny(r.Code, " -") {
			t.Errorf("bad or repeated code %q", r.Code)
		}
		seen[r.Code] = true
		if !hasHan(r.Message) {
			t.Errorf("%s: message %q has no Chinese", r.Code, r.Message)
		}
		if !hasHan(r.Remedy) {
			t.Errorf("%s: remedy %q has no Chinese", r.Code, r.Remedy)
		}
		en, enFix := English(r.Code)
		if en == "" || enFix == "" || hasHan(en) && !strings.Contains(en, "号") {
			t.Errorf("%s: English texts %q / %q", r.Code, en, enFix)
		}
		if got, ok := Lookup(r.Code); !ok || got != r {
			t.Errorf("Lookup(%s) = %v, %v", r.Code, got, ok)
		}
	}
	if m, f := English("nope"); m != "" || f != "" {
		t.Error("English of an unknown code")
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup of an unknown code")
	}
	cat[0].Message = "changed"
	if Catalogue()[0].Message == "changed" {
		t.Error("Catalogue shares the table")
	}
	if !IsNote(CodePermitUnknown) || !IsNote(CodeRegistrationUnknown) || IsNote(CodeUnder16) || IsNote("nope") {
		t.Error("IsNote wrong")
	}
	if RulesVersion == "" {
		t.Error("RulesVersion empty")
	}
}

// TestEveryReasonReachable: each code in the catalogue is produced by some input (no dead table rows).
func TestEveryReasonReachable(t *testing.T) {
	inputs := []Input{
		{}, // many
		{Applicant: kiosk.Applicant{ValidTo: sh(2000, 1, 1), ValidFrom: sh(2030, 1, 1), Birth: sh(2020, 1, 1)},
			Route: kiosk.RoutePermit, Precheck: kiosk.Precheck{Known: true}, Condition: kiosk.ConditionResidence,
			Materials: map[kiosk.MaterialKind]int{kiosk.MaterialLease: 1}, Address: kiosk.Address{Detail: "?"}},
		{Route: kiosk.RoutePermit, Condition: kiosk.ConditionResidence, Precheck: kiosk.Precheck{Known: true, HasPermit: true, PermitCity: "110000"}},
		{Route: kiosk.RoutePermit, Condition: kiosk.ConditionEmployment, Precheck: kiosk.Precheck{Known: true, HasPermit: true, PermitCity: "331122"}},
		{Route: kiosk.RoutePermit, Condition: kiosk.ConditionSchooling},
		{Route: kiosk.RouteRegistration, Precheck: kiosk.Precheck{Known: true}},
		{Route: kiosk.RouteRegistration},
	}
	seen := map[string]bool{}
	for _, in := range inputs {
		r := Check(in, today)
		for _, x := range append(r.Reasons, r.Notes...) {
			seen[x.Code] = true
		}
	}
	for _, r := range Catalogue() {
		if !seen[r.Code] {
			t.Errorf("reason %s is never produced", r.Code)
		}
	}
}

func TestRequired(t *testing.T) {
	for _, c := range kiosk.Conditions {
		alts := Required(c)
		if len(alts) == 0 {
			t.Errorf("%s: no materials", c)
		}
		for _, set := range alts {
			pages := map[kiosk.MaterialKind]int{}
			for _, k := range set {
				if !k.Valid() {
					t.Errorf("%s: unknown kind %s", c, k)
				}
				pages[k] = 1
			}
			if !Satisfied(c, pages) {
				t.Errorf("%s: alternative %v does not satisfy", c, set)
			}
		}
	}
	if Required("") != nil || Satisfied("", map[kiosk.MaterialKind]int{kiosk.MaterialProperty: 1}) {
		t.Error("unknown condition has materials")
	}
	want := [][]kiosk.MaterialKind{{kiosk.MaterialProperty}, {kiosk.MaterialLease, kiosk.MaterialLeaseFiling}, {kiosk.MaterialAccommodation}}
	if got := Required(kiosk.ConditionResidence); !reflect.DeepEqual(got, want) {
		t.Errorf("Required(residence) = %v", got)
	}
}

func TestFromApplication(t *testing.T) {
	a := kiosk.Application{
		Applicant: kiosk.Applicant{Name: "张三", Number: number},
		Route:     kiosk.RoutePermit, Condition: kiosk.ConditionResidence, Mobile: "13800138000",
		Address:      kiosk.Address{TownCode: "331122001", Community: "城东社区", Detail: "1号"},
		EmployerUSCC: "x", SchoolCode: "y",
		Materials: []kiosk.Material{
			{Kind: kiosk.MaterialLease, Page: 1}, {Kind: kiosk.MaterialLease, Page: 2}, {Kind: kiosk.MaterialLeaseFiling, Page: 1},
		},
		Precheck: kiosk.Precheck{Known: true, HasPermit: true},
	}
	in := FromApplication(a)
	if in.Materials[kiosk.MaterialLease] != 2 || in.Materials[kiosk.MaterialLeaseFiling] != 1 || len(in.Materials) != 2 {
		t.Errorf("materials = %v", in.Materials)
	}
	if in.Applicant != a.Applicant || in.Route != a.Route || in.Condition != a.Condition || in.Mobile != a.Mobile ||
		in.Address != a.Address || in.EmployerUSCC != "x" || in.SchoolCode != "y" || in.Precheck != a.Precheck {
		t.Errorf("FromApplication lost fields: %+v", in)
	}
}

func BenchmarkCheck(b *testing.B) {
	in := good()
	for b.Loop() {
		Check(in, today)
	}
}

func BenchmarkCheckBaseline(b *testing.B) { // the ID number check alone
	for b.Loop() {
		_ = idcard.ValidateNumber(number)
	}
}

package eligibility

import "huren/kiosk"

// RulesVersion identifies this rule set and its reason table. The review service sends it with the
// catalogue in kiosk config, stores it with each automatic check, and a kiosk shows it in admin mode.
// Change it whenever a rule or a reason text changes.
const RulesVersion = "jinyun-2023-1/r1" // 缙政办发〔2023〕1号, first revision of our rules

// Reason codes, in the order Check reports them.
const (
	CodeIDNumberInvalid         = "id_number_invalid"
	CodeCardExpired             = "card_expired"
	CodeCardNotYetValid         = "card_not_yet_valid"
	CodeUnder16                 = "under_16"
	CodeRouteMissing            = "route_missing"
	CodePermitNotFound          = "permit_not_found"
	CodePermitOutsideZhejiang   = "permit_outside_zhejiang"
	CodePermitIssuedLocally     = "permit_issued_locally"
	CodePermitUnknown           = "permit_unknown" // note
	CodeRegistrationShort       = "registration_short"
	CodeRegistrationUnknown     = "registration_unknown" // note
	CodeConditionMissing        = "condition_missing"
	CodeResidenceMaterials      = "residence_materials_missing"
	CodeLeaseFilingMissing      = "lease_filing_missing"
	CodeEmploymentMaterials     = "employment_materials_missing"
	CodeStudyCertificateMissing = "study_certificate_missing"
	CodeMobileInvalid           = "mobile_invalid"
	CodeAddressTownInvalid      = "address_town_invalid"
	CodeAddressCommunityMissing = "address_community_missing"
	CodeAddressDetailMissing    = "address_detail_missing"
	CodeAddressDetailInvalid    = "address_detail_invalid"
	CodeEmployerUSCCInvalid     = "employer_uscc_invalid"
	CodeSchoolMissing           = "school_missing"
)

// entry is one row of the reason table.
type entry struct {
	code      string
	note      bool // a note for the reviewer and applicant, never a refusal
	zh, zhFix string
	en, enFix string
}

// table is THE reason table: every code with its Chinese message and remedy (what to bring or do) and the
// English texts. Its order is the order Check reports reasons in.
var table = []entry{
	{CodeIDNumberInvalid, false,
		"身份证号码校验未通过。", "请使用本人有效的居民身份证原件重新读卡；如仍不能通过，请到人工窗口办理。",
		"The ID number did not pass its check.", "Read your own valid ID card again; if it still fails, please go to a staffed counter."},
	{CodeCardExpired, false,
		"身份证件已超过有效期。", "请先到公安机关换领新的身份证件，再来申请。",
		"The ID card has expired.", "Renew your ID card at the police service first, then apply again."},
	{CodeCardNotYetValid, false,
		"身份证件尚未到有效期开始日期。", "请使用当前有效的身份证件，或到人工窗口咨询。",
		"The ID card is not valid yet.", "Use an ID card that is valid today, or ask at a staffed counter."},
	{CodeUnder16, false,
		"申请人未满16周岁，不能在自助终端办理。", "请由监护人陪同，携带户口簿或出生医学证明到人工窗口办理。",
		"The applicant is under 16 and cannot apply at the kiosk.", "Come to a staffed counter with a guardian and the household register or birth certificate."},
	{CodeRouteMissing, false,
		"未选择申请途径。", "请选择「持有浙江省居住证」或「省内居住登记满六个月」。",
		"No route was chosen.", "Choose \"Holding a Zhejiang residence permit\" or \"Six months of residence registration in Zhejiang\"."},
	{CodePermitNotFound, false,
		"未查询到申请人有效的浙江省居住证。", "请携带有效的浙江省居住证原件到人工窗口核实，或改选「省内居住登记满六个月」途径。",
		"No valid Zhejiang residence permit was found for the applicant.", "Bring your valid Zhejiang residence permit to a staffed counter, or choose the registration route instead."},
	{CodePermitOutsideZhejiang, false,
		"所持居住证不是浙江省内签发的，不能互认转换。", "请改选「省内居住登记满六个月」途径，或先在居住地办理居住登记。",
		"The residence permit was not issued in Zhejiang and cannot be recognised.", "Choose the registration route instead, or register your residence first."},
	{CodePermitIssuedLocally, false,
		"所持居住证由缙云县签发，已在本县有效，无需互认转换。", "无需办理本业务；如需签注或换领，请到人工窗口办理。",
		"The residence permit was issued by Jinyun County and is already valid here.", "No recognition is needed; for renewal please go to a staffed counter."},
	{CodePermitUnknown, true,
		"暂未能查询到省内居住证信息，将由审核人员核实。", "无需另行操作；请保管好居住证原件，审核人员可能与您联系。",
		"The provincial permit record could not be checked now; a reviewer will check it.", "Nothing to do now; keep your residence permit, a reviewer may contact you."},
	{CodeRegistrationShort, false,
		"在浙江省内连续居住登记不满六个月。", "请在连续居住登记满六个月后再申请；如持有有效的浙江省居住证，可改选「持有浙江省居住证」途径。",
		"Continuous residence registration in Zhejiang is shorter than six months.", "Apply again once you have six months of continuous registration, or choose the permit route if you hold a Zhejiang permit."},
	{CodeRegistrationUnknown, true,
		"暂未能查询到省内居住登记记录，将由审核人员核实。", "无需另行操作；审核人员将核实居住登记时间，可能与您联系。",
		"The provincial registration record could not be checked now; a reviewer will check it.", "Nothing to do now; a reviewer will check how long you have been registered and may contact you."},
	{CodeConditionMissing, false,
		"未选择申请条件（须从三项中选择一项）。", "请在「合法稳定住所」「合法稳定就业」「连续就读」中选择一项。",
		"No condition was chosen (choose exactly one of three).", "Choose one of: legal stable residence, legal stable employment, continuous schooling."},
	{CodeResidenceMaterials, false,
		"缺少合法稳定住所的证明材料。", "请提供以下任一项：不动产权证书（房屋所有权证）；房屋租赁合同及租赁登记备案证明；住宿证明。",
		"Proof of legal stable residence is missing.", "Provide one of: a property certificate; a lease contract with its lease filing certificate; an accommodation certificate."},
	{CodeLeaseFilingMissing, false,
		"已提供房屋租赁合同，但缺少租赁登记备案证明。", "请办理房屋租赁登记备案后提供备案证明，或改为提供不动产权证书或住宿证明。",
		"A lease contract was given but its lease filing certificate is missing.", "File the lease and bring the filing certificate, or provide a property or accommodation certificate instead."},
	{CodeEmploymentMaterials, false,
		"缺少合法稳定就业的证明材料。", "请提供以下任一项：劳动合同；社会保险缴纳记录；营业执照。",
		"Proof of legal stable employment is missing.", "Provide one of: a labour contract; a social insurance record; a business licence."},
	{CodeStudyCertificateMissing, false,
		"缺少学校出具的连续就读证明。", "请到就读学校开具连续就读证明后提供。",
		"The school's certificate of continuous study is missing.", "Ask your school for a certificate of continuous study and provide it."},
	{CodeMobileInvalid, false,
		"手机号码不正确。", "请填写本人正在使用的11位手机号码，用于接收办理结果短信。",
		"The mobile number is not valid.", "Enter your own 11-digit mobile number; the result is sent to it by SMS."},
	{CodeAddressTownInvalid, false,
		"居住地址不在缙云县的乡镇（街道）范围内。", "请从列表中选择您在缙云县居住的乡镇（街道）。",
		"The address is not in one of Jinyun County's towns or subdistricts.", "Choose the town or subdistrict of Jinyun where you live from the list."},
	{CodeAddressCommunityMissing, false,
		"未选择居住的社区（村），或所选社区（村）不在该乡镇（街道）的列表中。", "请从列表中选择您居住的社区（村）。",
		"No community or village was chosen, or it is not in the town's list.", "Choose your community or village from the list."},
	{CodeAddressDetailMissing, false,
		"未填写详细地址（楼幢号、门牌号、室号）。", "请用地址键盘填写楼幢号、门牌号和室号。",
		"The building and room of the address are missing.", "Enter the building, house and room number on the address keypad."},
	{CodeAddressDetailInvalid, false,
		"详细地址含有不允许的字符。", "详细地址只能包含数字和“号幢单元室栋楼弄巷-”，请重新填写。",
		"The address detail holds characters that are not allowed.", "Use digits and 号幢单元室栋楼弄巷- only, and enter it again."},
	{CodeEmployerUSCCInvalid, false,
		"用人单位的统一社会信用代码未填写或不正确。", "请核对营业执照或劳动合同上的18位统一社会信用代码后重新填写。",
		"The employer's unified social credit code is missing or not valid.", "Check the 18-character code on the business licence or labour contract and enter it again."},
	{CodeSchoolMissing, false,
		"未选择就读学校，或所选学校不在列表中。", "请从列表中选择您就读的学校；学校不在列表中的，请到人工窗口办理。",
		"No school was chosen, or it is not in the list.", "Choose your school from the list; if it is not there, please go to a staffed counter."},
}

var index = func() map[string]int {
	m := make(map[string]int, len(table))
	for i, e := range table {
		if _, dup := m[e.code]; dup {
			panic("eligibility: reason code twice: " + e.code)
		}
		m[e.code] = i
	}
	return m
}()

func reason(code string) Reason {
	e := table[index[code]]
	return kiosk.Reason{Code: e.code, Message: e.zh, Remedy: e.zhFix}
}

// Catalogue returns every reason (refusals and notes) with its Chinese message and remedy, in report order.
// The slice is a fresh copy.
func Catalogue() []Reason {
	out := make([]Reason, 0, len(table))
	for _, e := range table {
		out = append(out, kiosk.Reason{Code: e.code, Message: e.zh, Remedy: e.zhFix})
	}
	return out
}

// Lookup returns the reason with the code in Chinese, or false for an unknown code.
func Lookup(code string) (Reason, bool) {
	if _, ok := index[code]; !ok {
		return Reason{}, false
	}
	return reason(code), true
}

// English returns the English message and remedy of the reason code, or two empty strings for an unknown code.
func English(code string) (msg, remedy string) {
	i, ok := index[code]
	if !ok {
		return "", ""
	}
	return table[i].en, table[i].enFix
}

// IsNote reports whether code is a note (told to applicant and reviewer, never a refusal).
func IsNote(code string) bool {
	i, ok := index[code]
	return ok && table[i].note
}

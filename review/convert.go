package review

import (
	"time"

	"huren/kiosk"
	"huren/kiosk/eligibility"
	"huren/kiosk/idcard"
	"huren/sync/wire"
)

func eligibilityRulesVersion() string { return eligibility.RulesVersion }

func parseDate(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(time.DateOnly, s, kiosk.Shanghai)
	if err != nil {
		return time.Time{}
	}
	return t
}

func cardType(s string) idcard.CardType {
	switch s {
	case "hkmotw":
		return idcard.TypeHKMOTWResidence
	case "foreign":
		return idcard.TypeForeignPermanent
	}
	return idcard.TypeResident
}

// precheckFromWire converts a wire precheck.
func precheckFromWire(p wire.Precheck) kiosk.Precheck {
	return kiosk.Precheck{Known: p.Known, HasPermit: p.HasPermit, PermitCity: p.PermitCity,
		RegisteredSince: parseDate(p.RegisteredSince), Months: p.Months}
}

// applicationFromManifest rebuilds the domain application (without material bytes) for the eligibility re-check.
func applicationFromManifest(m wire.Manifest) kiosk.Application {
	a := kiosk.Application{
		Applicant: kiosk.Applicant{
			Name: m.Applicant.Name, Number: m.Applicant.Number, Sex: m.Applicant.Sex, Nation: m.Applicant.Nation,
			Birth: parseDate(m.Applicant.Birth), CardType: cardType(m.Applicant.CardType),
			ValidFrom: parseDate(m.Applicant.ValidFrom), ValidTo: parseDate(m.Applicant.ValidTo),
		},
		Route: kiosk.Route(m.Route), Condition: kiosk.Condition(m.Condition), Mobile: m.Mobile,
		Address:      kiosk.Address{TownCode: m.Address.TownCode, Town: m.Address.Town, Community: m.Address.Community, Detail: m.Address.Detail},
		EmployerUSCC: m.EmployerUSCC, SchoolCode: m.SchoolCode, SchoolName: m.SchoolName,
		Precheck: precheckFromWire(m.Precheck), NoticeVersion: m.NoticeVersion, CreatedAt: m.CreatedAt,
	}
	if r, err := kiosk.ParseReceipt(m.Receipt); err == nil {
		a.Receipt = r
	}
	for _, mr := range m.Materials {
		a.Materials = append(a.Materials, kiosk.Material{Kind: kiosk.MaterialKind(mr.Kind), Page: mr.Page,
			ContentType: mr.ContentType, SHA256: mr.SHA256, Size: mr.Size, Warnings: mr.Warnings})
	}
	return a
}

// recheck runs the eligibility rules on the manifest, with the provincial record the service sees now when
// it knows one.
func recheck(m wire.Manifest, reg wire.Precheck, today time.Time) eligibility.Result {
	a := applicationFromManifest(m)
	if reg.Known {
		a.Precheck = precheckFromWire(reg)
	}
	return eligibility.Check(eligibility.FromApplication(a), today)
}

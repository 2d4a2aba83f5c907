package sync

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/sync/wire"
)

const dateLayout = "2006-01-02"

// CardTypeWire is the wire name of a card type: resident, hkmotw or foreign.
func CardTypeWire(t idcard.CardType) string {
	switch t {
	case idcard.TypeHKMOTWResidence:
		return "hkmotw"
	case idcard.TypeForeignPermanent:
		return "foreign"
	}
	return "resident"
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(dateLayout)
}

// StatusTokenHash is hex(SHA-256(token)), what the server keeps of a status token.
func StatusTokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// BuildManifest makes the manifest of an application for kiosk kioskID. The result depends only on the
// application, so a retry sends the same bytes (the server answers 409 to a different manifest). Errors wrap
// ErrBadMaterial when a material's bytes do not match its recorded hash or size.
func BuildManifest(a kiosk.Application, kioskID string) (wire.Manifest, error) {
	if a.Receipt.IsZero() {
		return wire.Manifest{}, errors.New("build manifest: application has no receipt")
	}
	if a.StatusToken == "" {
		return wire.Manifest{}, fmt.Errorf("build manifest %s: no status token", a.Receipt)
	}
	m := wire.Manifest{
		Receipt: a.Receipt.String(),
		Kiosk:   kioskID,
		Applicant: wire.Applicant{
			Name: a.Applicant.Name, Number: a.Applicant.Number, Sex: a.Applicant.Sex, Nation: a.Applicant.Nation,
			Birth: date(a.Applicant.Birth), CardType: CardTypeWire(a.Applicant.CardType),
			ValidFrom: date(a.Applicant.ValidFrom), ValidTo: date(a.Applicant.ValidTo),
		},
		Route:     string(a.Route),
		Condition: string(a.Condition),
		Mobile:    a.Mobile,
		Address: wire.Address{TownCode: a.Address.TownCode, Town: a.Address.Town,
			Community: a.Address.Community, Detail: a.Address.Detail},
		EmployerUSCC: a.EmployerUSCC,
		SchoolCode:   a.SchoolCode,
		SchoolName:   a.SchoolName,
		Materials:    make([]wire.MaterialRef, 0, len(a.Materials)),
		Precheck: wire.Precheck{Known: a.Precheck.Known, HasPermit: a.Precheck.HasPermit,
			PermitCity: a.Precheck.PermitCity, RegisteredSince: date(a.Precheck.RegisteredSince),
			Months: a.Precheck.Months},
		NoticeVersion:   a.NoticeVersion,
		CreatedAt:       a.CreatedAt.In(kiosk.Shanghai),
		StatusTokenHash: StatusTokenHash(a.StatusToken),
	}
	for _, mat := range a.Materials {
		sum := wire.BodyHash(mat.Data)
		if mat.SHA256 != "" && !strings.EqualFold(mat.SHA256, sum) {
			return wire.Manifest{}, fmt.Errorf("build manifest %s: %s page %d: %w", a.Receipt, mat.Kind, mat.Page, ErrBadMaterial)
		}
		if mat.Size != 0 && mat.Size != int64(len(mat.Data)) {
			return wire.Manifest{}, fmt.Errorf("build manifest %s: %s page %d: size %d, have %d bytes: %w",
				a.Receipt, mat.Kind, mat.Page, mat.Size, len(mat.Data), ErrBadMaterial)
		}
		if len(mat.Data) > wire.MaxMaterialBytes {
			return wire.Manifest{}, fmt.Errorf("build manifest %s: %s page %d: %d bytes: %w",
				a.Receipt, mat.Kind, mat.Page, len(mat.Data), ErrBadMaterial)
		}
		m.Materials = append(m.Materials, wire.MaterialRef{
			Kind: string(mat.Kind), Page: mat.Page, SHA256: sum, Size: int64(len(mat.Data)),
			ContentType: contentType(mat), Warnings: mat.Warnings,
		})
	}
	return m, nil
}

// contentType is the material's content type, sniffed when the application does not say.
func contentType(m kiosk.Material) string {
	if m.ContentType != "" {
		return m.ContentType
	}
	return http.DetectContentType(m.Data)
}

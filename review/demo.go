package review

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"huren/kiosk/idcard"
	"huren/sync/wire"
)

// Demo credentials made by DemoSeed (documented in the README; never use them in production).
const (
	DemoReviewer         = "reviewer"
	DemoReviewerPassword = "huren-demo-2023"
	DemoStaff            = "staff"
	DemoStaffPIN         = "246810"
)

// demoNumber makes a checksum-valid ID number from 17 digits.
func demoNumber(first17 string) string { return first17 + string(idcard.CheckChar(first17)) }

// DemoRegistry is the demo provincial registry: ID numbers with their records. Kiosk demo cards whose
// numbers are not listed get "no record".
func DemoRegistry() map[string]wire.Precheck {
	return map[string]wire.Precheck{
		demoNumber("33112219900307123"): {Known: true, HasPermit: true, PermitCity: "杭州市", RegisteredSince: "2021-03-01", Months: 23},
		demoNumber("52010119880815201"): {Known: true, HasPermit: false, PermitCity: "", RegisteredSince: "2022-05-10", Months: 8},
		demoNumber("41010219950101302"): {Known: true, HasPermit: false, PermitCity: "", RegisteredSince: "2022-11-01", Months: 3},
		demoNumber("34010419920610404"): {Known: true, HasPermit: true, PermitCity: "宁波市", RegisteredSince: "2020-01-15", Months: 36},
	}
}

// AddRegistryRecords adds records to the demo provincial registry (for demo kiosks' sample cards).
// Errors come from the store.
func (s *Service) AddRegistryRecords(ctx context.Context, recs map[string]wire.Precheck) error {
	for id, p := range recs {
		if err := s.SetRegistryRecord(ctx, id, p); err != nil {
			return fmt.Errorf("registry %s: %w", idcard.MaskNumber(id), err)
		}
	}
	return nil
}

// DemoSeed fills the demo provincial registry, adds the demo reviewer (DemoReviewer / DemoReviewerPassword)
// and the demo staff PIN, and sets the hotline. It can run more than once. Errors come from the store.
func (s *Service) DemoSeed(ctx context.Context) error {
	if err := s.AddRegistryRecords(ctx, DemoRegistry()); err != nil {
		return fmt.Errorf("demo seed: %w", err)
	}
	if err := s.AddReviewer(ctx, DemoReviewer, DemoReviewerPassword); err != nil && !errors.Is(err, ErrExists) {
		return fmt.Errorf("demo seed: %w", err)
	}
	var n int
	if err := s.db.row(ctx, s.db.r, `SELECT COUNT(*) FROM staff_pins WHERE staff = ?`, DemoStaff).Scan(&n); err != nil {
		return fmt.Errorf("demo seed: %w", err)
	}
	if n == 0 {
		if err := s.SetStaffPIN(ctx, DemoStaff, DemoStaffPIN); err != nil {
			return fmt.Errorf("demo seed: %w", err)
		}
	}
	return s.SetSetting(ctx, "hotline", "12345")
}

// SetSetting stores one kiosk setting handed out with the config. Errors come from the store.
func (s *Service) SetSetting(ctx context.Context, key, value string) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.db.exec(ctx, tx, `DELETE FROM settings WHERE key = ?`, key); err != nil {
			return err
		}
		_, err := s.db.exec(ctx, tx, `INSERT INTO settings (key, value) VALUES (?, ?)`, key, value)
		return err
	})
}

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

// demoNumber makes a checksum-valid ID number from a region, a birth date (YYYYMMDD) and a sequence, the way
// kiosk/idcard/samsim builds its demo cards.
func demoNumber(region, birth string, seq int) string {
	s := fmt.Sprintf("%s%s%03d", region, birth, seq)
	return s + string(idcard.CheckChar(s))
}

// DemoRegistry is the demo provincial registry, keyed by ID number. It covers the sample cards of the kiosk's
// demo mode (samsim.DemoCards; a test keeps them in step):
//
//	张三   holds a Hangzhou residence permit (permit route works)
//	李四   8 months of registration in Zhejiang (registration route works)
//	王小明 child: no record
//	赵小红 registered 14 months (but the card has expired)
//	陈大文 registered 7 months
//	简·样本 registered 3 months (too short)
func DemoRegistry() map[string]wire.Precheck {
	return map[string]wire.Precheck{
		demoNumber("330102", "19850315", 13): {Known: true, HasPermit: true, PermitCity: "杭州市", RegisteredSince: "2021-09-01", Months: 27},
		demoNumber("522601", "19901102", 57): {Known: true, RegisteredSince: "2022-06-01", Months: 8},
		demoNumber("340102", "19700808", 22): {Known: true, RegisteredSince: "2021-12-01", Months: 14},
		demoNumber("810000", "19920701", 15): {Known: true, RegisteredSince: "2022-07-01", Months: 7},
		demoNumber("933826", "19880229", 2):  {Known: true, RegisteredSince: "2022-11-01", Months: 3},
		// The sample applicant of package reviewtest.
		"33112219900307123" + string(idcard.CheckChar("33112219900307123")): {Known: true, HasPermit: true, PermitCity: "杭州市", RegisteredSince: "2021-03-01", Months: 23},
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

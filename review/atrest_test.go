package review_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/review/reviewtest"
)

// The manifest (name, ID number, phone, address) is sealed at rest: the raw bytes of the database file and
// its WAL hold none of them, while the service still reads them back for reviewers and SMS.
func TestManifestSealedAtRest(t *testing.T) {
	e := reviewtest.Start(t)
	day := time.Date(2026, 3, 16, 10, 0, 0, 0, kiosk.Shanghai)
	r := kiosk.NewReceipt(1, day, 1).String()
	m, token, files := reviewtest.SampleApplication(r, "欧阳娜娜", 1, day)
	m.Address.Detail = "77号9幢3单元1201室"
	base := "33010219920505001" // not in the demo provincial registry (which is keyed by ID number)
	m.Applicant.Number = base + string(idcard.CheckChar(base))
	m.Applicant.Birth = "1992-05-05"
	if got := e.Deliver(t, m, files); got.State != string(kiosk.StateAccepted) {
		t.Fatalf("state %q", got.State)
	}
	st, err := e.Service.Status(context.Background(), r, token)
	if err != nil || st.MaskedName != "欧***" {
		t.Fatalf("status after sealing: %+v %v", st, err)
	}
	var raw []byte
	for _, f := range []string{"review.db", "review.db-wal"} {
		b, err := os.ReadFile(filepath.Join(e.Dir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if !bytes.Contains(raw, []byte(r)) {
		t.Fatal("the receipt number is not in the raw bytes: the scan reads the wrong files")
	}
	for _, secret := range []string{m.Applicant.Number, m.Applicant.Name, m.Mobile, m.Address.Detail} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("%q is in clear in the review database", secret)
		}
	}
	// The material images are sealed too: no blob file holds a run of a material's bytes, yet the service
	// (and through it the reviewer UI) reads each one back whole.
	var blobs [][]byte
	filepath.WalkDir(filepath.Join(e.Dir, "data", "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			blobs = append(blobs, b)
		}
		return nil
	})
	if len(blobs) != len(files) {
		t.Fatalf("%d blob files for %d materials: the scan reads the wrong folder", len(blobs), len(files))
	}
	for sum, f := range files {
		for _, b := range blobs {
			if bytes.Contains(b, f.Data[len(f.Data)/2:len(f.Data)/2+32]) {
				t.Errorf("material %s is in clear in the blob store", sum[:8])
			}
		}
		got, err := e.Service.Material(sum)
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("material %s read back: %d bytes, %v", sum[:8], len(got), err)
		}
	}
}

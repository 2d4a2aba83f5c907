package printing

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

func diag(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Diag(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDiagPDFDir(t *testing.T) {
	dir := t.TempDir()
	for _, doc := range []string{"receipt", "refusal", "test"} {
		code, out, errs := diag("print", "--sample", "--doc", doc, "--pdf-dir", dir)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", doc, code, errs)
		}
		path := strings.TrimSpace(out)
		b, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
			t.Errorf("%s: %q is not a PDF: %v", doc, path, err)
		}
	}
}

func TestDiagUsage(t *testing.T) {
	for _, args := range [][]string{
		{"print"}, {"print", "--pdf-dir", "x"}, {"--sample"}, {"--sample", "--pdf-dir", "a", "--cups", "q"},
		{"--sample", "--doc", "nope", "--pdf-dir", "a"}, {"--sample", "--size", "b5", "--pdf-dir", "a"},
		{"--sample", "--escpos", "lp0"},
	} {
		if code, _, errs := diag(args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

func TestDiagESCPOS(t *testing.T) {
	fp := startFakePrinter(t, stateReady)
	code, out, errs := diag("print", "--sample", "--escpos", fp.target())
	if code != 0 || !strings.Contains(out, fp.target()) {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if len(fp.received()) == 0 {
		t.Error("nothing printed")
	}
	fp2 := startFakePrinter(t, statePaperOut)
	code, _, errs = diag("print", "--sample", "--doc", "refusal", "--escpos", fp2.target(), "--raster-qr")
	if code != 1 || !strings.Contains(errs, "打印纸已用完") || !strings.Contains(errs, "out of paper") {
		t.Errorf("paper out: exit %d: %s", code, errs)
	}
	if len(fp2.received()) != 0 {
		t.Error("printed with paper out")
	}
}

func TestDiagCUPS(t *testing.T) {
	s := startCUPS(t)
	code, out, errs := diag("print", "--sample", "--cups", s.queue, "--cups-server", s.sock)
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), s.queue+"-") {
		t.Fatalf("exit %d: out %q err %q", code, out, errs)
	}
}

package samdiag

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"huren/kiosk/idcard"
	"huren/kiosk/idcard/samsim"
)

func TestDiagSimulate(t *testing.T) {
	for _, reveal := range []bool{false, true} {
		var out, errb bytes.Buffer
		args := []string{"--simulate"}
		if reveal {
			args = append(args, "--reveal")
		}
		if code := Diag(context.Background(), args, &out, &errb); code != 0 {
			t.Fatalf("exit %d, stderr %q", code, errb.String())
		}
		if strings.Count(out.String(), "\n") != 1 {
			t.Errorf("want one line, got %q", out.String())
		}
		var got map[string]string
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"type", "name", "sex", "nation", "number", "birth", "address", "authority", "valid_from", "valid_to"} {
			if _, ok := got[k]; !ok {
				t.Errorf("missing key %s", k)
			}
		}
		c := samsim.DemoCards()[0]
		wantName, wantNo := idcard.MaskName(c.Name), idcard.MaskNumber(c.Number)
		if reveal {
			wantName, wantNo = c.Name, c.Number
		}
		if got["name"] != wantName || got["number"] != wantNo {
			t.Errorf("reveal=%v: name %q number %q", reveal, got["name"], got["number"])
		}
		if got["birth"] != "1985-03-15" || got["valid_to"] != "2035-06-01" || got["type"] != "居民身份证" || got["nation"] != "汉" {
			t.Errorf("fields: %v", got)
		}
	}
}

func TestResultLongTerm(t *testing.T) {
	c := samsim.DemoCards()[0]
	c.ValidTo = time.Time{} // 长期
	r := NewResult(c, false)
	if r.ValidTo != "" || r.ValidFrom != "2015-06-01" {
		t.Errorf("long-term: %+v", r)
	}
}

func TestDiagPort(t *testing.T) {
	cards := samsim.DemoCards()
	sim, err := samsim.Start(cards[4])
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	var out, errb bytes.Buffer
	if code := Diag(context.Background(), []string{"--port", sim.Path(), "--baud", "115200", "--reveal"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got Result
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "港澳台居民居住证" || got.Number != cards[4].Number || got.Nation != "" {
		t.Errorf("got %+v", got)
	}
	sim.SetFault(samsim.FaultSelfTest)
	out.Reset()
	errb.Reset()
	if code := Diag(context.Background(), []string{"--port", sim.Path()}, &out, &errb); code != 2 {
		t.Fatalf("self-test fault: exit %d", code)
	}
	if !strings.HasPrefix(errb.String(), "读卡器故障") {
		t.Errorf("stderr %q", errb.String())
	}
}

func TestDiagErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"--port", "/dev/x", "--simulate"}, {"--bogus"}, {"--port", "/nonexistent/tty"}} {
		var out, errb bytes.Buffer
		if code := Diag(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
		if out.Len() != 0 || errb.Len() == 0 {
			t.Errorf("%v: stdout %q stderr %q", args, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	Diag(context.Background(), []string{"--port", "/nonexistent/tty"}, &out, &errb)
	if !strings.HasPrefix(errb.String(), "无法打开读卡器") {
		t.Errorf("stderr %q", errb.String())
	}
}

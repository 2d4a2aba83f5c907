package places

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTowns(t *testing.T) {
	ts := Towns()
	if len(ts) != 18 {
		t.Fatalf("%d towns, want 18", len(ts))
	}
	seen := map[string]bool{}
	for i, tw := range ts {
		if len(tw.Code) != 9 || !strings.HasPrefix(tw.Code, "331122") {
			t.Errorf("town %s: code %q", tw.Name, tw.Code)
		}
		if i > 0 && ts[i-1].Code >= tw.Code {
			t.Errorf("towns not in code order at %s", tw.Code)
		}
		if seen[tw.Name] || !(strings.HasSuffix(tw.Name, "街道") || strings.HasSuffix(tw.Name, "镇") || strings.HasSuffix(tw.Name, "乡")) {
			t.Errorf("town name %q", tw.Name)
		}
		seen[tw.Name] = true
		if n := len(tw.Communities); n < 3 || n > 5 {
			t.Errorf("town %s: %d sample communities", tw.Name, n)
		}
	}
	if tw, ok := TownByCode("331122001"); !ok || tw.Name != "五云街道" {
		t.Errorf("TownByCode(331122001) = %v, %v", tw, ok)
	}
	if tw, ok := TownByCode("331122212"); !ok || tw.Name != "石笕乡" {
		t.Errorf("TownByCode(331122212) = %v, %v", tw, ok)
	}
	for _, c := range []string{"", "331122", "331122104", "331102001"} {
		if _, ok := TownByCode(c); ok {
			t.Errorf("TownByCode(%q) found", c)
		}
	}
}

func TestTownsReturnsCopies(t *testing.T) {
	ts := Towns()
	ts[0].Communities[0] = "changed"
	if tw, _ := TownByCode(ts[0].Code); tw.Communities[0] == "changed" {
		t.Error("Towns shares its lists with the caller")
	}
	s := Schools()
	s[0].Name = "changed"
	if Schools()[0].Name == "changed" {
		t.Error("Schools shares its list with the caller")
	}
}

func TestSchools(t *testing.T) {
	s := Schools()
	if len(s) == 0 {
		t.Fatal("no schools")
	}
	for _, sc := range s {
		if got, ok := SchoolByCode(sc.Code); !ok || got != sc {
			t.Errorf("SchoolByCode(%s) = %v, %v", sc.Code, got, ok)
		}
	}
	if _, ok := SchoolByCode(""); ok {
		t.Error("empty school code found")
	}
}

func TestLoadCommunities(t *testing.T) {
	t.Cleanup(ResetSample)
	csv := "\ufefftown_code,community\n331122001,新社区甲\n331122001,新社区乙\n331122101, 壶镇新村\n"
	if err := LoadCommunities(strings.NewReader(csv)); err != nil {
		t.Fatal(err)
	}
	tw, _ := TownByCode("331122001")
	if strings.Join(tw.Communities, ",") != "新社区甲,新社区乙" {
		t.Errorf("五云街道 communities = %v", tw.Communities)
	}
	if !HasCommunity("331122101", "壶镇新村") || HasCommunity("331122001", "城东社区") {
		t.Error("HasCommunity after load wrong")
	}
	if tw, _ := TownByCode("331122002"); len(tw.Communities) != 0 {
		t.Errorf("town without rows keeps %v", tw.Communities)
	}
	ResetSample()
	if !HasCommunity("331122001", "城东社区") {
		t.Error("ResetSample did not restore the sample")
	}
}

func TestLoadErrorsLeaveListsAlone(t *testing.T) {
	t.Cleanup(ResetSample)
	for name, csv := range map[string]string{
		"unknown town": "331122999,甲社区\n",
		"empty cell":   "331122001,\n",
		"duplicate":    "331122001,甲\n331122001,甲\n",
		"three fields": "331122001,甲,乙\n",
		"no rows":      "town_code,community\n",
		"empty":        "",
	} {
		if err := LoadCommunities(strings.NewReader(csv)); !errors.Is(err, ErrInvalid) {
			t.Errorf("LoadCommunities %s: %v, want ErrInvalid", name, err)
		}
	}
	if !HasCommunity("331122001", "城东社区") {
		t.Error("a failed load changed the lists")
	}
	for name, csv := range map[string]string{
		"duplicate code": "S1,甲\nS1,乙\n",
		"empty name":     "S1,\n",
		"no rows":        "code,name\n",
	} {
		if err := LoadSchools(strings.NewReader(csv)); !errors.Is(err, ErrInvalid) {
			t.Errorf("LoadSchools %s: %v, want ErrInvalid", name, err)
		}
	}
	if len(Schools()) != len(sampleSchools) {
		t.Error("a failed load changed the schools")
	}
}

func TestLoadSchools(t *testing.T) {
	t.Cleanup(ResetSample)
	if err := LoadSchools(strings.NewReader("code,name\nX1,甲学校\nX2,乙学校\n")); err != nil {
		t.Fatal(err)
	}
	if s := Schools(); len(s) != 2 || s[1] != (School{"X2", "乙学校"}) {
		t.Errorf("Schools() = %v", s)
	}
	if _, ok := SchoolByCode("JY-S01"); ok {
		t.Error("sample school still there after load")
	}
}

func FuzzLoadCommunities(f *testing.F) {
	f.Add("town_code,community\n331122001,城东社区\n")
	f.Add("331122001,甲\n331122001,甲\n")
	f.Add("331122999,甲\n")
	f.Add("\"331122001\",\"a,b\"\n")
	f.Fuzz(func(t *testing.T, data string) {
		defer ResetSample()
		if err := LoadCommunities(strings.NewReader(data)); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if !HasCommunity("331122001", "城东社区") {
				t.Fatal("failed load changed the lists")
			}
			return
		}
		n := 0
		for _, tw := range Towns() {
			for _, c := range tw.Communities {
				if strings.TrimSpace(c) == "" || !HasCommunity(tw.Code, c) {
					t.Fatalf("town %s: community %q", tw.Code, c)
				}
				n++
			}
		}
		if n == 0 {
			t.Fatal("a successful load left no communities")
		}
	})
}

func TestLoadFiles(t *testing.T) {
	t.Cleanup(ResetSample)
	dir := t.TempDir()
	c := filepath.Join(dir, "communities.csv")
	os.WriteFile(c, []byte("town_code,community\n331122001,仙都路社区\n"), 0o644)
	if err := LoadFiles(c, ""); err != nil {
		t.Fatal(err)
	}
	if !HasCommunity("331122001", "仙都路社区") || HasCommunity("331122001", "城东社区") {
		t.Fatal("the county's list did not replace the sample")
	}
	if err := LoadFiles(filepath.Join(dir, "missing.csv"), ""); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Fatalf("a missing file: %v", err)
	}
	if !HasCommunity("331122001", "仙都路社区") {
		t.Fatal("a failed load changed the list")
	}
}

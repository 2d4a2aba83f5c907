// Package places holds Jinyun County's reference lists: its towns and subdistricts (乡镇街道), the communities
// and villages in each, and the schools an applicant may name for the schooling condition.
//
// The towns are real: the 18 towns, subdistricts and townships of Jinyun County (331122) with their 9-digit
// division codes (National Bureau of Statistics division codes), taken from the project's shared
// administrative-division data, file divisions/jinyun-streets.csv (WTFPL), and re-entered here as a Go table.
//
// The communities and the schools are SAMPLE DATA for demonstration only: the shared data has no community
// list and no school list. They are generic, plausible names, not the county's official lists. A deployment
// must replace them with the county's lists via LoadCommunities and LoadSchools (CSV) before going live.
package places

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Town is a town, subdistrict or township of Jinyun County.
type Town struct {
	Code        string   // 9-digit division code, e.g. 331122001
	Name        string   // 五云街道
	Communities []string // communities and villages (SAMPLE data unless LoadCommunities was called)
}

// School is a school an applicant may name for the schooling condition.
type School struct {
	Code string // our code, e.g. JY-S01 (SAMPLE data unless LoadSchools was called)
	Name string
}

// ErrInvalid is returned (wrapped) by LoadCommunities and LoadSchools for data that does not fit.
var ErrInvalid = errors.New("invalid place data")

// towns: Jinyun's 18 towns/subdistricts/townships (source named in the package comment).
var towns = [...]struct{ code, name string }{
	{"331122001", "五云街道"},
	{"331122002", "新碧街道"},
	{"331122003", "仙都街道"},
	{"331122101", "壶镇镇"},
	{"331122102", "新建镇"},
	{"331122103", "舒洪镇"},
	{"331122105", "大洋镇"},
	{"331122106", "东渡镇"},
	{"331122107", "东方镇"},
	{"331122108", "大源镇"},
	{"331122203", "七里乡"},
	{"331122206", "前路乡"},
	{"331122207", "三溪乡"},
	{"331122208", "溶江乡"},
	{"331122209", "双溪口乡"},
	{"331122210", "胡源乡"},
	{"331122211", "方溪乡"},
	{"331122212", "石笕乡"},
}

// sampleCommunities is SAMPLE / DEMO DATA to be replaced by the county's list (LoadCommunities): generic
// community and village names, NOT the official list of any town.
var sampleCommunities = map[string][]string{
	"331122001": {"城东社区", "城西社区", "城南社区", "城北社区"},
	"331122002": {"新华社区", "碧川社区", "新村社区"},
	"331122003": {"仙都社区", "河阳社区", "溪口村"},
	"331122101": {"壶镇社区", "东街社区", "西街社区", "工业区社区"},
	"331122102": {"新建社区", "新东村", "新西村"},
	"331122103": {"舒洪社区", "上村", "下村"},
	"331122105": {"大洋社区", "前村", "后村"},
	"331122106": {"东渡社区", "东村", "西村"},
	"331122107": {"东方社区", "上街村", "下街村"},
	"331122108": {"大源社区", "源头村", "源口村"},
	"331122203": {"七里村", "前山村", "后山村"},
	"331122206": {"前路村", "上洋村", "下洋村"},
	"331122207": {"三溪村", "溪东村", "溪西村"},
	"331122208": {"溶江村", "江东村", "江西村"},
	"331122209": {"双溪口村", "溪头村", "溪尾村"},
	"331122210": {"胡源村", "上源村", "下源村"},
	"331122211": {"方溪村", "东坑村", "西坑村"},
	"331122212": {"石笕村", "上笕村", "下笕村"},
}

// sampleSchools is SAMPLE / DEMO DATA to be replaced by the county's list (LoadSchools). The codes are ours.
var sampleSchools = []School{
	{"JY-S01", "浙江省缙云中学"},
	{"JY-S02", "缙云县职业中等专业学校"},
	{"JY-S03", "缙云县壶镇中学"},
	{"JY-S04", "缙云县实验中学"},
	{"JY-S05", "缙云县五云小学"},
	{"JY-S06", "缙云县新碧小学"},
}

var (
	mu          sync.RWMutex
	communities = cloneMap(sampleCommunities)
	schools     = append([]School(nil), sampleSchools...)
)

func cloneMap(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Towns returns Jinyun's towns and subdistricts in division-code order, each with its communities. The slice
// is a fresh copy.
func Towns() []Town {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Town, 0, len(towns))
	for _, t := range towns {
		out = append(out, Town{Code: t.code, Name: t.name, Communities: append([]string(nil), communities[t.code]...)})
	}
	return out
}

// TownByCode returns the town with the 9-digit division code, or false.
func TownByCode(code string) (Town, bool) {
	for _, t := range towns {
		if t.code == code {
			mu.RLock()
			defer mu.RUnlock()
			return Town{Code: t.code, Name: t.name, Communities: append([]string(nil), communities[t.code]...)}, true
		}
	}
	return Town{}, false
}

// Schools returns the school list (a fresh copy).
func Schools() []School {
	mu.RLock()
	defer mu.RUnlock()
	return append([]School(nil), schools...)
}

// SchoolByCode returns the school with the code, or false.
func SchoolByCode(code string) (School, bool) {
	mu.RLock()
	defer mu.RUnlock()
	for _, s := range schools {
		if s.Code == code {
			return s, true
		}
	}
	return School{}, false
}

// readCSV reads two-column rows, skipping a header row whose first cell is header.
func readCSV(r io.Reader, header string) ([][2]string, error) {
	cr := csv.NewReader(io.LimitReader(r, 4<<20))
	cr.FieldsPerRecord = 2
	cr.TrimLeadingSpace = true
	var rows [][2]string
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read csv: %v: %w", err, ErrInvalid)
		}
		a, b := strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")), strings.TrimSpace(rec[1])
		if line == 1 && a == header {
			continue
		}
		if a == "" || b == "" {
			return nil, fmt.Errorf("line %d: empty cell: %w", line, ErrInvalid)
		}
		rows = append(rows, [2]string{a, b})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no rows: %w", ErrInvalid)
	}
	return rows, nil
}

// LoadCommunities replaces every town's community list with the rows of a CSV file "town_code,community"
// (an optional header row "town_code,community"; UTF-8). Towns without rows get an empty list. On error
// (ErrInvalid wrapped: an unknown town code, an empty cell, a duplicate, no rows) nothing changes.
func LoadCommunities(r io.Reader) error {
	rows, err := readCSV(r, "town_code")
	if err != nil {
		return fmt.Errorf("load communities: %w", err)
	}
	m := map[string][]string{}
	seen := map[[2]string]bool{}
	for _, row := range rows {
		if _, ok := TownByCode(row[0]); !ok {
			return fmt.Errorf("load communities: unknown town %q: %w", row[0], ErrInvalid)
		}
		if seen[row] {
			return fmt.Errorf("load communities: %s %s twice: %w", row[0], row[1], ErrInvalid)
		}
		seen[row] = true
		m[row[0]] = append(m[row[0]], row[1])
	}
	mu.Lock()
	communities = m
	mu.Unlock()
	return nil
}

// LoadSchools replaces the school list with the rows of a CSV file "code,name" (an optional header row
// "code,name"; UTF-8). On error (ErrInvalid wrapped: an empty cell, a duplicate code, no rows) nothing changes.
func LoadSchools(r io.Reader) error {
	rows, err := readCSV(r, "code")
	if err != nil {
		return fmt.Errorf("load schools: %w", err)
	}
	var list []School
	seen := map[string]bool{}
	for _, row := range rows {
		if seen[row[0]] {
			return fmt.Errorf("load schools: code %q twice: %w", row[0], ErrInvalid)
		}
		seen[row[0]] = true
		list = append(list, School{Code: row[0], Name: row[1]})
	}
	mu.Lock()
	schools = list
	mu.Unlock()
	return nil
}

// ResetSample restores the built-in sample communities and schools (for tests and demo mode).
func ResetSample() {
	mu.Lock()
	communities = cloneMap(sampleCommunities)
	schools = append([]School(nil), sampleSchools...)
	mu.Unlock()
}

// HasCommunity reports whether community is in the list of the town with code townCode.
func HasCommunity(townCode, community string) bool {
	mu.RLock()
	defer mu.RUnlock()
	for _, c := range communities[townCode] {
		if c == community {
			return true
		}
	}
	return false
}

// LoadFiles replaces the sample communities and schools with the county's lists from CSV files (see
// LoadCommunities and LoadSchools); an empty path keeps that list as it is. The kiosks and the review service
// must load the same files. Errors name the file.
func LoadFiles(communities, schools string) error {
	load := func(path string, fn func(io.Reader) error) error {
		if path == "" {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("places: %w", err)
		}
		defer f.Close()
		if err := fn(f); err != nil {
			return fmt.Errorf("places %s: %w", path, err)
		}
		return nil
	}
	if err := load(communities, LoadCommunities); err != nil {
		return err
	}
	return load(schools, LoadSchools)
}

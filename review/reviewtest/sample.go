package reviewtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/sync/wire"
)

// Material is one material's bytes with its content type.
type Material struct {
	ContentType string
	Data        []byte
}

// SampleJPEG returns a small distinct JPEG for seed.
func SampleJPEG(seed string) []byte {
	h := sha256.Sum256([]byte(seed))
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{h[0] ^ byte(x), h[1] ^ byte(y), h[2], 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// SampleNumber is a checksum-valid ID number known to the demo registry (holds a Hangzhou permit).
var SampleNumber = "33112219900307123" + string(idcard.CheckChar("33112219900307123"))

// SampleReceipt is receipt seq n of kiosk K001 on day.
func SampleReceipt(day time.Time, n int) string { return kiosk.NewReceipt(1, day, n).String() }

// SampleApplication returns an eligible manifest (permit route, residence, property certificate, nMaterials
// pages) for receipt and applicant name, its status token, and the material bytes by SHA-256.
func SampleApplication(receipt, name string, nMaterials int, created time.Time) (wire.Manifest, string, map[string]Material) {
	token := kiosk.NewStatusToken()
	th := sha256.Sum256([]byte(token))
	m := wire.Manifest{
		Receipt: receipt, Kiosk: "K001",
		Applicant: wire.Applicant{Name: name, Number: SampleNumber, Sex: "男", Nation: "汉", Birth: "1990-03-07",
			CardType: "resident", ValidFrom: "2015-01-01", ValidTo: "2035-01-01"},
		Route: string(kiosk.RoutePermit), Condition: string(kiosk.ConditionResidence), Mobile: "13800138000",
		Address:       wire.Address{TownCode: "331122001", Town: "五云街道", Community: "城北社区", Detail: "12幢3单元501室"},
		Precheck:      wire.Precheck{Known: true, HasPermit: true, PermitCity: "杭州市", RegisteredSince: "2021-03-01", Months: 23},
		NoticeVersion: "2023-1", CreatedAt: created, StatusTokenHash: hex.EncodeToString(th[:]),
	}
	files := map[string]Material{}
	for i := 1; i <= nMaterials; i++ {
		data := SampleJPEG(receipt + "/" + string(rune('0'+i)))
		h := sha256.Sum256(data)
		sum := hex.EncodeToString(h[:])
		files[sum] = Material{ContentType: wire.ContentJPEG, Data: data}
		m.Materials = append(m.Materials, wire.MaterialRef{Kind: string(kiosk.MaterialProperty), Page: i, SHA256: sum,
			Size: int64(len(data)), ContentType: wire.ContentJPEG})
	}
	return m, token, files
}

// Deliver sends the manifest, every material and the submit as kiosk K001, failing the test on any non-200
// answer, and returns the submit answer.
func (e *Env) Deliver(t testing.TB, m wire.Manifest, files map[string]Material) wire.SubmitResponse {
	t.Helper()
	body, _ := json.Marshal(m)
	base := wire.BasePath + "/applications/" + m.Receipt
	if code, b := e.Do(t, http.MethodPut, base, body, "application/json"); code != http.StatusOK {
		t.Fatalf("reviewtest: manifest: %d %s", code, b)
	}
	for sum, f := range files {
		if code, b := e.Do(t, http.MethodPut, base+"/materials/"+sum, f.Data, f.ContentType); code != http.StatusOK {
			t.Fatalf("reviewtest: material: %d %s", code, b)
		}
	}
	code, b := e.Do(t, http.MethodPost, base+"/submit", nil, "")
	if code != http.StatusOK {
		t.Fatalf("reviewtest: submit: %d %s", code, b)
	}
	var sr wire.SubmitResponse
	if err := json.Unmarshal(b, &sr); err != nil {
		t.Fatalf("reviewtest: submit answer: %v", err)
	}
	return sr
}

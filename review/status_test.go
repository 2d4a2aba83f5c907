package review_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"huren/review"
	"huren/review/reviewtest"
	"huren/sync/wire"
)

func get(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestStatusAPIAndPage(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, _ := startAt(t, o, t0)
		m, token, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 1), "欧阳娜娜", 1, t0)
		e.Deliver(t, m, files)
		q := "?t=" + url.QueryEscape(token)
		code, body, _ := get(t, nil, e.URL+wire.BasePath+"/status/"+m.Receipt+q)
		var st wire.Status
		json.Unmarshal([]byte(body), &st)
		if code != 200 || st.State != "accepted" || st.StateLabel != "已受理" || st.MaskedName != "欧***" || st.DueAt.IsZero() || st.AcceptedAt.IsZero() || st.Next == "" {
			t.Errorf("status json: %d %s", code, body)
		}
		if strings.Contains(body, "欧阳娜娜") || strings.Contains(body, reviewtest.SampleNumber) || strings.Contains(body, "13800138000") {
			t.Errorf("status leaks personal data: %s", body)
		}
		code, page, h := get(t, nil, e.URL+"/s/"+m.Receipt+q)
		if code != 200 || !strings.Contains(page, "已受理") || !strings.Contains(page, "欧***") || !strings.Contains(page, "2023-03-17 23:59") ||
			!strings.Contains(page, "2023-03-15 10:00") || !strings.Contains(page, "2个工作日") {
			t.Errorf("status page: %d %s", code, page)
		}
		if strings.Contains(page, "欧阳娜娜") || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("status page leaks or lacks CSP")
		}
		// Wrong, missing, empty token and unknown receipt: all 404 alike.
		bad := []string{
			wire.BasePath + "/status/" + m.Receipt + "?t=AAAAAAAAAAAAAAAAAAAAAA",
			wire.BasePath + "/status/" + m.Receipt,
			wire.BasePath + "/status/" + m.Receipt + "?t=",
			wire.BasePath + "/status/" + reviewtest.SampleReceipt(t0, 2) + q,
			wire.BasePath + "/status/garbage" + q,
		}
		var bodies []string
		for _, p := range bad {
			code, b, _ := get(t, nil, e.URL+p)
			if code != 404 {
				t.Errorf("%s: %d %s", p, code, b)
			}
			bodies = append(bodies, b)
		}
		for _, b := range bodies[1:] {
			if b != bodies[0] {
				t.Errorf("404 bodies differ: %q vs %q", b, bodies[0])
			}
		}
		if code, page, _ := get(t, nil, e.URL+"/s/"+m.Receipt+"?t=wrong"); code != 404 || !strings.Contains(page, "未找到") {
			t.Errorf("page wrong token: %d", code)
		}
	})
}

func TestStatusRateLimit(t *testing.T) {
	e := reviewtest.StartWith(t, review.Options{StatusRate: 0.01}) // burst 1, refill every 100 s
	u := e.URL + wire.BasePath + "/status/" + reviewtest.SampleReceipt(t0, 1) + "?t=x"
	if code, b, _ := get(t, nil, u); code != 404 {
		t.Fatalf("first: %d %s", code, b)
	}
	code, b, h := get(t, nil, u)
	if code != 429 || h.Get("Retry-After") == "" || !strings.Contains(b, wire.CodeRateLimited) {
		t.Errorf("second: %d %s", code, b)
	}
	if code, page, _ := get(t, nil, e.URL+"/s/"+reviewtest.SampleReceipt(t0, 1)+"?t=x"); code != 429 || !strings.Contains(page, "查询过于频繁") {
		t.Errorf("page: %d", code)
	}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token in page:\n%s", page)
	}
	return m[1]
}

func post(t *testing.T, c *http.Client, u string, v url.Values) (int, string) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func login(t *testing.T, e *reviewtest.Env) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, page, _ := get(t, c, e.URL+"/review/login")
	code, page := post(t, c, e.URL+"/review/login", url.Values{"csrf": {csrfOf(t, page)}, "name": {review.DemoReviewer}, "password": {review.DemoReviewerPassword}})
	if code != 200 || !strings.Contains(page, "待审队列") {
		t.Fatalf("login: %d %s", code, page)
	}
	return c, csrfOf(t, page)
}

func TestReviewerUI(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, _ := startAt(t, o, t0)
		ctx := context.Background()
		m, token, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 1), "<script>alert(1)</script>", 2, t0)
		e.Deliver(t, m, files)

		// Not logged in: redirected to the login page.
		code, page, _ := get(t, nil, e.URL+"/review/queue")
		if code != 200 || !strings.Contains(page, "审核人员登录") {
			t.Fatalf("anonymous queue: %d", code)
		}
		// Login without the CSRF token is refused.
		jar, _ := cookiejar.New(nil)
		c0 := &http.Client{Jar: jar}
		get(t, c0, e.URL+"/review/login")
		if code, _ := post(t, c0, e.URL+"/review/login", url.Values{"name": {review.DemoReviewer}, "password": {review.DemoReviewerPassword}}); code != 403 {
			t.Errorf("login without csrf: %d", code)
		}

		c, csrf := login(t, e)
		_, q, _ := get(t, c, e.URL+"/review/queue")
		if !strings.Contains(q, m.Receipt) || strings.Contains(q, "<script>alert") || !strings.Contains(q, "&lt;*") {
			t.Errorf("queue page: %s", q)
		}
		resp, _ := c.Get(e.URL + "/review/queue")
		resp.Body.Close()
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
			t.Errorf("csp %q", csp)
		}
		_, ap, _ := get(t, c, e.URL+"/review/app/"+m.Receipt)
		if strings.Contains(ap, "<script>alert") || strings.Contains(ap, reviewtest.SampleNumber) || !strings.Contains(ap, "331***********") {
			t.Errorf("app page leaks or lacks mask")
		}
		for sum := range files {
			if !strings.Contains(ap, "/material/"+sum) {
				t.Errorf("material %s not shown", sum[:8])
			}
			code, body, h := get(t, c, e.URL+"/review/app/"+m.Receipt+"/material/"+sum)
			if code != 200 || h.Get("Content-Type") != "image/jpeg" || body != string(files[sum].Data) {
				t.Errorf("material fetch: %d %s", code, h.Get("Content-Type"))
			}
			if code, _, _ := get(t, nil, e.URL+"/review/app/"+m.Receipt+"/material/"+sum); code != 200 {
				// anonymous: redirected to login (200 login page), never the image
			}
		}
		// Opening it moved it to in_review; the status page still says it was accepted.
		if st, _ := e.Service.Status(ctx, m.Receipt, token); st.State != "in_review" {
			t.Errorf("state after opening: %s", st.State)
		}
		if _, sp, _ := get(t, nil, e.URL+"/s/"+m.Receipt+"?t="+url.QueryEscape(token)); !strings.Contains(sp, "审核中") || !strings.Contains(sp, `<li class="done">已受理</li>`) {
			t.Errorf("in-review status page: %s", sp)
		}
		// Reveal without CSRF: refused; with: the full number, audited.
		if code, _ := post(t, c, e.URL+"/review/app/"+m.Receipt+"/reveal", url.Values{}); code != 403 {
			t.Errorf("reveal without csrf: %d", code)
		}
		code, rp := post(t, c, e.URL+"/review/app/"+m.Receipt+"/reveal", url.Values{"csrf": {csrf}})
		if code != 200 || !strings.Contains(rp, reviewtest.SampleNumber) {
			t.Errorf("reveal: %d", code)
		}
		log, _ := e.Service.AuditLog(ctx, 50)
		found := false
		for _, a := range log {
			if a.Action == "review.reveal_id" && a.Receipt == m.Receipt && a.Actor == review.DemoReviewer {
				found = true
			}
		}
		if !found {
			t.Error("reveal not audited")
		}
		// Reject with no reason: an error, nothing decided.
		code, dp := post(t, c, e.URL+"/review/app/"+m.Receipt+"/decide", url.Values{"csrf": {csrf}, "action": {"reject"}})
		if code != 400 || !strings.Contains(dp, "至少选择一项理由") {
			t.Errorf("reject without reason: %d", code)
		}
		code, _ = post(t, c, e.URL+"/review/app/"+m.Receipt+"/decide", url.Values{"csrf": {csrf}, "action": {"reject"},
			"reason": {"lease_filing_missing", "school_missing"}, "note": {"<b>bold</b>"}})
		if code != 200 {
			t.Errorf("reject: %d", code)
		}
		_, sp, _ := get(t, nil, e.URL+"/s/"+m.Receipt+"?t="+url.QueryEscape(token))
		if !strings.Contains(sp, "租赁登记备案证明") || !strings.Contains(sp, "未选择就读学校") || !strings.Contains(sp, "&lt;b&gt;bold") {
			t.Errorf("status page after rejection: %s", sp)
		}
		for _, p := range []string{"/review/fleet", "/review/audit"} {
			if code, pg, _ := get(t, c, e.URL+p); code != 200 || !strings.Contains(pg, "<table") {
				t.Errorf("%s: %d", p, code)
			}
		}
		// Logout ends the session.
		post(t, c, e.URL+"/review/logout", url.Values{"csrf": {csrf}})
		if _, pg, _ := get(t, c, e.URL+"/review/queue"); !strings.Contains(pg, "审核人员登录") {
			t.Error("still logged in after logout")
		}
	})
}

func TestLoginLockout(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, clock := startAt(t, o, t0)
		ctx := context.Background()
		for i := 0; i < 4; i++ {
			if _, err := e.Service.Login(ctx, review.DemoReviewer, "wrong-password"); err != review.ErrLogin {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		if _, err := e.Service.Login(ctx, review.DemoReviewer, "wrong-password"); err != review.ErrLocked {
			t.Fatalf("5th failure: %v", err)
		}
		if _, err := e.Service.Login(ctx, review.DemoReviewer, review.DemoReviewerPassword); err != review.ErrLocked {
			t.Fatalf("right password while locked: %v", err)
		}
		clock.Add(16 * 60e9)
		if tok, err := e.Service.Login(ctx, review.DemoReviewer, review.DemoReviewerPassword); err != nil || tok == "" {
			t.Fatalf("after lockout: %v", err)
		}
		if _, err := e.Service.Login(ctx, "nobody", "whatever-pass"); err != review.ErrLogin {
			t.Errorf("unknown user: %v", err)
		}
	})
}

func TestSecureCookieUnderTLS(t *testing.T) {
	e := reviewtest.Start(t)
	srv := httptest.NewTLSServer(e.Service.Handler())
	defer srv.Close()
	c := srv.Client()
	resp, err := c.Get(srv.URL + "/review/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ck := resp.Header.Get("Set-Cookie")
	if !strings.Contains(ck, "Secure") || !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Strict") {
		t.Errorf("login cookie under TLS: %q", ck)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS under TLS")
	}
	// Plain HTTP: HttpOnly and SameSite, not Secure (it would never be sent back).
	resp, err = http.Get(e.URL + "/review/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ck := resp.Header.Get("Set-Cookie"); strings.Contains(ck, "Secure") || !strings.Contains(ck, "SameSite=Strict") {
		t.Errorf("login cookie over HTTP: %q", ck)
	}
}

func TestAutomaticChecksShown(t *testing.T) {
	e, _ := startAt(t, review.Options{}, t0)
	m, _, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 1), "钱二", 1, t0)
	m.Materials[0].Kind = "lease_contract" // lease without its filing certificate
	m.Materials[0].Warnings = []string{"blur"}
	e.Deliver(t, m, files)
	c, _ := login(t, e)
	_, page, _ := get(t, c, e.URL+"/review/app/"+m.Receipt)
	for _, want := range []string{"自动核验", "lease_filing_missing", "租赁登记备案证明", "图像模糊", "杭州市", "23 个月"} {
		if !strings.Contains(page, want) {
			t.Errorf("application page lacks %q", want)
		}
	}
}

package review_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"huren/review"
	"huren/review/reviewtest"
)

// ChromiumPath is Debian's chromium.
const ChromiumPath = "/usr/bin/chromium"

// TestBrowserReviewFlow drives the reviewer UI with a real headless Chromium: log in, open the queue,
// reject one application with two reasons, approve another; then the status pages show both reasons and
// the approval, the SMS file holds both messages, and a name containing <script> is shown as text.
func TestBrowserReviewFlow(t *testing.T) {
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Fatalf("chromium is required for the browser test (apt-get install chromium): %v", err)
	}
	e := reviewtest.Start(t)
	now := time.Now()
	evil := "<script>alert(1)</script>张"
	ma, tokA, fa := reviewtest.SampleApplication(reviewtest.SampleReceipt(now, 1), evil, 2, now)
	mr, tokR, fr := reviewtest.SampleApplication(reviewtest.SampleReceipt(now, 2), "李四", 1, now)
	e.Deliver(t, ma, fa)
	e.Deliver(t, mr, fr)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelT()

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// submit clicks a button or link that loads a new page and waits for it.
	submit := func(what string, sel chromedp.Action[chromedp.Void]) {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, sel)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.Status != 200 {
			t.Fatalf("%s: HTTP %d", what, resp.Status)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	do("open queue", chromedp.Navigate(e.URL+"/review/queue"), chromedp.WaitVisible(chromedp.ID("name"))) // the login page
	do("type login", chromedp.SendKeys(chromedp.ID("name"), review.DemoReviewer), chromedp.SendKeys(chromedp.ID("password"), review.DemoReviewerPassword))
	submit("log in", chromedp.Click(chromedp.ID("login")))
	do("queue", chromedp.WaitVisible(chromedp.CSS("table.queue")))
	queueText := text("table.queue")
	if !strings.Contains(queueText, ma.Receipt) || !strings.Contains(queueText, mr.Receipt) || !strings.Contains(queueText, "<*") {
		t.Errorf("queue text: %q", queueText)
	}
	// Reject one with two reasons.
	submit("open rejected", chromedp.Click(chromedp.CSS(`a[href="/review/app/`+mr.Receipt+`"]`)))
	do("tick reasons", chromedp.WaitVisible(chromedp.ID("decide")),
		chromedp.Click(chromedp.CSS(`input[value="lease_filing_missing"]`)),
		chromedp.Click(chromedp.CSS(`input[value="registration_short"]`)))
	submit("reject", chromedp.Click(chromedp.ID("reject")))
	do("back in queue", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	// Approve the other after revealing the applicant: the <script> name is text, not markup.
	submit("open approved", chromedp.Click(chromedp.CSS(`a[href="/review/app/`+ma.Receipt+`"]`)))
	submit("reveal", chromedp.Click(chromedp.ID("reveal")))
	do("revealed", chromedp.WaitVisible(chromedp.ID("fullname")))
	nameText := text("#fullname")
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('script').length`))
	if err != nil {
		t.Fatal(err)
	}
	if nameText != evil || scripts != 0 {
		t.Errorf("name shown as %q, %d script elements", nameText, scripts)
	}
	submit("approve", chromedp.Click(chromedp.ID("approve")))
	do("back in queue", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	if flash := text("p.flash"); !strings.Contains(flash, ma.Receipt) {
		t.Errorf("flash %q", flash)
	}
	// The applicant's status pages.
	do("rejected status", chromedp.Navigate(e.URL+"/s/"+mr.Receipt+"?t="+url.QueryEscape(tokR)), chromedp.WaitVisible(chromedp.ID("reasons")))
	reasons, stateR := text("#reasons"), text("#state")
	do("approved status", chromedp.Navigate(e.URL+"/s/"+ma.Receipt+"?t="+url.QueryEscape(tokA)), chromedp.WaitVisible(chromedp.ID("decision")))
	decisionA, permit := text("#decision"), text("#permit")
	if stateR != "不予办理" || !strings.Contains(reasons, "租赁登记备案证明") || !strings.Contains(reasons, "连续居住登记不满六个月") {
		t.Errorf("rejected status page: %q %q", stateR, reasons)
	}
	if decisionA != "审核通过" || !strings.HasPrefix(permit, "ZJ331122") {
		t.Errorf("approved status page: %q %q", decisionA, permit)
	}
	// The SMS file has both messages.
	if _, err := e.Service.ProcessOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, m := range readLines(t, e.SMSFile) {
		texts[m["receipt"].(string)] = m["text"].(string)
	}
	if tx := texts[mr.Receipt]; !strings.Contains(tx, "租赁登记备案证明") || !strings.Contains(tx, "连续居住登记不满六个月") {
		t.Errorf("rejection SMS: %q", tx)
	}
	if tx := texts[ma.Receipt]; !strings.Contains(tx, "审核通过") || !strings.Contains(tx, permit) {
		t.Errorf("approval SMS: %q", tx)
	}
}

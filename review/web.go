package review

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"huren/kiosk"
	"huren/kiosk/eligibility"
	"huren/kiosk/idcard"
	"huren/sync/wire"
)

//go:embed templates/*.html static/*
var assets embed.FS

const (
	sessionCookie = "huren_session"
	loginCookie   = "huren_login"
	sessionTTL    = 8 * time.Hour
	maxFailures   = 5
	lockoutFor    = 15 * time.Minute
)

// web is the reviewer UI: server-rendered, no JavaScript, no external assets.
type web struct {
	s *Service
	t *template.Template
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(kiosk.Shanghai).Format("2006-01-02 15:04")
}

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(kiosk.Shanghai).Format("2006年1月2日")
}

var warningLabels = map[string]string{
	"blur": "图像模糊", "dark": "过暗", "bright": "过亮", "blank": "疑似空白页", "small": "分辨率偏低",
}

func newWeb(s *Service) (*web, error) {
	funcs := template.FuncMap{
		"time":  fmtTime,
		"date":  fmtDate,
		"state": func(st string) string { return kiosk.State(st).Label() },
		"kind":  func(k string) string { return kiosk.MaterialKind(k).Label() },
		"route": func(r string) string { return kiosk.Route(r).Label() },
		"cond":  func(c string) string { return kiosk.Condition(c).Label() },
		"warn": func(w string) string {
			if l, ok := warningLabels[w]; ok {
				return l
			}
			return w
		},
		"isJPEG": func(ct string) bool { return ct == wire.ContentJPEG },
		"ago": func(t time.Time) string {
			if t.IsZero() {
				return "从未"
			}
			d := s.now().Sub(t).Round(time.Second)
			return d.String() + " 前"
		},
	}
	t, err := template.New("").Funcs(funcs).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return &web{s: s, t: t}, nil
}

func (wb *web) register(mux *http.ServeMux) {
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /review/static/", http.StripPrefix("/review/static/", http.FileServer(http.FS(static))))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/review/", http.StatusSeeOther) })
	mux.HandleFunc("GET /review/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/review/queue", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /review/login", wb.loginPage)
	mux.HandleFunc("POST /review/login", wb.login)
	mux.HandleFunc("POST /review/logout", wb.auth(wb.logout))
	mux.HandleFunc("GET /review/queue", wb.auth(wb.queue))
	mux.HandleFunc("GET /review/app/{receipt}", wb.auth(wb.app))
	mux.HandleFunc("POST /review/app/{receipt}/reveal", wb.auth(wb.reveal))
	mux.HandleFunc("POST /review/app/{receipt}/decide", wb.auth(wb.decide))
	mux.HandleFunc("GET /review/app/{receipt}/material/{sha}", wb.auth(wb.material))
	mux.HandleFunc("GET /review/fleet", wb.auth(wb.fleet))
	mux.HandleFunc("GET /review/audit", wb.auth(wb.audit))
}

// session is a logged-in reviewer.
type session struct {
	Reviewer string
	CSRF     string
}

type ctxKey struct{}

func sessionOf(r *http.Request) session { s, _ := r.Context().Value(ctxKey{}).(session); return s }

func (wb *web) setCookie(w http.ResponseWriter, r *http.Request, name, value string, ttl time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/review/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
	if ttl < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(ttl.Seconds())
	}
	http.SetCookie(w, c)
}

// auth requires a valid session and, on POST, a matching CSRF token.
func (wb *web) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			http.Redirect(w, r, "/review/login", http.StatusSeeOther)
			return
		}
		var sess session
		var exp int64
		err = wb.s.db.row(r.Context(), wb.s.db.r, `SELECT reviewer, csrf, expires_at FROM sessions WHERE token_hash = ?`, sha256Hex(c.Value)).Scan(&sess.Reviewer, &sess.CSRF, &exp)
		if err != nil || wb.s.now().After(fromTM(exp)) {
			wb.setCookie(w, r, sessionCookie, "", -1)
			http.Redirect(w, r, "/review/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) != 1 {
				http.Error(w, "CSRF 校验失败 (bad CSRF token)", http.StatusForbidden)
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	}
}

type pageData struct {
	Title   string
	Session session
	Error   string
	Flash   string
	Data    any
}

func (wb *web) render(w http.ResponseWriter, r *http.Request, code int, name string, p pageData) {
	setPageHeaders(w, r)
	p.Session = sessionOf(r)
	w.WriteHeader(code)
	if err := wb.t.ExecuteTemplate(w, name, p); err != nil {
		wb.s.log.Error("render", "page", name, "err", err)
	}
}

func (wb *web) loginPage(w http.ResponseWriter, r *http.Request) {
	tok := randomToken()
	wb.setCookie(w, r, loginCookie, tok, 30*time.Minute)
	wb.render(w, r, http.StatusOK, "login.html", pageData{Title: "登录", Data: tok})
}

// ErrLocked is returned (wrapped) by Login when the account is locked after too many failures.
var ErrLocked = errors.New("account locked 账户已锁定")

// ErrLogin is returned (wrapped) by Login for a wrong name or password.
var ErrLogin = errors.New("wrong name or password 用户名或密码错误")

// Login checks a reviewer's password with lockout (5 failures lock the account for 15 minutes) and returns a
// new session token. Errors wrap ErrLogin or ErrLocked, or come from the store.
func (s *Service) Login(ctx context.Context, name, password string) (token string, err error) {
	now := s.now()
	var hash string
	var failures int
	var locked int64
	err = s.db.row(ctx, s.db.w, `SELECT hash, failures, locked_until FROM reviewers WHERE name = ?`, name).Scan(&hash, &failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		checkPassword(dummyHash, password)
		return "", ErrLogin
	}
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	if now.Before(fromTM(locked)) {
		return "", ErrLocked
	}
	if !checkPassword(hash, password) {
		failures++
		lu := int64(0)
		if failures >= maxFailures {
			lu, failures = tm(now.Add(lockoutFor)), 0
		}
		err := s.db.tx(ctx, func(tx *sql.Tx) error {
			if _, err := s.db.exec(ctx, tx, `UPDATE reviewers SET failures = ?, locked_until = ? WHERE name = ?`, failures, lu, name); err != nil {
				return err
			}
			action := "login.fail"
			if lu != 0 {
				action = "login.locked"
			}
			return s.auditTx(ctx, tx, name, action, "", "")
		})
		if err != nil {
			return "", fmt.Errorf("login: %w", err)
		}
		if lu != 0 {
			return "", ErrLocked
		}
		return "", ErrLogin
	}
	token = randomToken()
	err = s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.db.exec(ctx, tx, `UPDATE reviewers SET failures = 0, locked_until = 0 WHERE name = ?`, name); err != nil {
			return err
		}
		if _, err := s.db.exec(ctx, tx, `DELETE FROM sessions WHERE expires_at < ?`, tm(now)); err != nil {
			return err
		}
		if _, err := s.db.exec(ctx, tx, `INSERT INTO sessions (token_hash, reviewer, csrf, expires_at) VALUES (?, ?, ?, ?)`,
			sha256Hex(token), name, randomToken(), tm(now.Add(sessionTTL))); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, name, "login", "", "")
	})
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	return token, nil
}

func (wb *web) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		http.Error(w, "CSRF 校验失败，请刷新登录页 (bad CSRF token)", http.StatusForbidden)
		return
	}
	tok, err := wb.s.Login(r.Context(), strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password"))
	if err != nil {
		msg := "用户名或密码错误 (wrong name or password)"
		if errors.Is(err, ErrLocked) {
			msg = "连续失败次数过多，账户已锁定15分钟 (locked for 15 minutes)"
		} else if !errors.Is(err, ErrLogin) {
			wb.s.log.Error("login", "err", err)
			msg = "服务器错误 (server error)"
		}
		fresh := randomToken()
		wb.setCookie(w, r, loginCookie, fresh, 30*time.Minute)
		wb.render(w, r, http.StatusUnauthorized, "login.html", pageData{Title: "登录", Error: msg, Data: fresh})
		return
	}
	wb.setCookie(w, r, loginCookie, "", -1)
	wb.setCookie(w, r, sessionCookie, tok, sessionTTL)
	http.Redirect(w, r, "/review/queue", http.StatusSeeOther)
}

func (wb *web) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		wb.s.db.exec(r.Context(), wb.s.db.w, `DELETE FROM sessions WHERE token_hash = ?`, sha256Hex(c.Value))
	}
	wb.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/review/login", http.StatusSeeOther)
}

// QueueItem is one application in the reviewer's queue.
type QueueItem struct {
	Receipt, KioskID, MaskedName, State, Reviewer, Decision string
	AcceptedAt, DueAt, DecidedAt                            time.Time
	Overdue, DueToday                                       bool
}

// Queue lists open applications (accepted, in review) by due time, then those still waiting for materials.
// Errors come from the store.
func (s *Service) Queue(ctx context.Context) ([]QueueItem, error) {
	return s.listApps(ctx, `state IN ('accepted','in_review','received','awaiting_materials') ORDER BY CASE WHEN due_at = 0 THEN 1 ELSE 0 END, due_at, receipt`, 500)
}

// Decided lists the newest decided applications. Errors come from the store.
func (s *Service) Decided(ctx context.Context, limit int) ([]QueueItem, error) {
	return s.listApps(ctx, `state IN ('approved','rejected') ORDER BY decided_at DESC`, limit)
}

func (s *Service) listApps(ctx context.Context, where string, limit int) ([]QueueItem, error) {
	rows, err := s.db.query(ctx, s.db.r, `SELECT receipt, kiosk_id, masked_name, state, reviewer, decision, accepted_at, due_at, decided_at FROM applications WHERE `+where+` LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	defer rows.Close()
	now := s.now()
	day := now.In(kiosk.Shanghai)
	var out []QueueItem
	for rows.Next() {
		var q QueueItem
		var acc, due, dec int64
		if err := rows.Scan(&q.Receipt, &q.KioskID, &q.MaskedName, &q.State, &q.Reviewer, &q.Decision, &acc, &due, &dec); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		q.AcceptedAt, q.DueAt, q.DecidedAt = fromTM(acc), fromTM(due), fromTM(dec)
		open := q.State == string(kiosk.StateAccepted) || q.State == string(kiosk.StateInReview)
		if open && !q.DueAt.IsZero() {
			q.Overdue = now.After(q.DueAt)
			dd := q.DueAt.In(kiosk.Shanghai)
			q.DueToday = !q.Overdue && dd.Year() == day.Year() && dd.YearDay() == day.YearDay()
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

func (wb *web) queue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	open, err := wb.s.Queue(ctx)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	done, err := wb.s.Decided(ctx, 50)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	st, err := wb.s.Stats(ctx)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.render(w, r, http.StatusOK, "queue.html", pageData{Title: "待审队列", Flash: r.URL.Query().Get("done"),
		Data: struct {
			Open, Done []QueueItem
			Stats      QueueStats
		}{open, done, st}})
}

func (wb *web) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		wb.render(w, r, http.StatusNotFound, "error.html", pageData{Title: "未找到", Error: "没有这个申请 (not found)"})
		return
	}
	wb.s.log.Error("review ui", "path", r.URL.Path, "err", err)
	wb.render(w, r, http.StatusInternalServerError, "error.html", pageData{Title: "错误", Error: "服务器错误 (server error)"})
}

// AppView is everything the application page shows.
type AppView struct {
	App          appRow
	M            wire.Manifest
	NumberMasked string
	NumberFull   string // only after an audited reveal
	MobileMasked string
	Materials    []MaterialView
	Check        eligibility.Result
	Registry     wire.Precheck
	History      []HistoryItem
	Catalogue    []wire.Reason
	Open         bool
	Overdue      bool
}

// MaterialView is one stored material.
type MaterialView struct {
	SHA256, Kind, ContentType string
	Page                      int
	Size                      int64
	Present                   bool
	Warnings                  []string
}

// HistoryItem is one state change.
type HistoryItem struct {
	At           time.Time
	State, Actor string
}

func maskMobile(m string) string {
	if len(m) != 11 {
		return idcard.MaskNumber(m)
	}
	return m[:3] + "****" + m[7:]
}

func (s *Service) appView(ctx context.Context, receipt string) (AppView, error) {
	var v AppView
	a, err := s.getApp(ctx, s.db.r, receipt)
	if err != nil {
		return v, err
	}
	v.App = a
	if err := json.Unmarshal(a.Manifest, &v.M); err != nil {
		return v, fmt.Errorf("manifest: %w", err)
	}
	v.NumberMasked = idcard.MaskNumber(v.M.Applicant.Number)
	v.MobileMasked = maskMobile(v.M.Mobile)
	rows, err := s.db.query(ctx, s.db.r, `SELECT sha256, kind, page, size, content_type, warnings, present FROM materials WHERE receipt = ? ORDER BY kind, page`, receipt)
	if err != nil {
		return v, err
	}
	for rows.Next() {
		var m MaterialView
		var warn string
		var present int
		if err := rows.Scan(&m.SHA256, &m.Kind, &m.Page, &m.Size, &m.ContentType, &warn, &present); err != nil {
			rows.Close()
			return v, err
		}
		m.Present = present != 0
		_ = json.Unmarshal([]byte(warn), &m.Warnings)
		v.Materials = append(v.Materials, m)
	}
	rows.Close()
	rows, err = s.db.query(ctx, s.db.r, `SELECT at, state, actor FROM events WHERE receipt = ? ORDER BY id`, receipt)
	if err != nil {
		return v, err
	}
	for rows.Next() {
		var h HistoryItem
		var at int64
		if err := rows.Scan(&at, &h.State, &h.Actor); err != nil {
			rows.Close()
			return v, err
		}
		h.At = fromTM(at)
		v.History = append(v.History, h)
	}
	rows.Close()
	v.Registry, err = s.registry.Lookup(ctx, v.M.Applicant.Number)
	if err != nil {
		s.log.Warn("registry lookup", "receipt", receipt, "err", err)
	}
	today := a.AcceptedAt
	if today.IsZero() {
		today = s.now()
	}
	v.Check = recheck(v.M, v.Registry, today.In(kiosk.Shanghai))
	v.Catalogue = refusalReasons()
	v.Open = a.State == string(kiosk.StateAccepted) || a.State == string(kiosk.StateInReview)
	v.Overdue = v.Open && !a.DueAt.IsZero() && s.now().After(a.DueAt)
	return v, nil
}

func (wb *web) app(w http.ResponseWriter, r *http.Request) {
	wb.showApp(w, r, false, "")
}

func (wb *web) showApp(w http.ResponseWriter, r *http.Request, reveal bool, errMsg string) {
	ctx := r.Context()
	receipt := r.PathValue("receipt")
	sess := sessionOf(r)
	if err := wb.s.startReview(ctx, sess.Reviewer, receipt); err != nil {
		wb.fail(w, r, err)
		return
	}
	v, err := wb.s.appView(ctx, receipt)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	if reveal {
		v.NumberFull = v.M.Applicant.Number
	}
	code := http.StatusOK
	if errMsg != "" {
		code = http.StatusBadRequest
	}
	wb.render(w, r, code, "app.html", pageData{Title: "申请 " + receipt, Error: errMsg, Data: v})
}

func (wb *web) reveal(w http.ResponseWriter, r *http.Request) {
	receipt := r.PathValue("receipt")
	sess := sessionOf(r)
	if err := wb.s.db.tx(r.Context(), func(tx *sql.Tx) error {
		return wb.s.auditTx(r.Context(), tx, sess.Reviewer, "review.reveal_id", receipt, "full name and ID number shown")
	}); err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showApp(w, r, true, "")
}

func (wb *web) decide(w http.ResponseWriter, r *http.Request) {
	receipt := r.PathValue("receipt")
	sess := sessionOf(r)
	d := Decision{Approve: r.PostFormValue("action") == "approve", Reasons: r.PostForm["reason"], Note: r.PostFormValue("note")}
	if a := r.PostFormValue("action"); a != "approve" && a != "reject" {
		wb.showApp(w, r, false, "请选择通过或不予办理")
		return
	}
	if err := wb.s.Decide(r.Context(), sess.Reviewer, receipt, d); err != nil {
		switch {
		case errors.Is(err, ErrNoReason):
			wb.showApp(w, r, false, "不予办理须至少选择一项理由 (choose at least one reason)")
		case errors.Is(err, ErrState):
			wb.showApp(w, r, false, "该申请已办结或尚未受理 (already decided or not accepted)")
		case errors.Is(err, ErrNotFound):
			wb.fail(w, r, err)
		default:
			wb.fail(w, r, err)
		}
		return
	}
	http.Redirect(w, r, "/review/queue?done="+url.QueryEscape(receipt), http.StatusSeeOther)
}

func (wb *web) material(w http.ResponseWriter, r *http.Request) {
	receipt, sum := r.PathValue("receipt"), r.PathValue("sha")
	var ct string
	err := wb.s.db.row(r.Context(), wb.s.db.r, `SELECT content_type FROM materials WHERE receipt = ? AND sha256 = ? AND present = 1`, receipt, sum).Scan(&ct)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	data, err := wb.s.Material(sum)
	if err != nil {
		wb.s.log.Error("material blob", "receipt", receipt, "err", err)
		http.Error(w, "材料文件损坏或缺失 (material unavailable)", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; object-src 'self'; sandbox")
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("Content-Disposition", "inline")
	w.Write(data)
}

func (wb *web) fleet(w http.ResponseWriter, r *http.Request) {
	ks, err := wb.s.Kiosks(r.Context())
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.render(w, r, http.StatusOK, "fleet.html", pageData{Title: "终端状态", Data: ks})
}

func (wb *web) audit(w http.ResponseWriter, r *http.Request) {
	es, err := wb.s.AuditLog(r.Context(), 500)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.render(w, r, http.StatusOK, "audit.html", pageData{Title: "审计日志", Data: es})
}

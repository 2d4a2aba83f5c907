package review

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/sync/wire"
)

// apiError is an error with its HTTP status and wire error code.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errInvalid(format string, a ...any) error {
	return &apiError{http.StatusBadRequest, wire.CodeInvalid, fmt.Sprintf(format, a...)}
}
func errConflict(format string, a ...any) error {
	return &apiError{http.StatusConflict, wire.CodeConflict, fmt.Sprintf(format, a...)}
}

var (
	errForbidden = &apiError{http.StatusForbidden, wire.CodeForbidden, "not this kiosk's application 非本终端的申请"}
	errNoApp     = &apiError{http.StatusNotFound, wire.CodeNotFound, "unknown receipt 回执不存在"}
)

// ErrState is returned (wrapped) when an action does not fit the application's state.
var ErrState = errors.New("action not allowed in this state")

// validateManifest checks a manifest's shape (not its eligibility, which reviewers see).
func validateManifest(m *wire.Manifest, receipt string) error {
	if m.Receipt != receipt {
		return errInvalid("manifest receipt %q does not match the path", m.Receipt)
	}
	if !kiosk.Route(m.Route).Valid() {
		return errInvalid("unknown route %q", m.Route)
	}
	if !kiosk.Condition(m.Condition).Valid() {
		return errInvalid("unknown condition %q", m.Condition)
	}
	if m.Applicant.Name == "" || m.Applicant.Number == "" {
		return errInvalid("applicant name and id_number are required")
	}
	if len(m.Applicant.Name) > 200 || len(m.Applicant.Number) > 32 || len(m.Mobile) > 20 {
		return errInvalid("applicant field too long")
	}
	if !validSHA(m.StatusTokenHash) {
		return errInvalid("status_token_hash must be 64 lower-case hex characters")
	}
	if len(m.Materials) == 0 || len(m.Materials) > 64 {
		return errInvalid("a manifest lists 1 to 64 materials")
	}
	for i, mr := range m.Materials {
		if !kiosk.MaterialKind(mr.Kind).Valid() {
			return errInvalid("material %d: unknown kind %q", i, mr.Kind)
		}
		if !validSHA(mr.SHA256) {
			return errInvalid("material %d: sha256 must be 64 lower-case hex characters", i)
		}
		if mr.ContentType != wire.ContentJPEG && mr.ContentType != wire.ContentPDF {
			return errInvalid("material %d: content_type must be image/jpeg or application/pdf", i)
		}
		if mr.Size <= 0 || mr.Size > wire.MaxMaterialBytes {
			return &apiError{http.StatusRequestEntityTooLarge, wire.CodeTooLarge,
				fmt.Sprintf("material %d: size must be 1 to %d bytes", i, wire.MaxMaterialBytes)}
		}
	}
	if m.CreatedAt.IsZero() {
		return errInvalid("created_at is required")
	}
	return nil
}

// appRow is the stored head of an application.
type appRow struct {
	Receipt, KioskID, TokenHash, MaskedName, State string
	Manifest                                       []byte
	ReceivedAt, AcceptedAt, DueAt, DecidedAt       time.Time
	Decision, Note, Reviewer, PermitNo             string
	Reasons                                        []wire.Reason
	UpdatedAt                                      time.Time
}

const appCols = `receipt, kiosk_id, token_hash, masked_name, state, manifest, received_at, accepted_at, due_at, decided_at, decision, note, reviewer, permit_no, reasons, updated_at`

func scanApp(sc interface{ Scan(...any) error }) (appRow, error) {
	var a appRow
	var rec, acc, due, dec, upd int64
	var reasons string
	err := sc.Scan(&a.Receipt, &a.KioskID, &a.TokenHash, &a.MaskedName, &a.State, &a.Manifest, &rec, &acc, &due, &dec,
		&a.Decision, &a.Note, &a.Reviewer, &a.PermitNo, &reasons, &upd)
	if err != nil {
		return a, err
	}
	a.ReceivedAt, a.AcceptedAt, a.DueAt, a.DecidedAt, a.UpdatedAt = fromTM(rec), fromTM(acc), fromTM(due), fromTM(dec), fromTM(upd)
	_ = json.Unmarshal([]byte(reasons), &a.Reasons)
	return a, nil
}

func (s *Service) getApp(ctx context.Context, e execer, receipt string) (appRow, error) {
	a, err := scanApp(s.db.row(ctx, e, `SELECT `+appCols+` FROM applications WHERE receipt = ?`, receipt))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("application %s: %w", receipt, ErrNotFound)
	}
	if err != nil {
		return a, err
	}
	if a.Manifest, err = s.open(manifestAD(a.Receipt), a.Manifest); err != nil {
		return a, fmt.Errorf("application %s: open manifest: %w", receipt, err)
	}
	return a, nil
}

// manifestAD is the associated data of a sealed manifest: the receipt, so a manifest moved to another row
// does not open.
func manifestAD(receipt string) string { return "manifest:" + receipt }

// missing lists the hashes of materials not yet stored for receipt.
func (s *Service) missing(ctx context.Context, e execer, receipt string) ([]string, error) {
	rows, err := s.db.query(ctx, e, `SELECT sha256 FROM materials WHERE receipt = ? AND present = 0 ORDER BY sha256`, receipt)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// event records a state change for the kiosk's updates feed.
func (s *Service) event(ctx context.Context, tx execer, receipt, kioskID, state string, at, due time.Time, reasons []wire.Reason, actor string) error {
	s.cache.drop(receipt) // dropped before and after the commit (see tx callers) so no stale answer survives
	if reasons == nil {
		reasons = []wire.Reason{}
	}
	_, err := s.db.exec(ctx, tx, `INSERT INTO events (receipt, kiosk_id, state, at, due_at, reasons, actor) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		receipt, kioskID, state, tm(at), tm(due), string(mustJSON(reasons)), actor)
	if err != nil {
		return fmt.Errorf("event: %w", err)
	}
	return nil
}

// putManifest stores a manifest; the same manifest again is a no-op, a different one a conflict.
func (s *Service) putManifest(ctx context.Context, kioskID, receipt string, m wire.Manifest) (wire.ManifestResponse, error) {
	defer s.cache.drop(receipt) // after the commit
	var resp wire.ManifestResponse
	rc, err := kiosk.ParseReceipt(receipt)
	if err != nil {
		return resp, errInvalid("bad receipt number")
	}
	if rc.Kiosk != kioskNo(kioskID) {
		return resp, errForbidden
	}
	if err := validateManifest(&m, receipt); err != nil {
		return resp, err
	}
	if m.Kiosk != "" && m.Kiosk != kioskID {
		return resp, errInvalid("manifest kiosk %q is not the authenticated kiosk", m.Kiosk)
	}
	canon := mustJSON(m)
	now := s.now()
	err = s.db.tx(ctx, func(tx *sql.Tx) error {
		a, err := s.getApp(ctx, tx, receipt)
		if err == nil {
			if a.KioskID != kioskID {
				return errForbidden
			}
			if string(a.Manifest) != string(canon) {
				return errConflict("a different manifest was already stored for this receipt 该回执已有不同的申请内容")
			}
			resp.State = a.State
			resp.Missing, err = s.missing(ctx, tx, receipt)
			return err
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		state := string(kiosk.StateReceived)
		masked := idcard.MaskName(m.Applicant.Name)
		// The manifest holds the name, ID number, phone and address: sealed at rest under the server key.
		sealed, err := s.seal(manifestAD(receipt), canon)
		if err != nil {
			return fmt.Errorf("seal manifest: %w", err)
		}
		if _, err := s.db.exec(ctx, tx, `INSERT INTO applications (receipt, kiosk_id, manifest, token_hash, masked_name, state, received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			receipt, kioskID, sealed, m.StatusTokenHash, masked, state, tm(now), tm(now)); err != nil {
			return fmt.Errorf("insert application: %w", err)
		}
		seen := map[string]bool{}
		for _, mr := range m.Materials {
			if seen[mr.SHA256] {
				continue
			}
			seen[mr.SHA256] = true
			present := 0
			if s.blobs.has(mr.SHA256, mr.Size) {
				present = 1 // content-addressed: the bytes are already here (a resend)
			}
			w := mr.Warnings
			if w == nil {
				w = []string{}
			}
			if _, err := s.db.exec(ctx, tx, `INSERT INTO materials (receipt, sha256, kind, page, size, content_type, warnings, present) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				receipt, mr.SHA256, mr.Kind, mr.Page, mr.Size, mr.ContentType, string(mustJSON(w)), present); err != nil {
				return fmt.Errorf("insert material: %w", err)
			}
		}
		resp.Missing, err = s.missing(ctx, tx, receipt)
		if err != nil {
			return err
		}
		if len(resp.Missing) > 0 {
			state = string(kiosk.StateAwaitingMaterials)
			if _, err := s.db.exec(ctx, tx, `UPDATE applications SET state = ? WHERE receipt = ?`, state, receipt); err != nil {
				return err
			}
		}
		resp.State = state
		if err := s.event(ctx, tx, receipt, kioskID, state, now, time.Time{}, nil, kioskID); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, kioskID, "intake.manifest", receipt, fmt.Sprintf("%d materials", len(m.Materials)))
	})
	if err == nil {
		s.metrics.intake.WithLabelValues("manifest").Inc()
	}
	return resp, err
}

func (b *blobStore) has(sum string, size int64) bool {
	if !validSHA(sum) {
		return false
	}
	_, err := b.get(sum)
	return err == nil
}

// putMaterial stores the bytes of one listed material.
func (s *Service) putMaterial(ctx context.Context, kioskID, receipt, sum, contentType string, data []byte) (wire.ManifestResponse, error) {
	defer s.cache.drop(receipt) // after the commit
	var resp wire.ManifestResponse
	a, err := s.getApp(ctx, s.db.w, receipt)
	if errors.Is(err, ErrNotFound) {
		if rc, perr := kiosk.ParseReceipt(receipt); perr == nil && rc.Kiosk != kioskNo(kioskID) {
			return resp, errForbidden
		}
		return resp, errNoApp
	}
	if err != nil {
		return resp, err
	}
	if a.KioskID != kioskID {
		return resp, errForbidden
	}
	var wantType string
	var size int64
	err = s.db.row(ctx, s.db.w, `SELECT content_type, size FROM materials WHERE receipt = ? AND sha256 = ?`, receipt, sum).Scan(&wantType, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return resp, &apiError{http.StatusNotFound, wire.CodeNotFound, "material not listed in the manifest"}
	}
	if err != nil {
		return resp, err
	}
	if contentType != wantType {
		return resp, errInvalid("content type %q does not match the manifest (%s)", contentType, wantType)
	}
	if int64(len(data)) != size {
		return resp, errInvalid("size %d does not match the manifest (%d)", len(data), size)
	}
	// The bytes must be what the type says: reviewers' browsers are told not to sniff, and nothing else (an
	// HTML page, a script) is stored under an image's name.
	// (http.DetectContentType, as the kiosk's capture pipeline: FF D8 FF is a JPEG, %PDF- a PDF.)
	if http.DetectContentType(data) != contentType {
		return resp, &apiError{http.StatusUnsupportedMediaType, wire.CodeInvalid, "body is not " + contentType + " (its first bytes say otherwise)"}
	}
	if err := s.blobs.put(sum, data); err != nil {
		if errors.Is(err, ErrHash) {
			return resp, errInvalid("sha256 of the body does not match")
		}
		return resp, err
	}
	now := s.now()
	err = s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.db.exec(ctx, tx, `UPDATE materials SET present = 1 WHERE receipt = ? AND sha256 = ?`, receipt, sum); err != nil {
			return err
		}
		a, err := s.getApp(ctx, tx, receipt)
		if err != nil {
			return err
		}
		resp.Missing, err = s.missing(ctx, tx, receipt)
		if err != nil {
			return err
		}
		resp.State = a.State
		if len(resp.Missing) == 0 && a.State == string(kiosk.StateAwaitingMaterials) {
			resp.State = string(kiosk.StateReceived)
			if _, err := s.db.exec(ctx, tx, `UPDATE applications SET state = ?, updated_at = ? WHERE receipt = ?`, resp.State, tm(now), receipt); err != nil {
				return err
			}
			return s.event(ctx, tx, receipt, kioskID, resp.State, now, time.Time{}, nil, kioskID)
		}
		return nil
	})
	if err == nil {
		s.metrics.intake.WithLabelValues("material").Inc()
	}
	return resp, err
}

// submit accepts a complete application: accepted_at = now, due_at = 2 working days later.
func (s *Service) submit(ctx context.Context, kioskID, receipt string) (wire.SubmitResponse, error) {
	defer s.cache.drop(receipt) // after the commit
	var resp wire.SubmitResponse
	now := s.now()
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		a, err := s.getApp(ctx, tx, receipt)
		if errors.Is(err, ErrNotFound) {
			if rc, perr := kiosk.ParseReceipt(receipt); perr == nil && rc.Kiosk != kioskNo(kioskID) {
				return errForbidden
			}
			return errNoApp
		}
		if err != nil {
			return err
		}
		if a.KioskID != kioskID {
			return errForbidden
		}
		switch kiosk.State(a.State) {
		case kiosk.StateReceived:
		case kiosk.StateAwaitingMaterials:
			miss, err := s.missing(ctx, tx, receipt)
			if err != nil {
				return err
			}
			return errConflict("%d materials still missing 材料未上传完整", len(miss))
		default: // already accepted or later: idempotent
			resp = wire.SubmitResponse{State: a.State, AcceptedAt: a.AcceptedAt.In(kiosk.Shanghai), DueAt: a.DueAt.In(kiosk.Shanghai)}
			return nil
		}
		due := s.cal.Deadline(now, 2)
		res, err := s.db.exec(ctx, tx, `UPDATE applications SET state = ?, accepted_at = ?, due_at = ?, updated_at = ? WHERE receipt = ? AND state = 'received'`,
			string(kiosk.StateAccepted), tm(now), tm(due), tm(now), receipt)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errConflict("submitted concurrently, please retry 请重试")
		}
		if err := s.event(ctx, tx, receipt, kioskID, string(kiosk.StateAccepted), now, due, nil, kioskID); err != nil {
			return err
		}
		resp = wire.SubmitResponse{State: string(kiosk.StateAccepted), AcceptedAt: fromTM(tm(now)).In(kiosk.Shanghai), DueAt: fromTM(tm(due)).In(kiosk.Shanghai)}
		return s.auditTx(ctx, tx, kioskID, "intake.submit", receipt, "")
	})
	if err == nil {
		s.metrics.intake.WithLabelValues("submit").Inc()
	}
	return resp, err
}

// updates returns the kiosk's state changes after cursor (at most 500).
func (s *Service) updates(ctx context.Context, kioskID string, after int64) (wire.Updates, error) {
	out := wire.Updates{Updates: []wire.Update{}, Cursor: after}
	rows, err := s.db.query(ctx, s.db.r, `SELECT id, receipt, state, at, due_at, reasons FROM events WHERE kiosk_id = ? AND id > ? ORDER BY id LIMIT 500`, kioskID, after)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var u wire.Update
		var at, due int64
		var reasons string
		if err := rows.Scan(&u.Cursor, &u.Receipt, &u.State, &at, &due, &reasons); err != nil {
			return out, err
		}
		u.At, u.DueAt = fromTM(at).In(kiosk.Shanghai), fromTM(due)
		if !u.DueAt.IsZero() {
			u.DueAt = u.DueAt.In(kiosk.Shanghai)
		}
		_ = json.Unmarshal([]byte(reasons), &u.Reasons)
		if len(u.Reasons) == 0 {
			u.Reasons = nil
		}
		out.Updates = append(out.Updates, u)
		out.Cursor = u.Cursor
	}
	return out, rows.Err()
}

// statusQuery is the hot path of status lookups.
const statusQuery = `SELECT token_hash, masked_name, state, accepted_at, due_at, decided_at, decision, permit_no, reasons, note FROM applications WHERE receipt = ?`

// zeroHash is compared against when the receipt is unknown, so both paths take the same time.
var zeroHash = strings.Repeat("0", 64)

// Status returns the public status of receipt when token matches its status token; an unknown receipt and a
// wrong or missing token both give ErrNotFound.
func (s *Service) Status(ctx context.Context, receipt, token string) (wire.Status, error) {
	c, err := s.statusEntry(ctx, receipt)
	if err != nil {
		return wire.Status{}, err
	}
	got := sha256Hex(token)
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.tokenHash)) != 1 || c.st.Receipt == "" || token == "" {
		return wire.Status{}, fmt.Errorf("status: %w", ErrNotFound)
	}
	return c.st, nil
}

// statusJSON is Status encoded as the API answer.
func (s *Service) statusJSON(ctx context.Context, receipt, token string) ([]byte, error) {
	c, err := s.statusEntry(ctx, receipt)
	if err != nil {
		return nil, err
	}
	got := sha256Hex(token)
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.tokenHash)) != 1 || c.st.Receipt == "" || token == "" {
		return nil, fmt.Errorf("status: %w", ErrNotFound)
	}
	return c.json, nil
}

// statusEntry loads (or takes from the cache) the status of receipt; unknown receipts give an entry with
// the zero hash and an empty Receipt, so the caller's comparison takes the same time.
func (s *Service) statusEntry(ctx context.Context, receipt string) (cachedStatus, error) {
	now := time.Now()
	if c, ok := s.cache.get(receipt, now); ok {
		return c, nil
	}
	var st wire.Status
	var th, note, reasons string
	var acc, due, dec int64
	err := s.statusStmt.QueryRowContext(ctx, receipt).Scan(&th, &st.MaskedName, &st.State, &acc, &due, &dec, &st.Decision, &st.PermitNo, &reasons, &note)
	if errors.Is(err, sql.ErrNoRows) {
		return cachedStatus{tokenHash: zeroHash}, nil // not cached: receipts are guessable, keep the map small
	}
	if err != nil {
		return cachedStatus{}, fmt.Errorf("status: %w", err)
	}
	st.Receipt = receipt
	st.StateLabel = kiosk.State(st.State).Label()
	if acc != 0 {
		st.AcceptedAt = fromTM(acc).In(kiosk.Shanghai)
	}
	if due != 0 {
		st.DueAt = fromTM(due).In(kiosk.Shanghai)
	}
	if dec != 0 {
		st.DecidedAt = fromTM(dec).In(kiosk.Shanghai)
	}
	if reasons != "" && reasons != "[]" {
		_ = json.Unmarshal([]byte(reasons), &st.Reasons)
	}
	if note != "" && st.Decision == "rejected" {
		st.Reasons = append(st.Reasons, wire.Reason{Code: "reviewer_note", Message: "审核意见：" + note})
	}
	st.Next = nextStep(kiosk.State(st.State), st.PermitNo)
	c := cachedStatus{tokenHash: th, st: st, json: mustJSON(st)}
	s.cache.put(receipt, c, now)
	return c, nil
}

// nextStep tells the applicant what happens next, in Chinese.
func nextStep(st kiosk.State, permit string) string {
	switch st {
	case kiosk.StateReceived, kiosk.StateAwaitingMaterials:
		return "申请材料正在上传，请稍后再查询。"
	case kiosk.StateAccepted, kiosk.StateInReview:
		return "您的申请已受理，将在2个工作日内完成审核，结果将以免费短信通知您。"
	case kiosk.StateApproved:
		return "审核已通过，电子居住证（证号 " + permit + "）已签发并推送至省大数据平台，可在“浙里办”查看。"
	case kiosk.StateRejected:
		return "很抱歉，您的申请未通过。请按上述全部理由准备材料后，到自助终端或服务窗口重新申请。咨询电话：12345。"
	}
	return ""
}

// startReview moves an accepted application to in_review (idempotent for other states).
func (s *Service) startReview(ctx context.Context, reviewer, receipt string) error {
	defer s.cache.drop(receipt) // after the commit
	now := s.now()
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		a, err := s.getApp(ctx, tx, receipt)
		if err != nil {
			return err
		}
		if a.State != string(kiosk.StateAccepted) {
			return nil
		}
		res, err := s.db.exec(ctx, tx, `UPDATE applications SET state = ?, reviewer = ?, updated_at = ? WHERE receipt = ? AND state = 'accepted'`,
			string(kiosk.StateInReview), reviewer, tm(now), receipt)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return nil // another reviewer opened it first
		}
		if err := s.event(ctx, tx, receipt, a.KioskID, string(kiosk.StateInReview), now, a.DueAt, nil, reviewer); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, reviewer, "review.start", receipt, "")
	})
}

// Decision is a reviewer's verdict.
type Decision struct {
	Approve bool
	Reasons []string // reason codes from the catalogue (rejection: at least one)
	Note    string   // free text
}

// ErrNoReason is returned (wrapped) when a rejection names no reason.
var ErrNoReason = errors.New("a rejection needs at least one reason 不予办理须至少选择一项理由")

// Decide records the reviewer's decision on receipt: approval issues an e-permit (number, one year of
// validity) and queues the provincial push; both queue an SMS. Errors wrap ErrNotFound, ErrState, ErrNoReason
// or come from the store.
func (s *Service) Decide(ctx context.Context, reviewer, receipt string, d Decision) error {
	defer s.cache.drop(receipt) // after the commit
	now := s.now()
	catalogue := map[string]wire.Reason{}
	for _, r := range refusalReasons() {
		catalogue[r.Code] = r
	}
	var reasons []wire.Reason
	if !d.Approve {
		seen := map[string]bool{}
		for _, c := range d.Reasons {
			r, ok := catalogue[c]
			if !ok {
				return fmt.Errorf("decide: unknown reason code %q", c)
			}
			if !seen[c] {
				seen[c] = true
				reasons = append(reasons, r)
			}
		}
		if len(reasons) == 0 {
			return fmt.Errorf("decide %s: %w", receipt, ErrNoReason)
		}
	}
	d.Note = strings.TrimSpace(d.Note)
	if len(d.Note) > 2000 {
		return errors.New("decide: note longer than 2000 bytes")
	}
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		a, err := s.getApp(ctx, tx, receipt)
		if err != nil {
			return err
		}
		if a.State != string(kiosk.StateAccepted) && a.State != string(kiosk.StateInReview) {
			return fmt.Errorf("decide %s in state %s: %w", receipt, a.State, ErrState)
		}
		// Claim the row: of two reviewers deciding at once only one changes it (PostgreSQL re-checks the
		// condition after the other's commit; SQLite serialises writers anyway).
		res, err := s.db.exec(ctx, tx, `UPDATE applications SET updated_at = ? WHERE receipt = ? AND state IN ('accepted','in_review')`, tm(now), receipt)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("decide %s: decided meanwhile: %w", receipt, ErrState)
		}
		var m wire.Manifest
		if err := json.Unmarshal(a.Manifest, &m); err != nil {
			return fmt.Errorf("decide: manifest: %w", err)
		}
		state, decision := kiosk.StateRejected, "rejected"
		permitNo := ""
		var validTo time.Time
		if d.Approve {
			state, decision = kiosk.StateApproved, "approved"
			var n int64
			if err := s.db.row(ctx, tx, `UPDATE counters SET value = value + 1 WHERE name = 'permit' RETURNING value`).Scan(&n); err != nil {
				return fmt.Errorf("permit number: %w", err)
			}
			day := now.In(kiosk.Shanghai)
			permitNo = fmt.Sprintf("ZJ%s%s%06d", kiosk.CountyCode, day.Format("2006"), n)
			from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, kiosk.Shanghai)
			validTo = from.AddDate(1, 0, -1)
			if _, err := s.db.exec(ctx, tx, `INSERT INTO permits (no, receipt, issued_at, valid_from, valid_to) VALUES (?, ?, ?, ?, ?)`,
				permitNo, receipt, tm(now), from.Format(time.DateOnly), validTo.Format(time.DateOnly)); err != nil {
				return fmt.Errorf("issue permit: %w", err)
			}
			push := ProvincePermit{
				PermitNo: permitNo, Receipt: receipt, IDNumber: m.Applicant.Number, Name: m.Applicant.Name,
				ValidFrom: from.Format(time.DateOnly), ValidTo: validTo.Format(time.DateOnly),
				Address: "缙云县" + m.Address.Town + m.Address.Community + m.Address.Detail, Route: m.Route,
				Condition: m.Condition, IssuedAt: now.In(kiosk.Shanghai), IssuingAuthority: "缙云县公安局",
			}
			if err := s.enqueue(ctx, tx, outboxProvince, receipt, push, now); err != nil {
				return err
			}
		}
		rj := "[]"
		if reasons != nil {
			rj = string(mustJSON(reasons))
		}
		if _, err := s.db.exec(ctx, tx, `UPDATE applications SET state = ?, decision = ?, decided_at = ?, reasons = ?, note = ?, reviewer = ?, permit_no = ?, updated_at = ? WHERE receipt = ?`,
			string(state), decision, tm(now), rj, d.Note, reviewer, permitNo, tm(now), receipt); err != nil {
			return err
		}
		evReasons := reasons
		if !d.Approve && d.Note != "" {
			evReasons = append(slices.Clone(reasons), wire.Reason{Code: "reviewer_note", Message: "审核意见：" + d.Note})
		}
		if err := s.event(ctx, tx, receipt, a.KioskID, string(state), now, a.DueAt, evReasons, reviewer); err != nil {
			return err
		}
		msg := SMS{To: m.Mobile, Receipt: receipt, Text: smsText(receipt, d.Approve, permitNo, validTo, reasons, d.Note)}
		if err := s.enqueue(ctx, tx, outboxSMS, receipt, msg, now); err != nil {
			return err
		}
		detail := decision
		for _, r := range reasons {
			detail += " " + r.Code
		}
		return s.auditTx(ctx, tx, reviewer, "review."+decision, receipt, detail)
	})
	if err == nil {
		s.metrics.decisions.WithLabelValues(map[bool]string{true: "approved", false: "rejected"}[d.Approve]).Inc()
	}
	return err
}

// smsText is the Chinese SMS naming the receipt, the result and, on rejection, every reason.
func smsText(receipt string, approve bool, permit string, validTo time.Time, reasons []wire.Reason, note string) string {
	var b strings.Builder
	b.WriteString("【缙云县居住证互认】您的居住证互认转换申请（回执号")
	b.WriteString(receipt)
	if approve {
		b.WriteString("）已审核通过，电子居住证号")
		b.WriteString(permit)
		b.WriteString("，有效期至")
		b.WriteString(validTo.Format("2006年1月2日"))
		b.WriteString("，可在“浙里办”查看。")
		return b.String()
	}
	b.WriteString("）未通过审核，不予办理。理由：")
	for i, r := range reasons {
		if i > 0 {
			b.WriteString("；")
		}
		fmt.Fprintf(&b, "%d.%s", i+1, r.Message)
		if r.Remedy != "" {
			b.WriteString("（" + r.Remedy + "）")
		}
	}
	if note != "" {
		b.WriteString("；审核意见：")
		b.WriteString(note)
	}
	b.WriteString("。请备齐材料后重新申请，咨询12345。")
	return b.String()
}

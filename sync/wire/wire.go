// Package wire is protocol v1 between kiosks and the review service (DESIGN.md): the JSON types, the error
// body, and HMAC-SHA256 request signing. Both sides import it so they cannot drift apart.
package wire

import (
	"time"
)

// Version is the protocol version; the API base is {server}/api/v1.
const (
	Version  = "v1"
	BasePath = "/api/v1"
)

// Limits.
const (
	MaxMaterialBytes = 2 << 20  // one material, 2 MiB
	MaxManifestBytes = 64 << 10 // a manifest body
	MaxSmallBody     = 16 << 10 // precheck, heartbeat …
)

// Content types allowed for materials.
const (
	ContentJPEG = "image/jpeg"
	ContentPDF  = "application/pdf"
)

// Applicant is the applicant's card text as sent to the review service.
type Applicant struct {
	Name      string `json:"name"`
	Number    string `json:"id_number"`
	Sex       string `json:"sex"`
	Nation    string `json:"nation"`
	Birth     string `json:"birth"`      // YYYY-MM-DD
	CardType  string `json:"card_type"`  // resident | hkmotw | foreign
	ValidFrom string `json:"valid_from"` // YYYY-MM-DD
	ValidTo   string `json:"valid_to"`   // YYYY-MM-DD, empty for 长期
}

// Address is the residence address in Jinyun.
type Address struct {
	TownCode  string `json:"town_code"`
	Town      string `json:"town"`
	Community string `json:"community"`
	Detail    string `json:"detail"`
}

// MaterialRef describes one material in a manifest.
type MaterialRef struct {
	Kind        string   `json:"kind"`
	Page        int      `json:"page"`
	SHA256      string   `json:"sha256"`
	Size        int64    `json:"size"`
	ContentType string   `json:"content_type"`
	Warnings    []string `json:"warnings,omitempty"`
}

// Precheck is the provincial registration record (POST /precheck answer; also carried in the manifest as the
// kiosk saw it).
type Precheck struct {
	Known           bool   `json:"known"`
	HasPermit       bool   `json:"has_permit"`
	PermitCity      string `json:"permit_city"`
	RegisteredSince string `json:"registered_since"` // YYYY-MM-DD, empty when none
	Months          int    `json:"months"`
}

// Manifest is the body of PUT /applications/{receipt}.
type Manifest struct {
	Receipt         string        `json:"receipt"`
	Kiosk           string        `json:"kiosk"`
	Applicant       Applicant     `json:"applicant"`
	Route           string        `json:"route"`
	Condition       string        `json:"condition"`
	Mobile          string        `json:"mobile"`
	Address         Address       `json:"address"`
	EmployerUSCC    string        `json:"employer_uscc,omitempty"`
	SchoolCode      string        `json:"school_code,omitempty"`
	SchoolName      string        `json:"school_name,omitempty"`
	Materials       []MaterialRef `json:"materials"`
	Precheck        Precheck      `json:"precheck"`
	NoticeVersion   string        `json:"notice_version"`
	CreatedAt       time.Time     `json:"created_at"`
	StatusTokenHash string        `json:"status_token_hash"` // hex(SHA-256(token))
}

// ManifestResponse answers the manifest PUT.
type ManifestResponse struct {
	State   string   `json:"state"`
	Missing []string `json:"missing"` // sha256 of materials the server still needs
}

// SubmitResponse answers POST /applications/{receipt}/submit.
type SubmitResponse struct {
	State      string    `json:"state"`
	AcceptedAt time.Time `json:"accepted_at"`
	DueAt      time.Time `json:"due_at"`
}

// PrecheckRequest is the body of POST /precheck.
type PrecheckRequest struct {
	IDNumber string `json:"id_number"`
}

// Reason is one coded refusal reason.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Remedy  string `json:"remedy,omitempty"`
}

// Update is one state change of a kiosk's application (GET /kiosks/{id}/updates).
type Update struct {
	Cursor  int64     `json:"cursor"`
	Receipt string    `json:"receipt"`
	State   string    `json:"state"`
	At      time.Time `json:"at"`
	DueAt   time.Time `json:"due_at,omitzero"`
	Reasons []Reason  `json:"reasons,omitempty"`
}

// Updates answers GET /kiosks/{id}/updates?after={cursor}.
type Updates struct {
	Updates []Update `json:"updates"`
	Cursor  int64    `json:"cursor"` // pass as after= next time
}

// StaffPIN is one staff member's PIN hash for admin mode.
type StaffPIN struct {
	Staff string `json:"staff"`
	Hash  string `json:"hash"` // PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash
}

// KioskConfig answers GET /kiosks/{id}/config.
type KioskConfig struct {
	Version       string            `json:"version"`
	StaffPINs     []StaffPIN        `json:"staff_pins"`
	Settings      map[string]string `json:"settings"`
	Calendar      []byte            `json:"calendar"` // workday.Load format
	Reasons       []Reason          `json:"reasons"`  // the reason catalogue
	RulesVersion  string            `json:"rules_version"`
	NoticeVersion string            `json:"notice_version"`
}

// DeviceHealth is one device in a heartbeat.
type DeviceHealth struct {
	Device string `json:"device"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Heartbeat is the body of POST /kiosks/{id}/heartbeat.
type Heartbeat struct {
	Version          string         `json:"version"`
	QueueDepth       int            `json:"queue_depth"`
	Dead             int            `json:"dead"`
	OldestUnsentSecs int64          `json:"oldest_unsent_seconds"`
	Devices          []DeviceHealth `json:"devices"`
	At               time.Time      `json:"at"`
}

// Status answers GET /status/{receipt}?t={token}.
type Status struct {
	Receipt    string    `json:"receipt"`
	State      string    `json:"state"`
	StateLabel string    `json:"state_label"` // Chinese
	MaskedName string    `json:"masked_name"`
	AcceptedAt time.Time `json:"accepted_at,omitzero"`
	DueAt      time.Time `json:"due_at,omitzero"`
	DecidedAt  time.Time `json:"decided_at,omitzero"`
	Decision   string    `json:"decision,omitempty"` // approved | rejected
	PermitNo   string    `json:"permit_no,omitempty"`
	Reasons    []Reason  `json:"reasons,omitempty"`
	Next       string    `json:"next,omitempty"` // what to do next, Chinese
}

// Error codes of the error body.
const (
	CodeInvalid      = "invalid"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeTooLarge     = "too_large"
	CodeRateLimited  = "rate_limited"
	CodeInternal     = "internal"
)

// ErrorBody is every error answer: {"error":{"code":…,"message":…}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

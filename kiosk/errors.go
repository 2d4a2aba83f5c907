package kiosk

import "errors"

// UserError carries a plain message for the applicant (Chinese first, English second) and the cause for staff.
// Error() gives both; Message extracts the applicant's text.
type UserError struct {
	Zh  string // shown to the applicant
	En  string // shown when the session is in English
	Err error  // the cause, for logs and admin mode; may be nil
}

// Error returns the Chinese message and the cause.
func (e *UserError) Error() string {
	if e.Err == nil {
		return e.Zh
	}
	return e.Zh + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *UserError) Unwrap() error { return e.Err }

// NewUserError wraps cause with messages for the applicant.
func NewUserError(zh, en string, cause error) error { return &UserError{Zh: zh, En: en, Err: cause} }

// Generic messages when an error carries none for the applicant.
const (
	GenericZh = "系统暂时无法完成操作，请联系工作人员。"
	GenericEn = "The system could not complete this step. Please ask a member of staff."
)

// Message returns the applicant-facing text of err in Chinese (en=false) or English, or a generic one.
func Message(err error, en bool) string {
	var ue *UserError
	if errors.As(err, &ue) {
		if en && ue.En != "" {
			return ue.En
		}
		return ue.Zh
	}
	if en {
		return GenericEn
	}
	return GenericZh
}

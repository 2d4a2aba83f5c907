package review

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // driver "sqlite3"
)

// dialect is the little that differs between SQLite and PostgreSQL; every query is written once with '?'
// placeholders and rebound for PostgreSQL.
type dialect int

const (
	sqlite dialect = iota
	postgres
)

// db is the review service's store: one schema, two engines. w is the writer (one connection on SQLite), r
// the reader pool (on PostgreSQL both are the same pool).
type db struct {
	d    dialect
	w, r *sql.DB
}

// ErrNotFound is returned (wrapped) when a row does not exist.
var ErrNotFound = errors.New("not found")

// isPostgresDSN reports whether dsn names a PostgreSQL database.
func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func openDB(ctx context.Context, dsn string) (*db, error) {
	if isPostgresDSN(dsn) {
		p, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		p.SetMaxOpenConns(16)
		p.SetMaxIdleConns(16)
		if err := p.PingContext(ctx); err != nil {
			p.Close()
			return nil, fmt.Errorf("connect postgres: %w", err)
		}
		d := &db{d: postgres, w: p, r: p}
		if err := d.migrate(ctx); err != nil {
			p.Close()
			return nil, err
		}
		return d, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	opts := "_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on&_busy_timeout=10000"
	w, err := sql.Open("sqlite3", "file:"+path+"?"+opts+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	d := &db{d: sqlite, w: w}
	if err := d.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite3", "file:"+path+"?"+opts+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite reader: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	d.r = r
	return d, nil
}

func (d *db) close() error {
	err := d.w.Close()
	if d.r != d.w {
		if e := d.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// rb rebinds '?' placeholders to $n for PostgreSQL.
func (d *db) rb(q string) string {
	if d.d == sqlite {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// execer is *sql.DB or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (d *db) exec(ctx context.Context, e execer, q string, args ...any) (sql.Result, error) {
	return e.ExecContext(ctx, d.rb(q), args...)
}

func (d *db) query(ctx context.Context, e execer, q string, args ...any) (*sql.Rows, error) {
	return e.QueryContext(ctx, d.rb(q), args...)
}

func (d *db) row(ctx context.Context, e execer, q string, args ...any) *sql.Row {
	return e.QueryRowContext(ctx, d.rb(q), args...)
}

// tx runs f in one write transaction.
func (d *db) tx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Times are stored as Unix microseconds; 0 is the zero time.
func tm(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromTM(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

var migrations = []string{
	`CREATE TABLE kiosks (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		secret_enc {{blob}} NOT NULL,
		disabled INTEGER NOT NULL DEFAULT 0,
		created_at BIGINT NOT NULL,
		last_seen BIGINT NOT NULL DEFAULT 0,
		version TEXT NOT NULL DEFAULT '',
		queue_depth INTEGER NOT NULL DEFAULT 0,
		dead INTEGER NOT NULL DEFAULT 0,
		oldest_unsent BIGINT NOT NULL DEFAULT 0,
		devices TEXT NOT NULL DEFAULT '[]'
	);
	CREATE TABLE applications (
		receipt TEXT PRIMARY KEY,
		kiosk_id TEXT NOT NULL REFERENCES kiosks(id),
		manifest {{blob}} NOT NULL,
		token_hash TEXT NOT NULL,
		masked_name TEXT NOT NULL,
		state TEXT NOT NULL,
		received_at BIGINT NOT NULL,
		accepted_at BIGINT NOT NULL DEFAULT 0,
		due_at BIGINT NOT NULL DEFAULT 0,
		decided_at BIGINT NOT NULL DEFAULT 0,
		decision TEXT NOT NULL DEFAULT '',
		reasons TEXT NOT NULL DEFAULT '[]',
		note TEXT NOT NULL DEFAULT '',
		reviewer TEXT NOT NULL DEFAULT '',
		permit_no TEXT NOT NULL DEFAULT '',
		updated_at BIGINT NOT NULL
	);
	CREATE INDEX applications_due ON applications(state, due_at);
	CREATE TABLE materials (
		receipt TEXT NOT NULL REFERENCES applications(receipt),
		sha256 TEXT NOT NULL,
		kind TEXT NOT NULL,
		page INTEGER NOT NULL,
		size BIGINT NOT NULL,
		content_type TEXT NOT NULL,
		warnings TEXT NOT NULL DEFAULT '[]',
		present INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (receipt, sha256)
	);
	CREATE TABLE events (
		id {{serial}},
		receipt TEXT NOT NULL,
		kiosk_id TEXT NOT NULL,
		state TEXT NOT NULL,
		at BIGINT NOT NULL,
		due_at BIGINT NOT NULL DEFAULT 0,
		reasons TEXT NOT NULL DEFAULT '[]',
		actor TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX events_kiosk ON events(kiosk_id, id);
	CREATE INDEX events_receipt ON events(receipt, id);
	CREATE TABLE permits (
		no TEXT PRIMARY KEY,
		receipt TEXT NOT NULL UNIQUE,
		issued_at BIGINT NOT NULL,
		valid_from TEXT NOT NULL,
		valid_to TEXT NOT NULL
	);
	CREATE TABLE outbox (
		id {{serial}},
		kind TEXT NOT NULL,
		receipt TEXT NOT NULL,
		payload {{blob}} NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		next_at BIGINT NOT NULL,
		last_error TEXT NOT NULL DEFAULT '',
		created_at BIGINT NOT NULL,
		done_at BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX outbox_due ON outbox(done_at, next_at);
	CREATE TABLE reviewers (
		name TEXT PRIMARY KEY,
		hash TEXT NOT NULL,
		failures INTEGER NOT NULL DEFAULT 0,
		locked_until BIGINT NOT NULL DEFAULT 0,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE sessions (
		token_hash TEXT PRIMARY KEY,
		reviewer TEXT NOT NULL REFERENCES reviewers(name),
		csrf TEXT NOT NULL,
		expires_at BIGINT NOT NULL
	);
	CREATE TABLE audit (
		id {{serial}},
		at BIGINT NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		receipt TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE registry (
		id_number TEXT PRIMARY KEY,
		has_permit INTEGER NOT NULL,
		permit_city TEXT NOT NULL,
		registered_since TEXT NOT NULL,
		months INTEGER NOT NULL
	);
	CREATE TABLE staff_pins (
		staff TEXT PRIMARY KEY,
		hash TEXT NOT NULL
	);
	CREATE TABLE settings (
		key TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);`,
	`CREATE TABLE counters (
		name TEXT PRIMARY KEY,
		value BIGINT NOT NULL
	);
	INSERT INTO counters (name, value) VALUES ('permit', 0);
	ALTER TABLE applications ADD COLUMN overdue_at BIGINT NOT NULL DEFAULT 0`,
	`CREATE TABLE nonces (
		kiosk_id TEXT NOT NULL,
		nonce TEXT NOT NULL,
		at BIGINT NOT NULL,
		PRIMARY KEY (kiosk_id, nonce)
	);
	CREATE INDEX nonces_at ON nonces(at)`,
}

func (d *db) ddl(s string) string {
	if d.d == postgres {
		s = strings.ReplaceAll(s, "{{blob}}", "BYTEA")
		s = strings.ReplaceAll(s, "{{serial}}", "BIGSERIAL PRIMARY KEY")
	} else {
		s = strings.ReplaceAll(s, "{{blob}}", "BLOB")
		s = strings.ReplaceAll(s, "{{serial}}", "INTEGER PRIMARY KEY AUTOINCREMENT")
	}
	return s
}

// migrate applies every migration not yet recorded, each in one transaction with its record.
func (d *db) migrate(ctx context.Context) error {
	if _, err := d.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if d.d == postgres {
		// Serialise concurrent migrators (several service instances starting at once) on one connection.
		conn, err := d.w.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate lock: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(331122)`); err != nil {
			return fmt.Errorf("migrate lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(331122)`)
	}
	for i, m := range migrations {
		v := i + 1
		err := d.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := d.row(ctx, tx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range strings.Split(d.ddl(m), ";") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%.60s: %w", strings.TrimSpace(stmt), err)
				}
			}
			_, err := d.exec(ctx, tx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}

package reviewtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	gosync "sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// PGBin is where Debian's PostgreSQL 15 server binaries live.
var PGBin = "/usr/lib/postgresql/15/bin"

var pg struct {
	mu   gosync.Mutex
	dir  string
	port int
	err  error
	n    int
}

// asPostgres runs a PostgreSQL binary as the postgres user (runuser when root).
func asPostgres(name string, args ...string) *exec.Cmd {
	bin := filepath.Join(PGBin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

func startCluster() (dir string, port int, err error) {
	if _, err := os.Stat(filepath.Join(PGBin, "initdb")); err != nil {
		return "", 0, fmt.Errorf("postgresql server binaries not found in %s (apt-get install postgresql): %w", PGBin, err)
	}
	dir, err = os.MkdirTemp("", "huren-pg-*")
	if err != nil {
		return "", 0, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return dir, 0, fmt.Errorf("user postgres missing (apt-get install postgresql): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return dir, 0, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := asPostgres("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		return dir, 0, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return dir, 0, err
	}
	port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
	if out, err := asPostgres("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return dir, 0, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	return dir, port, nil
}

// Postgres returns the DSN of a new empty database on a throwaway PostgreSQL cluster that the first call
// starts (initdb in a temp folder as the postgres user, a free loopback port). When PostgreSQL cannot be
// started the test fails with the reason. Call StopPostgres from TestMain.
func Postgres(t testing.TB) string {
	t.Helper()
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.dir == "" && pg.err == nil {
		pg.dir, pg.port, pg.err = startCluster()
	}
	if pg.err != nil {
		t.Fatalf("reviewtest: cannot start PostgreSQL: %v", pg.err)
	}
	pg.n++
	name := fmt.Sprintf("huren_t%d", pg.n)
	admin := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("reviewtest: postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("reviewtest: create database: %v", err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, name)
}

// StopPostgres stops the throwaway cluster (if one was started) and removes its folder.
func StopPostgres() {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.dir == "" {
		return
	}
	if pg.port != 0 {
		asPostgres("pg_ctl", "-D", filepath.Join(pg.dir, "data"), "-m", "immediate", "-w", "stop").Run()
	}
	os.RemoveAll(pg.dir)
	pg.dir, pg.port = "", 0
}

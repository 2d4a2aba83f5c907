package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"huren/review"
	"huren/sync/wire"
)

func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String() + errb.String(), err
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	data := filepath.Join(dir, "data")
	common := []string{"--db", db, "--data", data}
	if out, err := runCmd(t, "", append([]string{"migrate"}, common...)...); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %v %s", err, out)
	}
	out, err := runCmd(t, "", append([]string{"kiosk", "add", "K007", "--name", "五云街道便民服务中心"}, common...)...)
	if err != nil {
		t.Fatalf("kiosk add: %v %s", err, out)
	}
	hexRe := regexp.MustCompile(`(?m)^[0-9a-f]{64}$`)
	secret := hexRe.FindString(out)
	if secret == "" {
		t.Fatalf("no secret printed: %s", out)
	}
	if _, err := runCmd(t, "", append([]string{"kiosk", "add", "K007", "--name", "again"}, common...)...); err == nil {
		t.Error("duplicate kiosk accepted")
	}
	if _, err := runCmd(t, "", append([]string{"kiosk", "add", "bad", "--name", "x"}, common...)...); err == nil {
		t.Error("bad kiosk id accepted")
	}
	out, err = runCmd(t, "", append([]string{"kiosk", "list"}, common...)...)
	if err != nil || !strings.Contains(out, "K007") || !strings.Contains(out, "五云街道便民服务中心") || strings.Contains(out, secret) {
		t.Errorf("kiosk list: %v %s", err, out)
	}
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("correct horse battery\n"), 0o600)
	if out, err := runCmd(t, "", append([]string{"reviewer", "add", "alice", "--password-file", pw}, common...)...); err != nil {
		t.Fatalf("reviewer add: %v %s", err, out)
	}
	if out, err := runCmd(t, "typed password 123\n", append([]string{"reviewer", "add", "bob"}, common...)...); err != nil {
		t.Fatalf("reviewer add (prompt): %v %s", err, out)
	}
	if out, err := runCmd(t, "135790\n", append([]string{"staff-pin", "wang"}, common...)...); err != nil {
		t.Fatalf("staff-pin: %v %s", err, out)
	}
	if out, err := runCmd(t, "", append([]string{"demo-seed"}, common...)...); err != nil || !strings.Contains(out, review.DemoReviewer) {
		t.Fatalf("demo-seed: %v %s", err, out)
	}
	if _, err := runCmd(t, "", "bogus"); err == nil {
		t.Error("bogus command accepted")
	}

	// The secret works against a served instance; the passwords were stored.
	s, err := review.Open(context.Background(), review.Options{DB: db, DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"alice", "correct horse battery"}, {"bob", "typed password 123"}} {
		if _, err := s.Login(context.Background(), c[0], c[1]); err != nil {
			t.Errorf("login %s: %v", c[0], err)
		}
	}
	s.Close()

	ctx, cancel := context.WithCancel(context.Background())
	pr, pwr := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, common...), strings.NewReader(""), pwr, io.Discard)
		pwr.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve output: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(line[strings.Index(line, "http://"):])
	key, _ := wire.ParseSecret(secret)
	req, _ := http.NewRequest("GET", base+wire.BasePath+"/kiosks/K007/config", nil)
	wire.SignRequest(req, "K007", key, wire.BodyHash(nil), time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"staff":"wang"`) {
		t.Errorf("config via served instance: %d %s", resp.StatusCode, b)
	}
	resp, err = http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v", err)
	} else {
		resp.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}

	if out, err := runCmd(t, "", append([]string{"kiosk", "disable", "K007"}, common...)...); err != nil {
		t.Errorf("disable: %v %s", err, out)
	}
	out, _ = runCmd(t, "", append([]string{"kiosk", "list"}, common...)...)
	if !strings.Contains(out, "disabled") {
		t.Errorf("list after disable: %s", out)
	}
	if fi, err := os.Stat(filepath.Join(data, "server.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("server key: %v %v", fi, err)
	}
}

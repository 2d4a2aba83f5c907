package passhash

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := Hash("246810")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q: not the PHC form", h)
	}
	if h == Hash("246810") {
		t.Fatal("two hashes of the same PIN are equal: salt is not random")
	}
	ok, err := Verify(h, "246810")
	if err != nil || !ok {
		t.Fatalf("right PIN: ok=%v err=%v", ok, err)
	}
	ok, err = Verify(h, "246811")
	if err != nil || ok {
		t.Fatalf("wrong PIN: ok=%v err=%v", ok, err)
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	for _, h := range []string{
		"", "plain", "$argon2i$v=19$m=65536,t=2,p=2$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=65536,t=2,p=2$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4294967295,t=2,p=2$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if _, err := Verify(h, "1234"); !errors.Is(err, ErrFormat) {
			t.Errorf("Verify(%q): err %v, want ErrFormat", h, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "1234")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "")
	f.Fuzz(func(t *testing.T, h, pin string) {
		p, err := parse(h)
		if err != nil {
			return
		}
		if p.m > 256*1024 || p.t > 16 || len(p.salt) < 8 || len(p.key) < 16 {
			t.Fatalf("parse accepted out-of-range parameters %+v", p)
		}
	})
}

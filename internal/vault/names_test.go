package vault

import (
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	good := []string{"a", "api-key", "db2-password", "x-", strings.Repeat("a", MaxNameLen)}
	bad := []string{"", "API", "Api-key", "1key", "-key", "api_key", "api key", "api.key", "clé", strings.Repeat("a", MaxNameLen+1)}
	for _, n := range good {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q): %v", n, err)
		}
	}
	for _, n := range bad {
		if err := ValidateName(n); err == nil || strings.ContainsAny(err.Error(), "\n") {
			t.Errorf("ValidateName(%q) = %v, want a one-line error", n, err)
		}
	}
}

func TestValidateEnv(t *testing.T) {
	good := []string{"A", "_", "API_KEY", "_PRIVATE", "X1", strings.Repeat("A", MaxEnvLen)}
	bad := []string{"", "api_key", "Api", "1X", "A-B", "A B", "A=B", "É", strings.Repeat("A", MaxEnvLen+1)}
	for _, n := range good {
		if err := ValidateEnv(n); err != nil {
			t.Errorf("ValidateEnv(%q): %v", n, err)
		}
	}
	for _, n := range bad {
		if err := ValidateEnv(n); err == nil {
			t.Errorf("ValidateEnv(%q) accepted", n)
		}
	}
}

func TestEnvFor(t *testing.T) {
	for name, want := range map[string]string{"api-key": "API_KEY", "a": "A", "db2-pass-word": "DB2_PASS_WORD"} {
		if got := EnvFor(name); got != want {
			t.Errorf("EnvFor(%q) = %q, want %q", name, got, want)
		}
		if err := ValidateEnv(EnvFor(name)); err != nil {
			t.Errorf("EnvFor(%q) is not a valid env name: %v", name, err)
		}
	}
}

// A value typed where a name belongs must not come back in the error.
func TestNameErrorsDoNotRepeatTheName(t *testing.T) {
	for _, typed := range []string{"sk_live_Zq81xY", "Zq81-Secret-Value", "ptzq81 secret", strings.Repeat("X", 10000)} {
		for what, err := range map[string]error{"name": ValidateName(typed), "env": ValidateEnv(typed)} {
			if err == nil || strings.Contains(err.Error(), typed) || strings.Contains(err.Error(), "Zq81") || len(err.Error()) > 400 {
				t.Errorf("%s %q: %v", what, typed, err)
			}
		}
	}
}

// A file's loader quotes the offending name, cut short.
func TestLongNameIsCutInMessage(t *testing.T) {
	if q := quoteName(strings.Repeat("X", 10000)); len(q) > 400 {
		t.Fatalf("quoted name not bounded: %d bytes", len(q))
	}
}

package vault

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecipientsKeepCommentsAcrossAddRemove(t *testing.T) {
	a, b, c := newIdentity(t).Recipient().String(), newIdentity(t).Recipient().String(), newIdentity(t).Recipient().String()
	path := filepath.Join(t.TempDir(), "recipients.txt")
	os.WriteFile(path, []byte("# alice\n"+a+"\n\n# bob\n  "+b+"  \r\n"), 0o600)
	rs, err := LoadRecipients(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rs.Keys(), ","); got != a+","+b {
		t.Fatalf("keys %s", got)
	}
	if added, err := rs.Add(c); !added || err != nil {
		t.Fatalf("Add: %v %v", added, err)
	}
	if added, err := rs.Add(" " + c + " "); added || err != nil {
		t.Fatalf("re-Add: %v %v", added, err)
	}
	if removed, err := rs.Remove(b); !removed || err != nil {
		t.Fatalf("Remove: %v %v", removed, err)
	}
	if removed, _ := rs.Remove(b); removed {
		t.Fatal("removed twice")
	}
	if err := rs.Save(); err != nil {
		t.Fatal(err)
	}
	mustMode0600(t, path)
	data, _ := os.ReadFile(path)
	if string(data) != "# alice\n"+a+"\n\n# bob\n"+c+"\n" {
		t.Fatalf("file:\n%s", data)
	}
	if len(rs.AgeRecipients()) != 2 {
		t.Fatal("AgeRecipients")
	}
}

func TestRecipientsRefuseLastAndBadKeys(t *testing.T) {
	id := newIdentity(t)
	rs := NewRecipients(filepath.Join(t.TempDir(), "recipients.txt"))
	if _, err := rs.Add(id.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Remove(id.Recipient().String()); err == nil || !strings.Contains(err.Error(), "last recipient") {
		t.Fatalf("removing the last recipient: %v", err)
	}
	for _, bad := range []string{"", "age1xyz", id.String(), strings.ToLower(id.String())} {
		_, err := rs.Add(bad)
		if err == nil {
			t.Fatalf("Add accepted a bad key")
		}
		noLeak(t, err, id.String(), strings.ToLower(id.String()))
	}
	if _, err := ParseRecipient(id.String()); err == nil || !strings.Contains(err.Error(), "secret key") {
		t.Fatalf("ParseRecipient(secret key): %v", err)
	}
}

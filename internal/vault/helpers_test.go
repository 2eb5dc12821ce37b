package vault

import (
	"bytes"
	"encoding/base64"

	"filippo.io/age/armor"
)

func decodeBase64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func armorRaw(raw []byte) string {
	var b bytes.Buffer
	w := armor.NewWriter(&b)
	w.Write(raw)
	w.Close()
	return b.String()
}

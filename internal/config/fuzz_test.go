package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func FuzzDecodeConfig(f *testing.F) {
	f.Add([]byte(valid))
	f.Add(Default("inventory", "acme/inventory").Encode())
	for _, s := range []string{
		"",
		"[modules]\n\"a.b\" = [\"**\"]\n'c' = []\n",
		"[sla]\ncritical = \"1w2d3h\"\nlow = \"0.5d\"\n",
		"[build]\nbuilder = \"command\"\ncommand = \"make\"\n",
		"[release]\ntags = '('\n",
		"project = { name = \"x\", github = \"a/b\" }\n",
		"\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode(file, data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || len(de.Problems) == 0 {
				t.Fatalf("Decode error %T without problems: %v", err, err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, p := range de.Problems {
				if p.Line < 1 || p.Line > lines || p.Col < 1 || p.Code == "" || p.Message == "" {
					t.Errorf("malformed problem %+v", p)
				}
				if strings.Contains(p.Message, "internal error") {
					t.Errorf("Decode panicked: %s", p)
				}
			}
			return
		}
		enc := c.Encode()
		again, err := Decode(file, enc)
		if err != nil {
			t.Fatalf("Decode(Encode(c)): %v\nencoded:\n%s", err, enc)
		}
		if !equal(again, c) {
			t.Fatalf("Decode(Encode(c)) = %+v\nwant %+v\nencoded:\n%s", again, c, enc)
		}
		if enc2 := again.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("Encode is not stable:\n%s\nthen\n%s", enc, enc2)
		}
	})
}

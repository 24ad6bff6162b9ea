package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdTamperStatement alters the statement inside a DSSE envelope and keeps
// its signature, as someone who edits a signed provenance would:
//
//	tamperstatement IN OUT OLD NEW   (the first OLD in the statement becomes NEW)
func cmdTamperStatement(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: tamperstatement IN OUT OLD NEW")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var env map[string]any
	ts.Check(json.Unmarshal(data, &env))
	payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	ts.Check(err)
	if !strings.Contains(string(payload), args[2]) {
		ts.Fatalf("tamperstatement: %q is not in the statement", args[2])
	}
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), args[2], args[3], 1)))
	out, err := json.Marshal(env)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), append(out, '\n'), 0o644))
}

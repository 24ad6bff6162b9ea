package patchdiff

import (
	"bytes"
	"testing"
)

// fuzzLimits keeps each fuzz input cheap while still crossing every limit.
var fuzzLimits = Limits{MaxPatchBytes: 1 << 20, MaxFileBytes: 1 << 20, MaxFiles: 1000}

func FuzzParse(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add(fx.patch)
	}
	f.Add([]byte(twoHunks(f, false)))
	f.Add([]byte(binaryLiteral(10, make([]byte, 1000))))
	f.Add([]byte(corruptZlib()))
	f.Add([]byte(unsafeDiff("../x")))
	f.Add([]byte(writeDiff(f, Change{OldPath: "a", OldMode: ModeRegular, OldData: []byte("x\n")},
		Change{NewPath: "b", NewMode: ModeExecutable, NewData: []byte("x\n")},
		Change{NewPath: "l", NewMode: ModeSymlink, NewData: []byte("a")},
		Change{NewPath: "bin", NewMode: ModeRegular, NewData: binaryData(100, 9)})))
	f.Fuzz(func(t *testing.T, diff []byte) {
		files, err := fuzzLimits.Parse(bytes.NewReader(diff))
		if err != nil {
			return
		}
		CheckPaths(files, nil)
		CheckPaths(files, MapSource{})
		fuzzLimits.Apply(files, MapSource{})
	})
}

func FuzzRoundTrip(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		for p, e := range fx.old {
			if n, ok := fx.new[p]; ok {
				f.Add(e.Data, n.Data)
			}
		}
	}
	for _, tc := range treeCases() {
		if len(tc.old) == 1 && len(tc.new) == 1 {
			for p, e := range tc.old {
				if n, ok := tc.new[p]; ok {
					f.Add(e.Data, n.Data)
				}
			}
		}
	}
	f.Add([]byte(""), []byte("a"))
	f.Add([]byte("a\r\n\r\nb"), []byte("\x00"))
	f.Fuzz(func(t *testing.T, old, new []byte) {
		roundTrip(t, MapSource{"f": {Data: old}}, MapSource{"f": {Data: new}})
		roundTrip(t, MapSource{}, MapSource{"f": {Data: new}})
		roundTrip(t, MapSource{"f": {Data: old}}, MapSource{})
	})
}

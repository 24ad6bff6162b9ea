package rollout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/release"
	"github.com/patchline/patchline/internal/textsafe"
)

// RecordSchema is the record format's version.
const RecordSchema = 1

// Bounds DecodeRecord holds a record to. An exporter keeps the newest
// MaxChecks outcomes of a patch and the last lines of each output, within
// MaxOutput bytes.
const (
	MaxRecordSize    = 8 << 20
	MaxPatches       = 10_000
	MaxChecks        = 1_000
	MaxConfirmations = 100
	MaxOutput        = 8 << 10
	MaxNote          = 4 << 10
	MaxProductLen    = 128
)

// Record is one install as `patchline installed --to DIR --export FILE`
// writes it: what `apply --env production --evidence FILE` takes as proof
// of a healthy test install, and what `fleet add` files as a delivery
// record. docs/records.md describes every field.
type Record struct {
	Schema   int           `json:"schema"` // RecordSchema
	Site     string        `json:"site"`   // as CheckSite allows
	Env      string        `json:"env"`    // test, staging or production
	Host     string        `json:"host,omitempty"`
	Operator string        `json:"operator,omitempty"`
	Product  string        `json:"product"`
	Release  Ref           `json:"release"` // installed now
	Patches  []RecordPatch `json:"patches"` // in the order they were applied, rolled back ones included
	Exported time.Time     `json:"exported_at"`
}

// Ref is a release: its tag and commit.
type Ref struct {
	Tag    string `json:"tag"`
	Commit string `json:"commit"`
}

// RecordPatch is one patch an install received.
type RecordPatch struct {
	ID           string     `json:"id"`
	BundleDigest string     `json:"bundle_digest"` // SHA-256 of the bundle file, hex
	Platform     string     `json:"platform"`      // GOOS/GOARCH
	Base         Ref        `json:"base"`
	Target       Ref        `json:"target"`
	AppliedAt    time.Time  `json:"applied_at"`
	RolledBackAt *time.Time `json:"rolled_back_at,omitempty"`
	// AutoRolledBack: its health check failed and apply rolled it back.
	AutoRolledBack bool           `json:"auto_rolled_back,omitempty"`
	Checks         []CheckOutcome `json:"checks,omitempty"` // oldest first
	Confirmations  []Confirmation `json:"confirmations,omitempty"`
}

// CheckOutcome is one run of the health check.
type CheckOutcome struct {
	At       time.Time `json:"at"`
	OK       bool      `json:"ok"`
	Attempts int       `json:"attempts,omitempty"`
	ExitCode int       `json:"exit_code,omitempty"` // of the last attempt; -1: timed out or did not start
	Output   string    `json:"output,omitempty"`    // the last lines of the last attempt
}

// Confirmation is the customer's word that the patch resolved the issue.
type Confirmation struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

// ErrBadRecord is wrapped by every error DecodeRecord and Check return.
var ErrBadRecord = errors.New("bad install record")

var (
	hexSHA256 = lazyre.New(`^[0-9a-f]{64}$`)
	commitRE  = lazyre.New(`^[0-9a-f]{40}([0-9a-f]{24})?$`)
	// The bundle's rules for what names directories under .patchline.
	patchIDRE  = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	platformRE = lazyre.New(`^[a-z0-9]{1,32}/[a-z0-9]{1,32}$`)
	tagRE      = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$`)
)

// DecodeRecord reads a record strictly: one JSON object, no unknown
// fields, schema 1, every field checked and bounded (Check). Errors wrap
// ErrBadRecord and name the field.
func DecodeRecord(data []byte) (*Record, error) {
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBadRecord, MaxRecordSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRecord, jsonError(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the record", ErrBadRecord)
	}
	if err := r.Check(); err != nil {
		return nil, err
	}
	return &r, nil
}

// jsonError says what is wrong in a record that does not decode, and
// on which line.
func jsonError(data []byte, err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
		pe *time.ParseError
	)
	switch {
	case err == io.EOF:
		return errors.New("the file is empty")
	case errors.As(err, &se):
		return fmt.Errorf("line %d: %v", line(data, se.Offset), strings.TrimPrefix(err.Error(), "json: "))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the record"
		}
		return fmt.Errorf("%s must be %s, got %s (line %d)", field, jsonType(te.Type.String()), te.Value, line(data, te.Offset))
	case errors.As(err, &pe):
		q, _ := json.Marshal(pe.Value)
		return fmt.Errorf("time %s is not RFC 3339, e.g. \"2026-03-04T10:00:00+01:00\"%s", q, lineOf(data, q))
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		// encoding/json does not say where; the first such key is likely it.
		return fmt.Errorf("unknown field %s%s", name, lineOf(data, []byte(name+":"), []byte(name+" :")))
	}
	return errors.New(msg)
}

// lineOf is " (line N)" for the first of needles found in data, or "".
func lineOf(data []byte, needles ...[]byte) string {
	for _, n := range needles {
		if i := bytes.Index(data, n); i >= 0 {
			return fmt.Sprintf(" (line %d)", line(data, int64(i)))
		}
	}
	return ""
}

func jsonType(t string) string {
	switch {
	case t == "string", t == "time.Time":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"):
		return "an integer"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	}
	return "an object"
}

func line(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// Check refuses a record that `installed --export` could not have
// written. Encode checks too, so patchline never writes a record it would
// refuse.
func (r *Record) Check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadRecord, fmt.Sprintf(format, args...))
	}
	if r.Schema != RecordSchema {
		return bad("schema %d is not %d: written by another patchline version", r.Schema, RecordSchema)
	}
	if err := CheckSite(r.Site); err != nil {
		return bad("%v", err)
	}
	if err := CheckEnv(r.Env); err != nil {
		return bad("env: %v", err)
	}
	if r.Host != "" {
		if err := CheckName("host", r.Host); err != nil {
			return bad("%v", err)
		}
	}
	if r.Operator != "" {
		if err := CheckName("operator", r.Operator); err != nil {
			return bad("%v", err)
		}
	}
	if err := checkText("product", r.Product, MaxProductLen, false); err != nil {
		return bad("%v", err)
	}
	if err := r.Release.check(); err != nil {
		return bad("release: %v", err)
	}
	if r.Exported.IsZero() {
		return bad("exported_at is missing")
	}
	if len(r.Patches) > MaxPatches {
		return bad("%d patches, at most %d", len(r.Patches), MaxPatches)
	}
	// A patch comes again only after it was rolled back: an install that
	// rolled back a patch whose health check failed and applied it again
	// keeps both deliveries, the older one rolled back.
	last := make(map[string]int, len(r.Patches))
	for i, p := range r.Patches {
		if err := p.check(); err != nil {
			return bad("patches[%d]: %v", i, err)
		}
		if j, seen := last[p.ID]; seen {
			prev := r.Patches[j]
			if prev.RolledBackAt == nil {
				return bad("patches[%d]: %s is listed again although patches[%d] was never rolled back", i, p.ID, j)
			}
			if p.AppliedAt.Before(*prev.RolledBackAt) {
				return bad("patches[%d]: %s was applied again at %s, before patches[%d] was rolled back", i, p.ID, p.AppliedAt.UTC().Format(time.RFC3339), j)
			}
		}
		last[p.ID] = i
	}
	return nil
}

func (ref Ref) check() error {
	if !tagRE.MatchString(ref.Tag) {
		return fmt.Errorf("tag %q is not a release tag", ref.Tag)
	}
	if v, ok := release.ParseVersion(ref.Tag); !ok || len(v) < 2 {
		return fmt.Errorf("tag %q is not a release version such as v2026.3.1", ref.Tag)
	}
	if !commitRE.MatchString(ref.Commit) {
		return fmt.Errorf("commit %q is not a full commit id", ref.Commit)
	}
	return nil
}

func (p *RecordPatch) check() error {
	if !patchIDRE.MatchString(p.ID) {
		return fmt.Errorf("id %q is not a patch id", p.ID)
	}
	if !hexSHA256.MatchString(p.BundleDigest) {
		return fmt.Errorf("%s: bundle_digest %q is not a SHA-256 in lower-case hex", p.ID, p.BundleDigest)
	}
	if !platformRE.MatchString(p.Platform) {
		return fmt.Errorf("%s: platform %q is not GOOS/GOARCH", p.ID, p.Platform)
	}
	if err := p.Base.check(); err != nil {
		return fmt.Errorf("%s: base: %v", p.ID, err)
	}
	if err := p.Target.check(); err != nil {
		return fmt.Errorf("%s: target: %v", p.ID, err)
	}
	if p.AppliedAt.IsZero() {
		return fmt.Errorf("%s: applied_at is missing", p.ID)
	}
	if p.RolledBackAt != nil && p.RolledBackAt.IsZero() {
		return fmt.Errorf("%s: rolled_back_at is empty: leave it out when the patch is installed", p.ID)
	}
	if p.AutoRolledBack && p.RolledBackAt == nil {
		return fmt.Errorf("%s: auto_rolled_back without rolled_back_at", p.ID)
	}
	if len(p.Checks) > MaxChecks {
		return fmt.Errorf("%s: %d checks, at most %d", p.ID, len(p.Checks), MaxChecks)
	}
	for i, c := range p.Checks {
		switch {
		case c.At.IsZero():
			return fmt.Errorf("%s: checks[%d]: at is missing", p.ID, i)
		case c.Attempts < 0 || c.Attempts > 1000:
			return fmt.Errorf("%s: checks[%d]: attempts %d is not between 0 and 1000", p.ID, i, c.Attempts)
		case c.OK && c.ExitCode != 0:
			return fmt.Errorf("%s: checks[%d]: ok with exit code %d", p.ID, i, c.ExitCode)
		case len(c.Output) > MaxOutput:
			return fmt.Errorf("%s: checks[%d]: output is over %d bytes", p.ID, i, MaxOutput)
		}
	}
	if len(p.Confirmations) > MaxConfirmations {
		return fmt.Errorf("%s: %d confirmations, at most %d", p.ID, len(p.Confirmations), MaxConfirmations)
	}
	for i, c := range p.Confirmations {
		if err := CheckName("by", c.By); err != nil {
			return fmt.Errorf("%s: confirmations[%d]: %v", p.ID, i, err)
		}
		if c.At.IsZero() {
			return fmt.Errorf("%s: confirmations[%d]: at is missing", p.ID, i)
		}
		if c.Note != "" {
			if err := checkText("note", c.Note, MaxNote, true); err != nil {
				return fmt.Errorf("%s: confirmations[%d]: %v", p.ID, i, err)
			}
		}
	}
	return nil
}

// checkText refuses text that is blank, too long or holds control
// characters (but newlines and tabs where multiline).
func checkText(what, s string, maxLen int, multiline bool) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%s is empty", what)
	case len(s) > maxLen:
		return fmt.Errorf("%s is over %d bytes", what, maxLen)
	}
	if at, r, ok := textsafe.FindControl(s, multiline); ok {
		if r == utf8.RuneError {
			return fmt.Errorf("%s is not UTF-8 at character %d", what, at)
		}
		return fmt.Errorf("%s has a control character (%U) at character %d", what, r, at)
	}
	return nil
}

// Encode writes the record as indented JSON with a final newline, after
// checking it.
func (r *Record) Encode() ([]byte, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Healthy finds the patch applied from the bundle with this digest and
// reports whether it is healthy there: still applied (not rolled back)
// and its last health check (the latest by time) passed. When the bundle
// is in the record but not healthy, the patch comes back with false, so
// that Problem can say why; when it is not in the record, the zero
// RecordPatch.
func (r *Record) Healthy(bundleDigest string) (RecordPatch, bool) {
	for _, p := range r.Patches {
		if p.BundleDigest == bundleDigest {
			return p, p.Problem() == ""
		}
	}
	return RecordPatch{}, false
}

// Problem says why the patch is not healthy in its install, or "" when
// it is.
func (p RecordPatch) Problem() string {
	if p.RolledBackAt != nil {
		how := "rolled back"
		if p.AutoRolledBack {
			how = "rolled back by apply after its health check failed"
		}
		return fmt.Sprintf("%s was %s at %s", p.ID, how, p.RolledBackAt.UTC().Format(time.RFC3339))
	}
	last, ok := p.LastCheck()
	switch {
	case !ok:
		return fmt.Sprintf("%s has no health check recorded", p.ID)
	case !last.OK:
		return fmt.Sprintf("%s failed its last health check at %s", p.ID, last.At.UTC().Format(time.RFC3339))
	}
	return ""
}

// LastCheck is the patch's latest health check by time (of two at the
// same time, the later listed).
func (p RecordPatch) LastCheck() (CheckOutcome, bool) {
	if len(p.Checks) == 0 {
		return CheckOutcome{}, false
	}
	last := p.Checks[0]
	for _, c := range p.Checks[1:] {
		if !c.At.Before(last.At) {
			last = c
		}
	}
	return last, true
}

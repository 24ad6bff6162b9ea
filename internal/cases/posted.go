package cases

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/patchline/patchline/internal/lazyre"
	"github.com/patchline/patchline/internal/textsafe"
)

// PostedFile is where, under the fleet folder, what `cases --post` sent
// is kept. A hidden name: the fleet folder holds only <site>/<env>.json
// besides, and fleet.Load skips hidden entries.
const PostedFile = ".cases-posted.json"

// Bounds DecodePosted holds the file to.
const (
	MaxPostedSize = 16 << 20
	MaxCaseLen    = 256
)

// Where a case was sent.
const (
	ToWebhook = "webhook"
	ToGitHub  = "github"
)

// Posted is what was delivered, by case: the status each case had when
// its last change was delivered. It is written after every delivery, so
// a run that stops half way sends on the next run only what it had not.
type Posted struct {
	Schema int                   `json:"schema"`
	Cases  map[string]PostedCase `json:"cases"`
}

// PostedCase is the last delivery of one case.
type PostedCase struct {
	Status   string    `json:"status"`
	Delivery string    `json:"delivery"` // the delivery id sent with it
	To       string    `json:"to"`       // webhook or github
	At       time.Time `json:"at"`
}

// ErrBadPosted is a posted file that does not decode or check.
var ErrBadPosted = errors.New("bad " + PostedFile)

var deliveryRE = lazyre.New(`^[0-9a-f]{64}$`)

// NewPosted is an empty record, for a repository that never posted.
func NewPosted() *Posted { return &Posted{Schema: Schema, Cases: map[string]PostedCase{}} }

// DecodePosted reads the file strictly, as any file anyone with push
// access may have written: no unknown fields, schema 1, known statuses
// and destinations, delivery ids of SHA-256 hex, bounded sizes.
func DecodePosted(data []byte) (*Posted, error) {
	if len(data) > MaxPostedSize {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBadPosted, MaxPostedSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Posted
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPosted, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the object", ErrBadPosted)
	}
	if p.Schema != Schema {
		return nil, fmt.Errorf("%w: schema %d is not %d", ErrBadPosted, p.Schema, Schema)
	}
	if p.Cases == nil {
		p.Cases = map[string]PostedCase{}
	}
	for id, c := range p.Cases {
		switch {
		case id == "" || len(id) > MaxCaseLen || !utf8.ValidString(id) || textsafe.CountControl(id, false) > 0:
			return nil, fmt.Errorf("%w: case %q is not a case id", ErrBadPosted, id)
		case rank(c.Status) < 0:
			return nil, fmt.Errorf("%w: %s: status %q is not one of open, delivered, awaiting confirmation, closed", ErrBadPosted, id, c.Status)
		case !deliveryRE.MatchString(c.Delivery):
			return nil, fmt.Errorf("%w: %s: delivery %q is not a SHA-256 in lower-case hex", ErrBadPosted, id, c.Delivery)
		case c.To != ToWebhook && c.To != ToGitHub:
			return nil, fmt.Errorf("%w: %s: to %q is not webhook or github", ErrBadPosted, id, c.To)
		case c.At.IsZero():
			return nil, fmt.Errorf("%w: %s: at is missing", ErrBadPosted, id)
		}
	}
	return &p, nil
}

// Encode writes the record as indented JSON, cases sorted, with a final
// newline.
func (p *Posted) Encode() ([]byte, error) {
	out, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Pending lists the cases whose status is not the one last delivered (a
// case never delivered is pending, whatever its status), sorted by id.
func Pending(r *Report, p *Posted) []Case {
	var out []Case
	for _, c := range r.Cases {
		if last, ok := p.Cases[c.ID]; !ok || last.Status != c.Status {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DeliveryID names one change of one case: the SHA-256 of the case as
// sent (its status and every piece of evidence), so the same change gives
// the same id in every run and a receiver can drop a repeat, while a new
// change gives a new one.
func DeliveryID(c Case) string {
	data, err := json.Marshal(c)
	if err != nil {
		// A Case holds strings, times and slices of them: it always encodes.
		panic(err)
	}
	h := sha256.New()
	h.Write([]byte("patchline case delivery v1\n"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

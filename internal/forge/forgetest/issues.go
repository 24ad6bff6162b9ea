package forgetest

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Issue is an issue the fake keeps: in the fake's own repository, or in
// another one a test added it to (customer cases written as owner/repo#N).
type Issue struct {
	Repo        string // owner/name
	Number      int
	Title       string
	State       string // open or closed
	StateReason string
	Comments    []IssueComment
}

// IssueComment is a comment on an issue.
type IssueComment struct {
	ID   int64
	User string
	Body string
	At   time.Time
}

// AddIssue opens an issue in repo (owner/name; "" is the fake's own
// repository) and returns its number. Issues and pull requests of the own
// repository share one sequence of numbers, as on GitHub.
func (s *Server) AddIssue(repo, title string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if repo == "" {
		repo = s.Owner + "/" + s.Name
	}
	if s.issues == nil {
		s.issues = map[string]*Issue{}
		s.issueSeqs = map[string]int{}
	}
	var n int
	if repo == s.Owner+"/"+s.Name {
		s.issueSeq++
		n = s.issueSeq
	} else {
		s.issueSeqs[repo]++
		n = s.issueSeqs[repo]
	}
	s.issues[repo+"#"+strconv.Itoa(n)] = &Issue{Repo: repo, Number: n, Title: title, State: "open"}
	return n
}

// Issues returns copies of every issue, by repository and number.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, 0, len(s.issues))
	for _, is := range s.issues {
		c := *is
		c.Comments = slices.Clone(is.Comments)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Repo != out[j].Repo {
			return out[i].Repo < out[j].Repo
		}
		return out[i].Number < out[j].Number
	})
	return out
}

// knowsIssues reports whether owner/repo is another repository a test
// added issues to, whose issue operations the fake serves.
func (s *Server) knowsIssues(owner, repo string, op *Operation) bool {
	if !strings.HasPrefix(op.Template, "/repos/{owner}/{repo}/issues/{issue_number}") {
		return false
	}
	_, ok := s.issueSeqs[owner+"/"+repo]
	return ok
}

// handleIssue serves the issue operations; ok is false for any other.
func (s *Server) handleIssue(op *Operation, p map[string]string, in map[string]any) (answer, bool) {
	key := func() string { return p["owner"] + "/" + p["repo"] + "#" + p["issue_number"] }
	switch op.String() {
	case "GET /repos/{owner}/{repo}/issues/{issue_number}":
		is := s.issues[key()]
		if is == nil {
			return answer{http.StatusNotFound, errorBody("Not Found")}, true
		}
		return answer{http.StatusOK, s.issueJSON(is)}, true

	case "PATCH /repos/{owner}/{repo}/issues/{issue_number}":
		is := s.issues[key()]
		if is == nil {
			return answer{http.StatusNotFound, errorBody("Not Found")}, true
		}
		if v, ok := in["title"].(string); ok {
			is.Title = v
		}
		if v, ok := in["state"].(string); ok {
			is.State = v
			is.StateReason = ""
			if v == "closed" {
				is.StateReason = "completed"
			}
		}
		if v, ok := in["state_reason"].(string); ok && is.State == "closed" {
			is.StateReason = v
		}
		return answer{http.StatusOK, s.issueJSON(is)}, true

	case "GET /repos/{owner}/{repo}/issues/{issue_number}/comments":
		is := s.issues[key()]
		if is == nil {
			return answer{http.StatusNotFound, errorBody("Not Found")}, true
		}
		out := []any{}
		for _, c := range is.Comments {
			out = append(out, s.commentJSON(is, c))
		}
		return answer{http.StatusOK, out}, true

	case "POST /repos/{owner}/{repo}/issues/{issue_number}/comments":
		is := s.issues[key()]
		if is == nil {
			return answer{http.StatusNotFound, errorBody("Not Found")}, true
		}
		body, _ := in["body"].(string)
		if strings.TrimSpace(body) == "" {
			return validationFailed("Validation Failed", map[string]any{"resource": "IssueComment", "field": "body", "code": "missing_field"}), true
		}
		if len(body) > 65536 {
			return validationFailed("Validation Failed", map[string]any{"resource": "IssueComment", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)"}), true
		}
		s.idSeq++
		s.clock = s.clock.Add(time.Minute)
		c := IssueComment{ID: 5000 + s.idSeq, User: s.Bot, Body: body, At: s.clock}
		is.Comments = append(is.Comments, c)
		return answer{http.StatusCreated, s.commentJSON(is, c)}, true
	}
	return answer{}, false
}

func (s *Server) issueJSON(is *Issue) map[string]any {
	v := s.spec.Instance("issue")
	num := strconv.Itoa(is.Number)
	api := s.apiURL("repos/" + is.Repo + "/issues/" + num)
	v["id"], v["number"], v["title"], v["state"] = is.Number, is.Number, is.Title, is.State
	v["url"], v["html_url"] = api, "https://github.com/"+is.Repo+"/issues/"+num
	v["comments_url"], v["events_url"], v["labels_url"] = api+"/comments", api+"/events", api+"/labels{/name}"
	v["repository_url"] = s.apiURL("repos/" + is.Repo)
	v["node_id"] = "I_" + num
	v["user"] = s.userJSON(s.Owner)
	v["labels"] = []any{}
	v["comments"] = len(is.Comments)
	created := s.clock.Format(time.RFC3339)
	v["created_at"], v["updated_at"] = created, created
	if is.State == "closed" {
		v["closed_at"] = created
		v["state_reason"] = is.StateReason
	}
	return v
}

func (s *Server) commentJSON(is *Issue, c IssueComment) map[string]any {
	v := s.spec.Instance("issue-comment")
	id := strconv.FormatInt(c.ID, 10)
	v["id"], v["node_id"], v["body"] = c.ID, "IC_"+id, c.Body
	v["url"] = s.apiURL("repos/" + is.Repo + "/issues/comments/" + id)
	v["html_url"] = "https://github.com/" + is.Repo + "/issues/" + strconv.Itoa(is.Number) + "#issuecomment-" + id
	v["issue_url"] = s.apiURL("repos/" + is.Repo + "/issues/" + strconv.Itoa(is.Number))
	v["user"] = s.userJSON(c.User)
	v["created_at"], v["updated_at"] = c.At.Format(time.RFC3339), c.At.Format(time.RFC3339)
	v["author_association"] = "NONE"
	return v
}

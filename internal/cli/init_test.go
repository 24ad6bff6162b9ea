package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/patchline/patchline/internal/config"
)

// workflow is the part of a GitHub Actions workflow the tests read.
type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		Needs    any               `yaml:"needs"`
		If       string            `yaml:"if"`
		RunsOn   string            `yaml:"runs-on"`
		Env      map[string]string `yaml:"env"`
		Strategy struct {
			Matrix any `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			ID   string `yaml:"id"`
			Uses string `yaml:"uses"`
			Run  string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func renderWorkflow(t *testing.T) (string, workflow) {
	t.Helper()
	data, err := renderTemplate("", "workflow.yml.tmpl", newWorkflowData(config.Default("inventory", "acme/inventory"), "v1.4.2"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("the workflow init writes is not YAML: %v\n%s", err, data)
	}
	return string(data), wf
}

// TestInitWorkflow checks the workflow `patchline init` writes: valid YAML,
// every job the issue asks for, and the build matrix fed from
// `patchline plan --format github-matrix` through fromJSON.
func TestInitWorkflow(t *testing.T) {
	t.Parallel()
	text, wf := renderWorkflow(t)
	for _, event := range []string{"push", "pull_request", "pull_request_review"} {
		if _, ok := wf.On[event]; !ok {
			t.Errorf("on: no %s", event)
		}
	}
	runs := func(job string) string {
		j, ok := wf.Jobs[job]
		if !ok {
			t.Fatalf("no job %q; jobs: %v", job, wf.Jobs)
		}
		var b strings.Builder
		for _, s := range j.Steps {
			b.WriteString(s.Run + "\n")
		}
		return b.String()
	}
	for job, want := range map[string]string{
		"validate":  "patchline validate --all --format github",
		"plan":      `patchline plan "$PATCH_BRANCH" --format github-matrix`,
		"build":     `patchline build "${{ matrix.id }}" --platform "${{ matrix.platform }}"`,
		"sign":      "patchline sign",
		"pr":        `patchline pr "$PATCH_BRANCH" --bundles dist`,
		"gate":      `patchline gate "$PATCH_BRANCH"`,
		"release":   `patchline pr "$PATCH_BRANCH" --merged`,
		"artifacts": `patchline release "$GITHUB_REF_NAME" --out dist --sign`,
		"build#":    "git fetch origin refs/notes/patchline-releases:refs/notes/patchline-releases",
	} {
		job = strings.TrimSuffix(job, "#")
		if got := runs(job); !strings.Contains(got, want) {
			t.Errorf("job %s runs\n%s\nwant %s", job, got, want)
		}
	}
	if got, want := wf.Jobs["build"].Strategy.Matrix, "${{ fromJSON(needs.plan.outputs.matrix) }}"; got != want {
		t.Errorf("build strategy.matrix = %v, want %s", got, want)
	}
	if got := wf.Jobs["sign"].Needs; got != "build" {
		t.Errorf("sign needs %v, want build: one job signs every bundle", got)
	}
	if strings.Count(text, "${{") != strings.Count(text, "}}") {
		t.Errorf("unbalanced ${{ }} in the workflow")
	}
}

// TestInitWorkflowGateStep runs the gate step's shell with a stand-in
// patchline: exit 1 passes only when gate set the status (and said so),
// so a rate limit or an outage fails the job instead of hiding.
func TestInitWorkflowGateStep(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	_, wf := renderWorkflow(t)
	var step string
	for _, s := range wf.Jobs["gate"].Steps {
		if strings.Contains(s.Run, "patchline gate") {
			step = s.Run
		}
	}
	for _, tc := range []struct {
		name   string
		stdout string
		code   int
		pass   bool
	}{
		{"satisfied", "patchline/qa: success — approved by qa-alice on abc1234", 0, true},
		{"not approved yet", "patchline/qa: pending — 0 of 2 QA approvals on abc1234", 1, true},
		{"rate limited", "", 1, false},
		{"bad token", "", 2, false},
		{"branch deleted", "", 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fake := "#!/bin/sh\necho 'patchline: failed' >&2\n"
			if tc.stdout != "" {
				fake = "#!/bin/sh\necho '" + tc.stdout + "'\n"
			}
			fake += "exit " + strconv.Itoa(tc.code) + "\n"
			if err := os.WriteFile(filepath.Join(dir, "patchline"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			// GitHub runs a step's run: with bash -e.
			cmd := exec.Command(bash, "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "PATCH_BRANCH=patch/PL-2026-0001")
			out, err := cmd.CombinedOutput()
			if pass := err == nil; pass != tc.pass {
				t.Errorf("patchline gate exiting %d with stdout %q: step passed = %v, want %v\n%s", tc.code, tc.stdout, pass, tc.pass, out)
			}
		})
	}
}

// TestInitWorkflowArtifactsStep runs the artifacts job's shell with a
// stand-in patchline and git: a tag that matches [release] tags is released,
// its record pushed and the advisories of its security patches written
// into dist/ before the upload; any other tag is left alone and the job
// passes.
func TestInitWorkflowArtifactsStep(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	_, wf := renderWorkflow(t)
	job := wf.Jobs["artifacts"]
	if job.If != "github.event_name == 'push' && github.ref_type == 'tag'" {
		t.Errorf("artifacts runs if %q", job.If)
	}
	if !strings.Contains(wf.Jobs["validate"].If, "github.ref_type == 'branch'") {
		t.Errorf("validate runs on tag pushes too: if %q", wf.Jobs["validate"].If)
	}
	if got, want := job.Env["TAG_PATTERN"], config.DefaultTags; got != want {
		t.Errorf("TAG_PATTERN = %q, want [release] tags %q", got, want)
	}
	var step, advise string
	upload, adviseAt := -1, -1
	for i, s := range job.Steps {
		switch {
		case strings.Contains(s.Run, "patchline release"):
			step = s.Run
		case strings.Contains(s.Run, "patchline advisory"):
			advise, adviseAt = s.Run, i
		case strings.HasPrefix(s.Uses, "actions/upload-artifact@"):
			upload = i
		}
	}
	if advise == "" || adviseAt > upload {
		t.Fatalf("the advisories are not written before the upload (advisory step %d, upload %d)", adviseAt, upload)
	}
	for _, tc := range []struct {
		tag      string
		released bool
	}{
		{"v2026.3.0", true},
		{"v2026.3.12", true},
		{"nightly", false},
		{"v2026.3.0-rc1", false},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, tool := range []string{"patchline", "git"} {
				fake := "#!/bin/sh\necho \"" + tool + " $*\" >> calls.log\n"
				if err := os.WriteFile(filepath.Join(dir, tool), []byte(fake), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			var out []byte
			for _, run := range []string{step, advise} {
				cmd := exec.Command(bash, "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", run)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
					"GITHUB_REF_NAME="+tc.tag, "TAG_PATTERN="+job.Env["TAG_PATTERN"])
				o, err := cmd.CombinedOutput()
				out = append(out, o...)
				if err != nil {
					t.Fatalf("step failed: %v\n%s", err, out)
				}
			}
			calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
			released := strings.Contains(string(calls), "patchline release "+tc.tag+" --out dist")
			pushed := strings.Contains(string(calls), "git push origin refs/notes/patchline-releases")
			advised := strings.Contains(string(calls), "patchline advisory --release "+tc.tag+" --dir dist\n")
			if released != tc.released || pushed != tc.released || advised != tc.released {
				t.Errorf("tag %s: released %v, record pushed %v, advisories written %v; want %v\n%s%s", tc.tag, released, pushed, advised, tc.released, calls, out)
			}
		})
	}
}

// TestOwnWorkflowsAreYAML checks patchline's own CI and release workflows.
func TestOwnWorkflowsAreYAML(t *testing.T) {
	t.Parallel()
	names, err := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no workflows under .github/workflows (%v)", err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var wf workflow
		if err := yaml.Unmarshal(data, &wf); err != nil || len(wf.Jobs) == 0 {
			t.Errorf("%s: not a workflow with jobs: %v", name, err)
		}
	}
}

// TestInitWorkflowPinsPatchline checks that every job installs the
// patchline that wrote the workflow, at an exact version, with the
// checksum database on, and never @latest; a build that does not know
// its version says so in the workflow.
func TestInitWorkflowPinsPatchline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version, ref, comment string
	}{
		{"v1.4.2", "v1.4.2", ""},
		{"v0.0.0-20261205084800-0123456789ab", "v0.0.0-20261205084800-0123456789ab", "exact pseudo-version, commit 0123456789ab"},
		{"dev-0123456789ab", "0123456789ab", "pinned to its commit 0123456789ab"},
		{"dev", "latest", "NOT pinned"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			data, err := renderTemplate("", "workflow.yml.tmpl", newWorkflowData(config.Default("inventory", "acme/inventory"), tc.version))
			if err != nil {
				t.Fatal(err)
			}
			var wf struct {
				Jobs map[string]struct {
					Steps []struct {
						Name string            `yaml:"name"`
						Env  map[string]string `yaml:"env"`
						Run  string            `yaml:"run"`
					} `yaml:"steps"`
				} `yaml:"jobs"`
			}
			if err := yaml.Unmarshal(data, &wf); err != nil {
				t.Fatalf("not YAML: %v\n%s", err, data)
			}
			want := "go install github.com/patchline/patchline/cmd/patchline@" + tc.ref + "\n"
			for name, job := range wf.Jobs {
				installs := 0
				for _, s := range job.Steps {
					if !strings.Contains(s.Run, "go install") {
						continue
					}
					installs++
					if !strings.HasPrefix(s.Run, want) {
						t.Errorf("job %s installs with %q, want %q", name, s.Run, want)
					}
					if s.Env["GOSUMDB"] != "sum.golang.org" || s.Env["GOFLAGS"] != "-mod=mod" {
						t.Errorf("job %s installs with env %v, want GOSUMDB=sum.golang.org and GOFLAGS=-mod=mod", name, s.Env)
					}
					for _, off := range []string{"GONOSUMDB", "GOPRIVATE", "GOINSECURE"} {
						if v, ok := s.Env[off]; !ok || v != "" {
							t.Errorf("job %s: %s = %q, want it set empty so the checksum database is asked", name, off, v)
						}
					}
					if tc.ref != "latest" && !strings.Contains(s.Run, `patchline --version | grep -F -- "`+tc.ref+`"`) {
						t.Errorf("job %s does not check the installed version: %q", name, s.Run)
					}
				}
				if installs != 1 {
					t.Errorf("job %s installs patchline %d times, want 1", name, installs)
				}
			}
			if tc.comment != "" && !strings.Contains(string(data), tc.comment) {
				t.Errorf("the workflow does not say %q", tc.comment)
			}
			if tc.ref != "latest" && strings.Contains(string(data), "@latest") {
				t.Errorf("the workflow installs something @latest")
			}
		})
	}
}

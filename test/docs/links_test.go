// Package docs checks the repository's Markdown: README.md and docs/ link
// only to files that exist inside the repository.
package docs

import (
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository, two levels above this package.
const root = "../.."

var (
	// inlineLink matches [text](target) and ![alt](target), target up to a
	// space (an optional "title" follows it) or the closing parenthesis.
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// refLink matches a reference definition: [name]: target
	refLink  = regexp.MustCompile(`(?m)^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	fenced   = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```")
	inlineCd = regexp.MustCompile("`[^`\n]*`")
)

// markdownFiles lists README.md and every .md file under docs/.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join(root, "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// links returns the link targets of a Markdown text, code spans and fenced
// blocks left out (their brackets are code, not links).
func links(text string) []string {
	text = fenced.ReplaceAllString(text, "")
	text = inlineCd.ReplaceAllString(text, "")
	var out []string
	for _, m := range inlineLink.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	for _, m := range refLink.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestMarkdownLinksStayInRepository fails when README.md or a file under
// docs/ links to a relative path that does not exist or that leaves the
// repository (a reader of the repository alone, on GitHub or in a clone,
// must be able to follow every link). Web links and anchors are not checked.
func TestMarkdownLinksStayInRepository(t *testing.T) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, file := range markdownFiles(t) {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, file)
		for _, target := range links(string(raw)) {
			u, err := url.Parse(target)
			if err != nil {
				t.Errorf("%s: link %q does not parse: %v", rel, target, err)
				continue
			}
			if u.Scheme != "" || u.Host != "" || u.Path == "" {
				continue // https:, mailto:, or an anchor in the same file
			}
			dest, err := filepath.Abs(filepath.Join(filepath.Dir(file), filepath.FromSlash(u.Path)))
			if err != nil {
				t.Fatal(err)
			}
			checked++
			if inside, _ := filepath.Rel(absRoot, dest); inside == ".." || strings.HasPrefix(inside, ".."+string(filepath.Separator)) {
				t.Errorf("%s: link %q points outside the repository", rel, target)
				continue
			}
			if _, err := os.Stat(dest); err != nil {
				t.Errorf("%s: link %q: no such file in the repository", rel, target)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d relative links; the link reader is broken", checked)
	}
}

// TestLinkReader checks the reader on the shapes Markdown uses.
func TestLinkReader(t *testing.T) {
	text := "See [a](docs/a.md) and ![img](shots/x.png \"title\"), [web](https://x.org),\n" +
		"`[not](code.md)` and\n```\n[nor](fenced.md)\n```\n[ref]: ../outside.md\n[b](<with space.md>)\n"
	got := strings.Join(links(text), " ")
	if want := "docs/a.md shots/x.png https://x.org ../outside.md"; !strings.HasPrefix(got, want) {
		t.Errorf("links %q, want prefix %q", got, want)
	}
	if strings.Contains(got, "code.md") || strings.Contains(got, "fenced.md") {
		t.Errorf("links %q include code", got)
	}
}

// Package docs checks the repository's Markdown: README.md and docs/ link
// only to files that exist inside the repository.
package docs

import (
	"fmt"
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
// must be able to follow every link), or to a #anchor that no heading of
// the Markdown file it names has. Web links are not checked.
func TestMarkdownLinksStayInRepository(t *testing.T) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, file := range markdownFiles(t) {
		file, err := filepath.Abs(file)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(absRoot, file)
		for _, target := range links(string(raw)) {
			u, err := url.Parse(target)
			if err != nil {
				t.Errorf("%s: link %q does not parse: %v", rel, target, err)
				continue
			}
			if u.Scheme != "" || u.Host != "" {
				continue // https:, mailto:
			}
			dest := file
			if u.Path != "" {
				if dest, err = filepath.Abs(filepath.Join(filepath.Dir(file), filepath.FromSlash(u.Path))); err != nil {
					t.Fatal(err)
				}
			}
			checked++
			if inside, _ := filepath.Rel(absRoot, dest); inside == ".." || strings.HasPrefix(inside, ".."+string(filepath.Separator)) {
				t.Errorf("%s: link %q points outside the repository", rel, target)
				continue
			}
			if _, err := os.Stat(dest); err != nil {
				t.Errorf("%s: link %q: no such file in the repository", rel, target)
				continue
			}
			if u.Fragment != "" && strings.HasSuffix(dest, ".md") {
				body, err := os.ReadFile(dest)
				if err != nil {
					t.Fatal(err)
				}
				if !headingAnchors(string(body))[u.Fragment] {
					t.Errorf("%s: link %q: no heading with that anchor", rel, target)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d relative links; the link reader is broken", checked)
	}
}

var (
	heading    = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t#]*$`)
	notInSlug  = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	markupInHd = regexp.MustCompile("[`*]|\\[([^\\]]*)\\]\\([^)]*\\)")
)

// headingAnchors returns the anchors GitHub gives the headings of a
// Markdown text: lower case, punctuation dropped, spaces to hyphens, a
// repeated one suffixed -1, -2, ...
func headingAnchors(text string) map[string]bool {
	text = fenced.ReplaceAllString(text, "")
	out := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(text, -1) {
		h := markupInHd.ReplaceAllStringFunc(m[1], func(s string) string {
			if strings.HasPrefix(s, "[") {
				return s[1:strings.Index(s, "]")]
			}
			return ""
		})
		slug := strings.ReplaceAll(notInSlug.ReplaceAllString(strings.ToLower(h), ""), " ", "-")
		anchor := slug
		for i := 1; out[anchor]; i++ {
			anchor = fmt.Sprintf("%s-%d", slug, i)
		}
		out[anchor] = true
	}
	return out
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

func TestHeadingAnchors(t *testing.T) {
	got := headingAnchors("# Tenant guide: your `coffer`\n## Use an S3 client\n## Browse, upload and delete\n## FAQ\n## FAQ\n```\n# not a heading\n```\n### [Scraping](x.md) tips\n")
	for _, want := range []string{"tenant-guide-your-coffer", "use-an-s3-client", "browse-upload-and-delete", "faq", "faq-1", "scraping-tips"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a line in a fenced block became a heading")
	}
}

package lifecycle

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// The wire shapes. Every element is a slice so a repeated element is seen
// (encoding/xml would keep the last silently) and ",any" catches unknown
// ones: S3 validates against its schema and answers MalformedXML for both.
type (
	xmlAny    struct{ XMLName xml.Name }
	xmlConfig struct {
		XMLName xml.Name
		Rules   []xmlRule `xml:"Rule"`
		Other   []xmlAny  `xml:",any"`
	}
	xmlRule struct {
		ID                             []string        `xml:"ID"`
		Status                         []string        `xml:"Status"`
		Prefix                         []string        `xml:"Prefix"`
		Filter                         []xmlFilter     `xml:"Filter"`
		Expiration                     []xmlExpiration `xml:"Expiration"`
		NoncurrentVersionExpiration    []xmlNoncurrent `xml:"NoncurrentVersionExpiration"`
		AbortIncompleteMultipartUpload []xmlAbort      `xml:"AbortIncompleteMultipartUpload"`
		Transition                     []xmlAny        `xml:"Transition"`
		NoncurrentVersionTransition    []xmlAny        `xml:"NoncurrentVersionTransition"`
		Other                          []xmlAny        `xml:",any"`
	}
	xmlFilter struct {
		Prefix  []string `xml:"Prefix"`
		Tag     []xmlTag `xml:"Tag"`
		And     []xmlAnd `xml:"And"`
		Greater []string `xml:"ObjectSizeGreaterThan"`
		Less    []string `xml:"ObjectSizeLessThan"`
		Other   []xmlAny `xml:",any"`
	}
	xmlAnd struct {
		Prefix  []string `xml:"Prefix"`
		Tag     []xmlTag `xml:"Tag"`
		Greater []string `xml:"ObjectSizeGreaterThan"`
		Less    []string `xml:"ObjectSizeLessThan"`
		Other   []xmlAny `xml:",any"`
	}
	xmlTag struct {
		Key   []string `xml:"Key"`
		Value []string `xml:"Value"`
		Other []xmlAny `xml:",any"`
	}
	xmlExpiration struct {
		Days   []string `xml:"Days"`
		Date   []string `xml:"Date"`
		Marker []string `xml:"ExpiredObjectDeleteMarker"`
		Other  []xmlAny `xml:",any"`
	}
	xmlNoncurrent struct {
		Days  []string `xml:"NoncurrentDays"`
		Newer []string `xml:"NewerNoncurrentVersions"`
		Other []xmlAny `xml:",any"`
	}
	xmlAbort struct {
		Days  []string `xml:"DaysAfterInitiation"`
		Other []xmlAny `xml:",any"`
	}
)

// Parse reads a PutBucketLifecycleConfiguration body (at most MaxBodyBytes)
// and validates it as S3 does. Errors are *Error with AWS's code and message.
// Rules without an ID get a deterministic one, as S3 assigns one.
func Parse(r io.Reader) (*Configuration, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxBodyBytes {
		return nil, ErrBodyTooLarge
	}
	return ParseBytes(body)
}

// ParseBytes is Parse on a body already read.
func ParseBytes(body []byte) (*Configuration, error) {
	if len(body) > MaxBodyBytes {
		return nil, ErrBodyTooLarge
	}
	var doc xmlConfig
	d := xml.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&doc); err != nil {
		return nil, malformed()
	}
	if doc.XMLName.Local != "LifecycleConfiguration" || len(doc.Other) > 0 || !onlyTrailer(d) {
		return nil, malformed()
	}
	return convert(&doc)
}

// onlyTrailer reports whether nothing but whitespace, comments and
// processing instructions follows the root element.
func onlyTrailer(d *xml.Decoder) bool {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return false
			}
		case xml.Comment, xml.ProcInst:
		default:
			return false
		}
	}
}

func convert(doc *xmlConfig) (*Configuration, error) {
	if len(doc.Rules) == 0 {
		return nil, malformed()
	}
	if len(doc.Rules) > MaxRules {
		return nil, invalidRequest(msgTooManyRules)
	}
	// IDs first: S3 reports a duplicate or over-long ID before a rule's faults.
	seen := make(map[string]bool, len(doc.Rules))
	for i := range doc.Rules {
		ids := doc.Rules[i].ID
		if len(ids) > 1 {
			return nil, malformed()
		}
		if len(ids) == 0 || ids[0] == "" {
			continue
		}
		if utf8.RuneCountInString(ids[0]) > MaxIDLength {
			return nil, invalidArgument(msgIDTooLong)
		}
		if seen[ids[0]] {
			return nil, invalidArgument(msgDuplicateID)
		}
		seen[ids[0]] = true
	}
	// A configuration is V2 when its first rule has a Filter; S3 refuses
	// mixing the two forms.
	v2 := len(doc.Rules[0].Filter) > 0
	cfg := &Configuration{Rules: make([]Rule, 0, len(doc.Rules))}
	transitions := false
	for i := range doc.Rules {
		x := &doc.Rules[i]
		rule, err := convertRule(x, v2)
		if err != nil {
			return nil, err
		}
		transitions = transitions || len(x.Transition) > 0 || len(x.NoncurrentVersionTransition) > 0
		cfg.Rules = append(cfg.Rules, rule)
	}
	if !v2 {
		if err := checkOverlap(doc.Rules); err != nil {
			return nil, err
		}
	}
	// Refused last, so a configuration S3 would refuse for another reason is
	// answered as S3 answers it.
	if transitions {
		return nil, ErrNotImplemented
	}
	assignIDs(cfg, seen)
	return cfg, nil
}

// checkOverlap refuses V1 rules whose prefixes overlap (one begins the
// other) and that take the same kind of action, as S3 does for V1
// configurations. After sorting, a prefix that begins another also begins
// its successor, so neighbours are all that need comparing.
func checkOverlap(rules []xmlRule) error {
	kinds := []struct {
		name  string
		takes func(*xmlRule) bool
	}{
		{"Expiration", func(r *xmlRule) bool { return len(r.Expiration) > 0 }},
		{"NoncurrentVersionExpiration", func(r *xmlRule) bool { return len(r.NoncurrentVersionExpiration) > 0 }},
		{"AbortIncompleteMultipartUpload", func(r *xmlRule) bool { return len(r.AbortIncompleteMultipartUpload) > 0 }},
		{"Transition", func(r *xmlRule) bool { return len(r.Transition) > 0 }},
		{"NoncurrentVersionTransition", func(r *xmlRule) bool { return len(r.NoncurrentVersionTransition) > 0 }},
	}
	for _, k := range kinds {
		var prefixes []string
		for i := range rules {
			if k.takes(&rules[i]) && len(rules[i].Prefix) == 1 {
				prefixes = append(prefixes, rules[i].Prefix[0])
			}
		}
		sort.Strings(prefixes)
		for i := 1; i < len(prefixes); i++ {
			if strings.HasPrefix(prefixes[i], prefixes[i-1]) {
				return invalidRequest(fmt.Sprintf(msgOverlapping, prefixes[i-1], prefixes[i], k.name))
			}
		}
	}
	return nil
}

// assignIDs gives each rule without an ID a deterministic one (a hash of
// its position and content) that no other rule uses, so a configuration
// parses to the same IDs every time and a GET can name every rule.
func assignIDs(cfg *Configuration, used map[string]bool) {
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		if r.ID != "" {
			continue
		}
		// At most MaxRules IDs are taken, so this ends within MaxRules+1 tries.
		for salt := 0; ; salt++ {
			h := fnv.New64a()
			fmt.Fprintf(h, "%d/%d/%+v", i, salt, ruleText(r))
			id := fmt.Sprintf("%016x", h.Sum64())
			if !used[id] {
				used[id] = true
				r.ID = id
				break
			}
		}
	}
}

// ruleText is a stable rendering of a rule's content for assignIDs.
func ruleText(r *Rule) string {
	b, _ := xml.Marshal(toXMLRule(r))
	return string(b)
}

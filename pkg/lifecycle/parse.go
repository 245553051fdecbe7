package lifecycle

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
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

func convertRule(x *xmlRule, v2 bool) (Rule, error) {
	var r Rule
	if len(x.Other) > 0 || len(x.Status) != 1 || len(x.Prefix) > 1 || len(x.Filter) > 1 ||
		len(x.Expiration) > 1 || len(x.NoncurrentVersionExpiration) > 1 || len(x.AbortIncompleteMultipartUpload) > 1 {
		return r, malformed()
	}
	if len(x.ID) == 1 {
		r.ID = x.ID[0]
	}
	switch Status(strings.TrimSpace(x.Status[0])) {
	case Enabled:
		r.Status = Enabled
	case Disabled:
		r.Status = Disabled
	default:
		return r, malformed()
	}
	switch {
	case len(x.Prefix) == 0 && len(x.Filter) == 0:
		return r, malformed()
	case len(x.Prefix) == 1 && v2:
		return r, invalidRequest(msgPrefixInV2)
	case len(x.Filter) == 1 && !v2:
		return r, invalidRequest(msgFilterInV1)
	case len(x.Prefix) == 1:
		p := x.Prefix[0]
		r.Prefix = &p
	default:
		f, err := convertFilter(&x.Filter[0])
		if err != nil {
			return r, err
		}
		r.Filter = f
	}
	if len(x.Expiration) == 0 && len(x.NoncurrentVersionExpiration) == 0 &&
		len(x.AbortIncompleteMultipartUpload) == 0 && len(x.Transition) == 0 &&
		len(x.NoncurrentVersionTransition) == 0 {
		return r, invalidArgument(msgNoAction)
	}
	var err error
	if len(x.Expiration) == 1 {
		if r.Expiration, err = convertExpiration(&x.Expiration[0]); err != nil {
			return r, err
		}
	}
	if len(x.NoncurrentVersionExpiration) == 1 {
		if r.NoncurrentVersionExpiration, err = convertNoncurrent(&x.NoncurrentVersionExpiration[0], v2); err != nil {
			return r, err
		}
	}
	if len(x.AbortIncompleteMultipartUpload) == 1 {
		a := &x.AbortIncompleteMultipartUpload[0]
		if len(a.Other) > 0 || len(a.Days) != 1 {
			return r, malformed()
		}
		days, err := parseInt(a.Days[0], 32)
		if err != nil {
			return r, err
		}
		if days <= 0 {
			return r, invalidArgument(msgAbortDays)
		}
		r.AbortIncompleteMultipartUpload = &AbortIncompleteMultipartUpload{DaysAfterInitiation: int(days)}
	}
	// Uploads carry no tags and no size yet, so AWS refuses filtering them by
	// either; a delete marker likewise has none.
	s := r.scope()
	marker := r.Expiration != nil && r.Expiration.ExpiredObjectDeleteMarker != nil
	switch {
	case marker && s.usesTags():
		return r, invalidRequest(msgMarkerWithTags)
	case marker && s.usesSizes():
		return r, invalidRequest(msgMarkerWithSize)
	case r.AbortIncompleteMultipartUpload != nil && s.usesTags():
		return r, invalidRequest(msgAbortWithTags)
	case r.AbortIncompleteMultipartUpload != nil && s.usesSizes():
		return r, invalidRequest(msgAbortWithSize)
	}
	return r, nil
}

func convertFilter(x *xmlFilter) (*Filter, error) {
	if len(x.Other) > 0 {
		return nil, malformed()
	}
	// AWS's Filter is a union: one condition, or And to combine several.
	if len(x.Prefix)+len(x.Tag)+len(x.And)+len(x.Greater)+len(x.Less) > 1 {
		return nil, malformed()
	}
	f := &Filter{}
	var err error
	switch {
	case len(x.Prefix) == 1:
		p := x.Prefix[0]
		f.Prefix = &p
	case len(x.Tag) == 1:
		t, err := convertTag(&x.Tag[0])
		if err != nil {
			return nil, err
		}
		f.Tag = &t
	case len(x.And) == 1:
		if f.And, err = convertAnd(&x.And[0]); err != nil {
			return nil, err
		}
	case len(x.Greater) == 1:
		if f.ObjectSizeGreaterThan, err = parseSize(x.Greater[0], 0, msgSizeGreaterRange); err != nil {
			return nil, err
		}
	case len(x.Less) == 1:
		if f.ObjectSizeLessThan, err = parseSize(x.Less[0], 1, msgSizeLessRange); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func convertAnd(x *xmlAnd) (*And, error) {
	if len(x.Other) > 0 || len(x.Prefix) > 1 || len(x.Greater) > 1 || len(x.Less) > 1 {
		return nil, malformed()
	}
	a := &And{}
	if len(x.Prefix) == 1 {
		p := x.Prefix[0]
		a.Prefix = &p
	}
	keys := make(map[string]bool, len(x.Tag))
	for i := range x.Tag {
		t, err := convertTag(&x.Tag[i])
		if err != nil {
			return nil, err
		}
		if keys[t.Key] {
			return nil, invalidRequest(msgDuplicateTagKey)
		}
		keys[t.Key] = true
		a.Tags = append(a.Tags, t)
	}
	var err error
	if len(x.Greater) == 1 {
		if a.ObjectSizeGreaterThan, err = parseSize(x.Greater[0], 0, msgSizeGreaterRange); err != nil {
			return nil, err
		}
	}
	if len(x.Less) == 1 {
		if a.ObjectSizeLessThan, err = parseSize(x.Less[0], 1, msgSizeLessRange); err != nil {
			return nil, err
		}
	}
	if a.ObjectSizeGreaterThan != nil && a.ObjectSizeLessThan != nil && *a.ObjectSizeLessThan <= *a.ObjectSizeGreaterThan {
		return nil, invalidRequest(msgSizeOrder)
	}
	return a, nil
}

func convertTag(x *xmlTag) (Tag, error) {
	if len(x.Other) > 0 || len(x.Key) != 1 || len(x.Value) > 1 || x.Key[0] == "" {
		return Tag{}, malformed()
	}
	t := Tag{Key: x.Key[0]}
	if len(x.Value) == 1 {
		t.Value = x.Value[0]
	}
	return t, nil
}

func convertExpiration(x *xmlExpiration) (*Expiration, error) {
	if len(x.Other) > 0 || len(x.Days) > 1 || len(x.Date) > 1 || len(x.Marker) > 1 {
		return nil, malformed()
	}
	if len(x.Marker) == 1 && len(x.Days)+len(x.Date) > 0 {
		return nil, invalidArgument(msgMarkerWithDays)
	}
	e := &Expiration{}
	switch {
	case len(x.Days) == 1 && len(x.Date) == 1, len(x.Days)+len(x.Date)+len(x.Marker) == 0:
		return nil, malformed()
	case len(x.Days) == 1:
		days, err := parseInt(x.Days[0], 32)
		if err != nil {
			return nil, err
		}
		if days <= 0 {
			return nil, invalidArgument(msgDaysPositive)
		}
		e.Days = int(days)
	case len(x.Date) == 1:
		date, err := parseDate(x.Date[0])
		if err != nil {
			return nil, err
		}
		e.Date = date
	default:
		var v bool
		switch strings.TrimSpace(x.Marker[0]) {
		case "true", "1":
			v = true
		case "false", "0":
		default:
			return nil, malformed()
		}
		e.ExpiredObjectDeleteMarker = &v
	}
	return e, nil
}

func convertNoncurrent(x *xmlNoncurrent, v2 bool) (*NoncurrentVersionExpiration, error) {
	// NoncurrentDays is required: S3 found one without it malformed, even
	// with NewerNoncurrentVersions.
	if len(x.Other) > 0 || len(x.Days) != 1 || len(x.Newer) > 1 {
		return nil, malformed()
	}
	days, err := parseInt(x.Days[0], 32)
	if err != nil {
		return nil, err
	}
	if days <= 0 {
		return nil, invalidArgument(msgNoncurrentDays)
	}
	n := &NoncurrentVersionExpiration{NoncurrentDays: int(days)}
	if len(x.Newer) == 1 {
		if !v2 {
			return nil, invalidRequest(msgNewerNoncurrentInV1)
		}
		newer, err := parseInt(x.Newer[0], 32)
		if err != nil {
			return nil, err
		}
		if newer <= 0 {
			return nil, invalidArgument(msgNewerNoncurrent)
		}
		n.NewerNoncurrentVersions = int(newer)
	}
	return n, nil
}

// parseInt reads an xs:int (or xs:long); text that is no integer of that
// size does not validate against the schema.
func parseInt(s string, bits int) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
	if err != nil {
		return 0, malformed()
	}
	return v, nil
}

func parseSize(s string, lowest int64, msg string) (*int64, error) {
	v, err := parseInt(s, 64)
	if err != nil {
		return nil, err
	}
	if v < lowest || v > MaxObjectSize {
		return nil, invalidRequest(msg)
	}
	return &v, nil
}

// parseDate reads an ISO 8601 timestamp (with or without fractional seconds)
// and requires midnight UTC, as AWS does.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, malformed()
	}
	t = t.UTC()
	if !t.Equal(midnight(t)) {
		return time.Time{}, invalidArgument(msgDateMidnight)
	}
	return t, nil
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

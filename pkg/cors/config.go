package cors

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits of a CORS configuration, as S3 sets them.
const (
	// MaxConfigSize is the largest PutBucketCors body S3 accepts.
	MaxConfigSize = 64 << 10
	// MaxRules is the most CORSRule elements one configuration may hold.
	MaxRules = 100
	// maxIDLen is the longest rule ID S3 accepts.
	maxIDLen = 255
)

// s3Namespace is the namespace S3 puts on the documents it returns.
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// Configuration is a bucket's CORS configuration: rules tried in order, the
// first that matches a request wins.
type Configuration struct {
	Rules []Rule
}

// Rule is one CORSRule. Origins and AllowedHeaders may hold one '*' each,
// which matches any run of characters.
type Rule struct {
	ID             string
	AllowedHeaders []string
	AllowedMethods []string
	AllowedOrigins []string
	ExposeHeaders  []string
	// MaxAgeSeconds is how long a browser may cache a preflight answer;
	// nil when the rule does not say.
	MaxAgeSeconds *int
}

// allowedMethods are the only methods a rule may name (case-sensitive, as S3).
var allowedMethods = map[string]bool{"GET": true, "PUT": true, "POST": true, "DELETE": true, "HEAD": true}

// Parse reads and validates a PutBucketCors body. It reads at most
// MaxConfigSize+1 bytes of r. Errors are *Error with S3's code and message,
// or the read error of r.
func Parse(r io.Reader) (*Configuration, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxConfigSize {
		return nil, ErrTooLarge
	}
	c, err := decode(data)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks c against S3's rules for a CORS configuration.
func (c *Configuration) Validate() error {
	if len(c.Rules) == 0 || len(c.Rules) > MaxRules {
		return ErrMalformedXML
	}
	for i := range c.Rules {
		if err := c.Rules[i].validate(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) validate() error {
	if len(r.AllowedMethods) == 0 || len(r.AllowedOrigins) == 0 {
		return ErrMalformedXML
	}
	if len(r.ID) > maxIDLen {
		return invalidRequest(fmt.Sprintf("The ID of a CORSRule can not be longer than %d characters.", maxIDLen))
	}
	for _, m := range r.AllowedMethods {
		if !allowedMethods[m] {
			return invalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is " + m)
		}
	}
	for _, o := range r.AllowedOrigins {
		if strings.Count(o, "*") > 1 {
			return invalidRequest(fmt.Sprintf("AllowedOrigin %q can not have more than one wildcard.", o))
		}
	}
	for _, h := range r.AllowedHeaders {
		if strings.Count(h, "*") > 1 {
			return invalidRequest(fmt.Sprintf("AllowedHeader %q can not have more than one wildcard.", h))
		}
	}
	for _, h := range r.ExposeHeaders {
		if strings.Contains(h, "*") {
			return invalidRequest(fmt.Sprintf("ExposeHeader %q contains wildcard. We currently do not support wildcard for ExposeHeader.", h))
		}
	}
	if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
		return ErrMalformedXML
	}
	return nil
}

// decode walks the XML tokens by hand so that any element outside the
// schema, nested markup in a value or trailing content is MalformedXML, as
// S3 answers, instead of being silently dropped by xml.Unmarshal.
func decode(data []byte) (*Configuration, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	c := &Configuration{}
	root := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if !root {
				return nil, ErrMalformedXML
			}
			return c, nil
		}
		if err != nil {
			return nil, ErrMalformedXML
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root || t.Name.Local != "CORSConfiguration" {
				return nil, ErrMalformedXML
			}
			root = true
			if err := decodeRules(d, c); err != nil {
				return nil, err
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, ErrMalformedXML
			}
		}
	}
}

// decodeRules reads the children of <CORSConfiguration> up to its end tag.
func decodeRules(d *xml.Decoder, c *Configuration) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return ErrMalformedXML
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "CORSRule" || len(c.Rules) == MaxRules {
				return ErrMalformedXML
			}
			r, err := decodeRule(d)
			if err != nil {
				return err
			}
			c.Rules = append(c.Rules, r)
		case xml.EndElement:
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return ErrMalformedXML
			}
		}
	}
}

// decodeRule reads the children of one <CORSRule> up to its end tag.
func decodeRule(d *xml.Decoder) (Rule, error) {
	var r Rule
	seenID := false
	for {
		tok, err := d.Token()
		if err != nil {
			return r, ErrMalformedXML
		}
		switch t := tok.(type) {
		case xml.StartElement:
			v, err := text(d)
			if err != nil {
				return r, err
			}
			switch t.Name.Local {
			case "ID":
				if seenID {
					return r, ErrMalformedXML
				}
				seenID = true
				r.ID = v
			case "AllowedHeader":
				r.AllowedHeaders = append(r.AllowedHeaders, v)
			case "AllowedMethod":
				r.AllowedMethods = append(r.AllowedMethods, v)
			case "AllowedOrigin":
				r.AllowedOrigins = append(r.AllowedOrigins, v)
			case "ExposeHeader":
				r.ExposeHeaders = append(r.ExposeHeaders, v)
			case "MaxAgeSeconds":
				n, err := strconv.ParseInt(v, 10, 32)
				if r.MaxAgeSeconds != nil || err != nil {
					return r, ErrMalformedXML
				}
				age := int(n)
				r.MaxAgeSeconds = &age
			default:
				return r, ErrMalformedXML
			}
		case xml.EndElement:
			return r, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return r, ErrMalformedXML
			}
		}
	}
}

// text reads the character data of a leaf element up to its end tag;
// markup inside a value is MalformedXML.
func text(d *xml.Decoder) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", ErrMalformedXML
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			return strings.TrimSpace(b.String()), nil
		case xml.StartElement:
			return "", ErrMalformedXML
		}
	}
}

// xmlConfiguration is the GetBucketCors document, elements in S3's order.
type xmlConfiguration struct {
	XMLName xml.Name  `xml:"CORSConfiguration"`
	Xmlns   string    `xml:"xmlns,attr"`
	Rules   []xmlRule `xml:"CORSRule"`
}

type xmlRule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds,omitempty"`
}

// Marshal returns the GetBucketCors response body for c.
func (c *Configuration) Marshal() ([]byte, error) {
	x := xmlConfiguration{Xmlns: s3Namespace}
	for _, r := range c.Rules {
		x.Rules = append(x.Rules, xmlRule(r))
	}
	b, err := xml.Marshal(x)
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

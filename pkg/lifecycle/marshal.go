package lifecycle

import (
	"encoding/xml"
	"strconv"
)

// Namespace is the S3 XML namespace GetBucketLifecycleConfiguration answers in.
const Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// dateLayout is how S3 writes a rule's Date back.
const dateLayout = "2006-01-02T15:04:05.000Z"

// Output shapes: one element each, omitted when unset.
type (
	outConfig struct {
		XMLName xml.Name  `xml:"LifecycleConfiguration"`
		Xmlns   string    `xml:"xmlns,attr"`
		Rules   []outRule `xml:"Rule"`
	}
	outRule struct {
		ID                             string         `xml:"ID"`
		Prefix                         *string        `xml:"Prefix"`
		Filter                         *outFilter     `xml:"Filter"`
		Status                         Status         `xml:"Status"`
		Expiration                     *outExpiration `xml:"Expiration"`
		NoncurrentVersionExpiration    *outNoncurrent `xml:"NoncurrentVersionExpiration"`
		AbortIncompleteMultipartUpload *outAbort      `xml:"AbortIncompleteMultipartUpload"`
	}
	outFilter struct {
		Prefix  *string `xml:"Prefix"`
		Tag     *outTag `xml:"Tag"`
		And     *outAnd `xml:"And"`
		Greater *int64  `xml:"ObjectSizeGreaterThan"`
		Less    *int64  `xml:"ObjectSizeLessThan"`
	}
	outAnd struct {
		Prefix  *string  `xml:"Prefix"`
		Tags    []outTag `xml:"Tag"`
		Greater *int64   `xml:"ObjectSizeGreaterThan"`
		Less    *int64   `xml:"ObjectSizeLessThan"`
	}
	outTag struct {
		Key   string `xml:"Key"`
		Value string `xml:"Value"`
	}
	outExpiration struct {
		Days   *int    `xml:"Days"`
		Date   *string `xml:"Date"`
		Marker *string `xml:"ExpiredObjectDeleteMarker"`
	}
	outNoncurrent struct {
		Days  int  `xml:"NoncurrentDays"`
		Newer *int `xml:"NewerNoncurrentVersions"`
	}
	outAbort struct {
		Days int `xml:"DaysAfterInitiation"`
	}
)

// Marshal renders cfg as a GetBucketLifecycleConfiguration body, with the XML
// declaration, in the form (V1 Prefix or V2 Filter) each rule was given.
func Marshal(cfg *Configuration) ([]byte, error) {
	out := outConfig{Xmlns: Namespace, Rules: make([]outRule, 0, len(cfg.Rules))}
	for i := range cfg.Rules {
		out.Rules = append(out.Rules, toXMLRule(&cfg.Rules[i]))
	}
	b, err := xml.Marshal(out)
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

func toXMLRule(r *Rule) outRule {
	o := outRule{ID: r.ID, Prefix: r.Prefix, Status: r.Status}
	if f := r.Filter; f != nil {
		of := &outFilter{Prefix: f.Prefix, Greater: f.ObjectSizeGreaterThan, Less: f.ObjectSizeLessThan}
		if f.Tag != nil {
			of.Tag = &outTag{Key: f.Tag.Key, Value: f.Tag.Value}
		}
		if a := f.And; a != nil {
			oa := &outAnd{Prefix: a.Prefix, Greater: a.ObjectSizeGreaterThan, Less: a.ObjectSizeLessThan}
			for _, t := range a.Tags {
				oa.Tags = append(oa.Tags, outTag(t))
			}
			of.And = oa
		}
		o.Filter = of
	}
	if e := r.Expiration; e != nil {
		oe := &outExpiration{}
		switch {
		case e.Days > 0:
			d := e.Days
			oe.Days = &d
		case !e.Date.IsZero():
			s := e.Date.UTC().Format(dateLayout)
			oe.Date = &s
		case e.ExpiredObjectDeleteMarker != nil:
			s := strconv.FormatBool(*e.ExpiredObjectDeleteMarker)
			oe.Marker = &s
		}
		o.Expiration = oe
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		on := &outNoncurrent{Days: n.NoncurrentDays}
		if n.NewerNoncurrentVersions > 0 {
			v := n.NewerNoncurrentVersions
			on.Newer = &v
		}
		o.NoncurrentVersionExpiration = on
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		o.AbortIncompleteMultipartUpload = &outAbort{Days: a.DaysAfterInitiation}
	}
	return o
}

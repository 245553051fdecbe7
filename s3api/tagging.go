package s3api

import (
	"encoding/xml"
	"net/http"
	"sort"
)

// tagging is the Tagging document of Get/PutObjectTagging.
type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Tags    []tag    `xml:"TagSet>Tag"`
}

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// getObjectTagging handles GET /bucket/key?tagging[&versionId=].
func (s *server) getObjectTagging(w http.ResponseWriter, r *http.Request, rq *request) error {
	vid, err := versionIDParam(r.URL.Query())
	if err != nil {
		return err
	}
	info, err := s.store.GetObjectVersion(rq.ctx, rq.tenant, rq.bucket, rq.key, vid)
	if err != nil {
		return err
	}
	if err := s.setVersionHeader(w.Header(), rq, rq.bucket, info.VersionID, hdrVersionID); err != nil {
		return err
	}
	out := tagging{NS: s3NS, Tags: []tag{}}
	for k, v := range info.Meta.Tags {
		out.Tags = append(out.Tags, tag{Key: k, Value: v})
	}
	sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Key < out.Tags[j].Key })
	return writeXML(w, http.StatusOK, out)
}

// parseTagging decodes and validates a Tagging body.
func parseTagging(data []byte) (map[string]string, error) {
	var in tagging
	if err := decodeXML(data, &in); err != nil {
		return nil, err
	}
	tags := make(map[string]string, len(in.Tags))
	for _, t := range in.Tags {
		if _, dup := tags[t.Key]; dup {
			return nil, errInvalidTag
		}
		tags[t.Key] = t.Value
	}
	return tags, validateTags(tags)
}

// putObjectTagging handles PUT /bucket/key?tagging[&versionId=].
func (s *server) putObjectTagging(w http.ResponseWriter, r *http.Request, rq *request) error {
	vid, err := versionIDParam(r.URL.Query())
	if err != nil {
		return err
	}
	data, err := readSmallBody(rq.body, maxSmallXML)
	if err != nil {
		return err
	}
	tags, err := parseTagging(data)
	if err != nil {
		return err
	}
	if err := s.setVersionTags(w, rq, vid, tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteObjectTagging handles DELETE /bucket/key?tagging[&versionId=].
func (s *server) deleteObjectTagging(w http.ResponseWriter, r *http.Request, rq *request) error {
	vid, err := versionIDParam(r.URL.Query())
	if err != nil {
		return err
	}
	if err := s.setVersionTags(w, rq, vid, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setVersionTags replaces the tags of one version and, on a versioned
// bucket, names it in x-amz-version-id. Without versionId the current
// version is looked up first and then tagged by its id, so the header names
// the version that was tagged even if a write races in between.
func (s *server) setVersionTags(w http.ResponseWriter, rq *request, vid string, tags map[string]string) error {
	versioned, err := s.versioned(rq, rq.bucket)
	if err != nil {
		return err
	}
	if versioned && vid == "" {
		cur, err := s.store.GetObjectVersion(rq.ctx, rq.tenant, rq.bucket, rq.key, "")
		if err != nil {
			return err
		}
		vid = cur.VersionID
	}
	if err := s.store.SetObjectTags(rq.ctx, rq.tenant, rq.bucket, rq.key, vid, tags); err != nil {
		return err
	}
	if versioned {
		w.Header().Set(hdrVersionID, vid)
	}
	return nil
}

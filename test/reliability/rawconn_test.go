package reliability

import (
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// rawPresigned presigns method (GET or PUT) for bucket/key with c, dials the
// server and writes the request line and headers (extra is raw header
// lines, each ending in \r\n), leaving the body and the answer to the
// caller. The connection is closed when the test ends.
func rawPresigned(t *testing.T, c *s3.Client, method, bucket, key, extra string) net.Conn {
	t.Helper()
	pc := s3.NewPresignClient(c)
	var target string
	switch method {
	case "GET":
		ps, err := pc.PresignGetObject(bg, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		target = ps.URL
	case "PUT":
		ps, err := pc.PresignPutObject(bg, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		target = ps.URL
	default:
		t.Fatalf("rawPresigned: method %s", method)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", method, u.RequestURI(), u.Host, extra); err != nil {
		t.Fatal(err)
	}
	return conn
}

// waitFdsBack polls (bounded) until the server's open descriptors are back
// within 16 of fds0, logs RSS and descriptors, and fails the test if they
// do not come back.
func (c *coffer) waitFdsBack(fds0 int) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	rss, fds := c.procStats()
	for fds > fds0+16 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		rss, fds = c.procStats()
	}
	c.t.Logf("after: RSS %d MiB, %d fds", rss>>10, fds)
	if fds > fds0+16 {
		c.t.Errorf("descriptors did not come back: %d before, %d after", fds0, fds)
	}
}

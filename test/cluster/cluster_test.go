package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// inlineMax is storage's limit of bodies kept inline (packed): a larger
// body has a .shard file on every drive of the set.
const inlineMax = 128 << 10

// object is one acknowledged write.
type object struct {
	sum    [32]byte
	size   int
	shards int // .shard files it has on every drive
}

// ledger holds every acknowledged object of the test's bucket.
type ledger struct {
	mu   sync.Mutex
	objs map[string]object
}

func (l *ledger) add(key string, o object) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.objs[key] = o
}

func (l *ledger) snapshot() map[string]object {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]object, len(l.objs))
	for k, v := range l.objs {
		out[k] = v
	}
	return out
}

// shards is how many .shard files every drive must hold for the ledger.
func (l *ledger) shards() int {
	n := 0
	for _, o := range l.snapshot() {
		n += o.shards
	}
	return n
}

func randomBody(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

const bucket = "data"

// put stores body under key through cli and records it when acknowledged.
func put(ctx context.Context, cli *s3.Client, l *ledger, key string, body []byte) error {
	_, err := cli.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err == nil {
		sh := 0
		if len(body) > inlineMax {
			sh = 1
		}
		l.add(key, object{sum: sha256.Sum256(body), size: len(body), shards: sh})
	}
	return err
}

// multipart uploads parts (one body each) and records the object when the
// completion is acknowledged.
func multipart(ctx context.Context, cli *s3.Client, l *ledger, key string, parts ...[]byte) error {
	up, err := cli.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	var done []types.CompletedPart
	h := sha256.New()
	sh, size := 0, 0
	for i, p := range parts {
		r, err := cli.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			return err
		}
		done = append(done, types.CompletedPart{ETag: r.ETag, PartNumber: aws.Int32(int32(i + 1))})
		h.Write(p)
		size += len(p)
		if len(p) > inlineMax {
			sh++
		}
	}
	if _, err := cli.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		return err
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	l.add(key, object{sum: sum, size: size, shards: sh})
	return nil
}

// get reads key through cli and checks it against the ledger's record.
func get(ctx context.Context, cli *s3.Client, key string, want object) error {
	out, err := cli.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	if err != nil {
		return err
	}
	if int(n) != want.size || !bytes.Equal(h.Sum(nil), want.sum[:]) {
		return fmt.Errorf("%s: read %d bytes that differ from the %d acknowledged", key, n, want.size)
	}
	return nil
}

// verifyAll reads every acknowledged object through the given nodes in
// turn; every one must come back byte-identical.
func verifyAll(t *testing.T, l *ledger, clients ...*s3.Client) {
	t.Helper()
	objs := l.snapshot()
	var mu sync.Mutex
	var bad []string
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	i := 0
	for key, o := range objs {
		cli := clients[i%len(clients)]
		i++
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := get(ctx(t), cli, key, o); err != nil {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("%s: %v", key, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d of %d acknowledged objects did not read back:\n%s", len(bad), len(objs), strings.Join(bad[:min(len(bad), 10)], "\n"))
	}
}

// untilClosed runs step(0), step(1), ... until stop is closed.
func untilClosed(stop <-chan struct{}, step func(i int)) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		step(i)
	}
}

// statusOf is the HTTP status of an SDK error (0: none, e.g. refused).
func statusOf(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func codeOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestCluster runs one three-node cluster through its paces: any node
// serves any request, quotas stay exact across nodes, a SIGKILLed node
// loses nothing acknowledged and is healed when it returns, the etcd
// leader's loss costs only brief 503s, and a node with wiped drives is
// healed fully.
func TestCluster(t *testing.T) {
	c := startDev(t)
	names := []string{"node1", "node2", "node3"}
	keys := c.tenant("acme", 0)
	cli := map[string]*s3.Client{}
	for _, n := range names {
		cli[n] = c.s3(n, keys)
	}
	l := &ledger{objs: map[string]object{}}
	if _, err := cli["node2"].CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}

	t.Run("any node serves any request", func(t *testing.T) {
		for i, n := range names {
			other := cli[names[(i+1)%3]]
			small, large := fmt.Sprintf("small-%s", n), fmt.Sprintf("large-%s", n)
			if err := put(ctx(t), cli[n], l, small, randomBody(1000)); err != nil {
				t.Fatalf("PUT small through %s: %v", n, err)
			}
			if err := put(ctx(t), cli[n], l, large, randomBody(16<<20)); err != nil {
				t.Fatalf("PUT 16 MiB through %s: %v", n, err)
			}
			if err := multipart(ctx(t), cli[n], l, "mp-"+n, randomBody(5<<20), randomBody(300<<10)); err != nil {
				t.Fatalf("multipart through %s: %v", n, err)
			}
			for _, k := range []string{small, large, "mp-" + n} {
				if err := get(ctx(t), other, k, l.snapshot()[k]); err != nil {
					t.Fatalf("GET %s written through %s, read through the next node: %v", k, n, err)
				}
			}
		}
	})

	t.Run("quota exact across nodes", func(t *testing.T) {
		c := c.with(t)
		const quota = 24
		qk := c.tenant("quota", quota)
		qcli := c.s3("node1", qk)
		if _, err := qcli.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("quota-bucket")}); err != nil {
			t.Fatal(err)
		}
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for _, n := range names {
			nc := c.s3(n, qk)
			for w := range 4 {
				wg.Go(func() {
					for i := range 10 {
						_, err := nc.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("quota-bucket"),
							Key: aws.String(fmt.Sprintf("%s-%d-%d", n, w, i)), Body: bytes.NewReader([]byte("x"))})
						switch {
						case err == nil:
							ok.Add(1)
						case codeOf(err) == "QuotaExceeded":
							refused.Add(1)
						default:
							errs <- err
						}
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("PUT neither stored nor refused by the quota: %v", err)
		}
		list, err := c.s3("node3", qk).ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("quota-bucket")})
		if err != nil {
			t.Fatal(err)
		}
		if ok.Load() != quota || refused.Load() != 120-quota || len(list.Contents) != quota {
			t.Fatalf("quota %d objects: %d PUTs stored, %d refused, %d listed", quota, ok.Load(), refused.Load(), len(list.Contents))
		}
	})

	t.Run("SIGKILL of a node under load", func(t *testing.T) {
		c := c.with(t)
		stop := make(chan struct{})
		var killed atomic.Bool
		var afterKill atomic.Int64
		var wg sync.WaitGroup
		for _, n := range names {
			for w := range 2 {
				wg.Go(func() {
					untilClosed(stop, func(i int) {
						size := 1000
						if i%2 == 1 {
							size = 300 << 10
						}
						key := fmt.Sprintf("load/%s/%d/%d", n, w, i)
						err := put(ctx(t), cli[n], l, key, randomBody(size))
						if err == nil && killed.Load() && n != "node3" {
							afterKill.Add(1)
						}
						if err == nil && i%3 == 2 {
							prev := fmt.Sprintf("load/%s/%d/%d", n, w, i-1)
							if o, ok := l.snapshot()[prev]; ok && n != "node3" {
								if err := get(ctx(t), cli[n], prev, o); err != nil && statusOf(err) != http.StatusServiceUnavailable {
									t.Errorf("GET %s through %s during the kill: %v", prev, n, err)
								}
							}
						}
						if err != nil && n == "node3" && killed.Load() {
							time.Sleep(100 * time.Millisecond) // its node is gone: nothing to acknowledge
						}
					})
				})
			}
		}
		wg.Go(func() {
			untilClosed(stop, func(i int) {
				_ = multipart(ctx(t), cli["node1"], l, fmt.Sprintf("load/mp/%d", i), randomBody(5<<20), randomBody(200<<10))
			})
		})
		time.Sleep(2 * time.Second)
		c.kill("node3")
		killed.Store(true)
		time.Sleep(4 * time.Second)
		close(stop)
		wg.Wait()
		if afterKill.Load() < 3 {
			t.Fatalf("only %d PUTs were acknowledged through the surviving nodes after node3 was killed: writes must go on", afterKill.Load())
		}
		verifyAll(t, l, cli["node1"], cli["node2"])
		t.Logf("%d objects acknowledged, %d after the kill; all read back through node1 and node2", len(l.snapshot()), afterKill.Load())

		c.restart("node3")
		c.waitShards("node3", l.shards(), 60*time.Second)
	})

	t.Run("SIGKILL of the etcd leader", func(t *testing.T) {
		c := c.with(t)
		leader := etcdLeader(t, c)
		t.Logf("etcd leader: %s", leader)
		c.kill(leader)
		var survivors []string
		for _, n := range names {
			if n != leader {
				survivors = append(survivors, n)
			}
		}
		var unavailable int
		deadline := time.Now().Add(30 * time.Second)
		stored := 0
		for i := 0; stored < 10; i++ {
			if time.Now().After(deadline) {
				t.Fatalf("only %d writes succeeded within 30 s of the etcd leader's loss\n%s", stored, c.logs())
			}
			n := survivors[i%2]
			err := put(ctx(t), cli[n], l, fmt.Sprintf("after-leader/%d", i), randomBody(200<<10))
			switch {
			case err == nil:
				stored++
			case statusOf(err) == http.StatusServiceUnavailable:
				unavailable++
				time.Sleep(200 * time.Millisecond)
			default:
				t.Fatalf("PUT through %s after the etcd leader's loss: %v (want success or 503)", n, err)
			}
		}
		t.Logf("%d answers 503 before the writes went on", unavailable)
		verifyAll(t, l, cli[survivors[0]], cli[survivors[1]])
		// Back, and healed before the next node goes: an operator takes a
		// node down only when the last one is redundant again.
		c.restart(leader)
		c.waitShards(leader, l.shards(), 60*time.Second)
	})

	t.Run("node restarted with wiped drives is healed", func(t *testing.T) {
		c := c.with(t)
		c.kill("node2")
		for _, d := range c.node("node2").drives() {
			if err := os.RemoveAll(d); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		c.restart("node2")
		c.waitShards("node2", l.shards(), 60*time.Second)
		// Full redundancy, proved by reading: with node1 gone, node2's and
		// node3's shards are exactly the data shards every object needs.
		c.kill("node1")
		verifyAll(t, l, cli["node2"], cli["node3"])
	})

	t.Run("etcd quorum lost and back", func(t *testing.T) {
		c := c.with(t)
		// node1 is down: with node3 gone too, node2's member is alone.
		c.kill("node3")
		deadline := time.Now().Add(45 * time.Second)
		for {
			err := put(ctx(t), cli["node2"], l, "without-quorum", randomBody(100))
			if err == nil {
				t.Fatal("a write was acknowledged without etcd quorum")
			}
			if statusOf(err) == http.StatusServiceUnavailable {
				t.Logf("write without quorum: %v", err)
				break
			}
			if statusOf(err) != 0 || time.Now().After(deadline) {
				t.Fatalf("write without quorum: %v (want 503 ServiceUnavailable)", err)
			}
		}
		resp, err := http.Get(c.node("node2").Console + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("/readyz without quorum: %d, want 503", resp.StatusCode)
		}
		for key, o := range l.snapshot() {
			err := get(ctx(t), cli["node2"], key, o)
			if err != nil && statusOf(err) != http.StatusServiceUnavailable {
				t.Fatalf("read of %s without quorum: %v (want the object or 503)", key, err)
			}
			t.Logf("a read of a committed object without quorum: %v", err)
			break
		}
		// Quorum is back with node3; node1 comes back too, and then a heal
		// pass can verify every shard on every drive.
		since := c.start("node3")
		c.start("node1")
		c.waitHealed("node2", since, 90*time.Second)
		for i := range 5 {
			if err := put(ctx(t), cli[names[i%3]], l, fmt.Sprintf("quorum-back/%d", i), randomBody(150<<10)); err != nil {
				t.Fatalf("write after quorum came back: %v", err)
			}
		}
		verifyAll(t, l, cli["node1"], cli["node2"], cli["node3"])
	})
}

// etcdLeader asks the embedded members which of them leads etcd.
func etcdLeader(t *testing.T, c *devCluster) string {
	t.Helper()
	byURL := map[string]string{}
	var eps []string
	for _, n := range c.f.Nodes {
		u := n.flag("cluster-etcd-client-listen")
		byURL[u] = n.Name
		eps = append(eps, u)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	for _, ep := range eps {
		st, err := cli.Status(ctx(t), ep)
		if err == nil && st.Header.MemberId == st.Leader {
			return byURL[ep]
		}
	}
	t.Fatal("no etcd member says it leads")
	return ""
}

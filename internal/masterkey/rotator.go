// Package masterkey rotates the server's master key online: it makes a new
// key current (auth.KeyRing.AddKey, durable in the master key file beside
// the old one), re-seals every tenant secret (auth.Store.ReSealSecrets) and
// every SSE-S3 data key of every object version and upload
// (storage.Store.ReSealSSE) under it, and then retires the old key
// (auth.KeyRing.Retire). Object data is never rewritten.
//
// # Crash behaviour
//
// Every step is durable before the next begins, and until the retirement
// both keys are in the key file, so a crash at any point leaves a server
// that starts and reads every secret and object (records name the key
// that sealed them). A server that starts with more than one key in its
// file resumes the rotation in the background (Resume): re-sealing skips
// what is already under the new key. S3 traffic goes on meanwhile: reads
// open records under either key; new writes seal under the new key; a
// write that began under the old one is re-sealed at its commit.
package masterkey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/pkg/sse"
	"github.com/cofferstore/coffer/storage"
)

// ErrRunning is returned by Rotate while a rotation runs.
var ErrRunning = errors.New("masterkey: a rotation is already running")

// maxConfirmPasses bounds the walks over all records after the first: each
// must find nothing left under an old key before the old key is retired.
const maxConfirmPasses = 3

// Sealer is what a rotation re-seals: the auth store's tenant secrets.
type Sealer interface {
	ReSealSecrets(ctx context.Context) (int, error)
	SecretsByKey() (map[string]int, error)
}

// ObjectSealer is what a rotation re-seals in storage (storage.Store).
type ObjectSealer interface {
	ReSealSSE(ctx context.Context, fn storage.ReSealFunc) (int, error)
}

// Config configures a Rotator.
type Config struct {
	Ring    *auth.KeyRing
	Secrets Sealer
	Objects ObjectSealer
	Logger  *slog.Logger

	// testStep runs before each step ("add", "secrets", "objects",
	// "confirm", "retire") and after each re-sealed object record
	// ("object"); an error stops the rotation there, as a crash would.
	testStep func(step string) error
}

// Rotator runs at most one rotation at a time, in the background.
type Rotator struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	status Status
	cancel context.CancelFunc
	done   chan struct{} // closed when the running rotation ends; nil when none ran
}

// Status is the state of the key ring and of the last rotation. It holds
// key ids, never key bytes.
type Status struct {
	// KeyFile is where the keys live.
	KeyFile string `json:"keyFile"`
	// Current is the id of the key that seals new secrets and data keys;
	// Retiring the ids of older keys still in the file.
	Current  string   `json:"current"`
	Retiring []string `json:"retiring"`
	// Running tells whether a rotation runs now; Phase what it does
	// ("adding a key", "re-sealing secrets", "re-sealing objects",
	// "confirming", "retiring", "done", "failed"; "" before the first).
	Running bool   `json:"running"`
	Phase   string `json:"phase"`
	Resumed bool   `json:"resumed,omitempty"`
	// Started and Finished bound the last rotation (zero when none ran).
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Secrets and Objects count what the last rotation re-sealed so far.
	Secrets int `json:"secretsResealed"`
	Objects int `json:"objectsResealed"`
	// SecretsByKey counts the stored tenant secrets under each key id
	// ("legacy": sealed before key ids, under the original key).
	SecretsByKey map[string]int `json:"secretsByKey"`
	// Error is why the last rotation stopped (Phase "failed").
	Error string `json:"error,omitempty"`
}

// New returns a Rotator; nothing runs until Rotate or Resume.
func New(cfg Config) *Rotator {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Rotator{cfg: cfg, log: log}
}

// Status reports the key ring and the last rotation's progress.
func (r *Rotator) Status() Status {
	r.mu.Lock()
	st := r.status
	r.mu.Unlock()
	ids := r.cfg.Ring.IDs()
	st.KeyFile, st.Current, st.Retiring = r.cfg.Ring.Path(), ids[0], ids[1:]
	if counts, err := r.cfg.Secrets.SecretsByKey(); err == nil {
		st.SecretsByKey = map[string]int{}
		for id, n := range counts {
			if id == "" {
				id = "legacy"
			}
			st.SecretsByKey[id] = n
		}
	}
	return st
}

// Rotate starts a rotation in the background and returns its first
// status. When the ring still holds an older key (an earlier rotation did
// not finish), it finishes that one instead of adding another key.
// ErrRunning while one runs; auth.ErrKeyRingInMemory when there is no key
// file to record a new key in.
func (r *Rotator) Rotate() (Status, error) {
	if r.cfg.Ring.Path() == "" {
		return Status{}, auth.ErrKeyRingInMemory
	}
	if err := r.start(len(r.cfg.Ring.IDs()) > 1); err != nil {
		return Status{}, err
	}
	return r.Status(), nil
}

// Resume finishes, in the background, a rotation a crash or shutdown cut
// (the ring holds more than one key); it does nothing otherwise.
func (r *Rotator) Resume() {
	if len(r.cfg.Ring.IDs()) > 1 {
		_ = r.start(true)
	}
}

func (r *Rotator) start(resume bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status.Running {
		return ErrRunning
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.done = make(chan struct{})
	r.status = Status{Running: true, Resumed: resume, Started: time.Now().UTC(), Phase: "adding a key"}
	go r.run(ctx, resume, r.done)
	return nil
}

// Wait blocks until the running rotation (if any) ends.
func (r *Rotator) Wait() {
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Close stops a running rotation (it resumes at the next start) and waits
// for it.
func (r *Rotator) Close() {
	r.mu.Lock()
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	r.Wait()
}

func (r *Rotator) setPhase(phase string) {
	r.mu.Lock()
	r.status.Phase = phase
	r.mu.Unlock()
}

func (r *Rotator) step(name string) error {
	if r.cfg.testStep != nil {
		return r.cfg.testStep(name)
	}
	return nil
}

func (r *Rotator) run(ctx context.Context, resume bool, done chan struct{}) {
	defer close(done)
	err := r.rotate(ctx, resume)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.Running, r.status.Finished = false, time.Now().UTC()
	if err != nil {
		r.status.Phase, r.status.Error = "failed", err.Error()
		r.log.Error("master key rotation stopped; the old key stays until a rotation finishes", "err", err,
			"secrets", r.status.Secrets, "objects", r.status.Objects)
		return
	}
	r.status.Phase = "done"
	r.log.Info("master key rotation done", "current", r.cfg.Ring.IDs()[0],
		"secrets", r.status.Secrets, "objects", r.status.Objects)
}

// rotate is one rotation, each step durable before the next.
func (r *Rotator) rotate(ctx context.Context, resume bool) error {
	ring := r.cfg.Ring
	if !resume {
		if err := r.step("add"); err != nil {
			return err
		}
		id, err := ring.AddKey()
		if err != nil {
			return err
		}
		r.log.Info("master key rotation: new key is current", "current", id, "retiring", ring.IDs()[1:])
	} else {
		r.log.Info("master key rotation: resuming", "current", ring.IDs()[0], "retiring", ring.IDs()[1:])
	}

	r.setPhase("re-sealing secrets")
	if err := r.step("secrets"); err != nil {
		return err
	}
	n, err := r.cfg.Secrets.ReSealSecrets(ctx)
	r.mu.Lock()
	r.status.Secrets += n
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("re-sealing tenant secrets: %w", err)
	}

	r.setPhase("re-sealing objects")
	if err := r.step("objects"); err != nil {
		return err
	}
	if _, err := r.cfg.Objects.ReSealSSE(ctx, r.resealFunc()); err != nil {
		return fmt.Errorf("re-sealing object keys: %w", err)
	}
	// Confirm: a walk that finds nothing left under an old key. Writes
	// that began under the old key are re-sealed at their commit, so the
	// first confirming walk normally changes nothing.
	r.setPhase("confirming")
	for pass := 1; ; pass++ {
		if err := r.step("confirm"); err != nil {
			return err
		}
		n, err := r.cfg.Objects.ReSealSSE(ctx, r.resealFunc())
		if err != nil {
			return fmt.Errorf("re-sealing object keys: %w", err)
		}
		if n == 0 {
			break
		}
		if pass == maxConfirmPasses {
			return fmt.Errorf("re-sealing object keys: %d records were still under an old key after %d confirming passes", n, pass)
		}
	}
	counts, err := r.cfg.Secrets.SecretsByKey()
	if err != nil {
		return err
	}
	for id, n := range counts {
		if id != ring.IDs()[0] && n > 0 {
			return fmt.Errorf("%d tenant secrets are still under key %q", n, id)
		}
	}

	r.setPhase("retiring")
	if err := r.step("retire"); err != nil {
		return err
	}
	return ring.Retire()
}

// resealFunc re-seals one SSE-S3 record under the ring's current key,
// unsealing it with the key it names (SSE-C records and records already
// under the current key are left alone).
func (r *Rotator) resealFunc() storage.ReSealFunc {
	return func(data []byte, c sse.Context) ([]byte, error) {
		rec, err := sse.Unmarshal(data)
		if err != nil {
			return nil, err // no key in the message: it is tenant data
		}
		cur := r.cfg.Ring.Current()
		if rec.Algorithm != sse.AlgorithmS3 || rec.KeyID == cur.ID() {
			return nil, nil
		}
		var old *sse.MasterKey
		for _, k := range r.cfg.Ring.All() {
			if k.ID() == rec.KeyID {
				old = k
			}
		}
		if old == nil {
			return nil, fmt.Errorf("%w: %s", sse.ErrUnknownMasterKey, rec.KeyID)
		}
		n, err := sse.ReSeal(rec, c, old, cur)
		if err != nil {
			return nil, err
		}
		out, err := n.Marshal()
		if err != nil {
			return nil, err
		}
		if err := r.step("object"); err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.status.Objects++
		r.mu.Unlock()
		return out, nil
	}
}

package driveproto

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/cofferstore/coffer/storage"
	"github.com/zeebo/xxh3"
)

// PathPrefix is where the handler serves drives: PathPrefix<drive>/<op>.
const PathPrefix = "/internal/drive/"

// Operations (the last path element).
const (
	opPing       = "ping"
	opPresent    = "present"
	opFormat     = "format" // GET reads, PUT writes
	opCreate     = "create"
	opCommit     = "commit"
	opAbort      = "abort"
	opSyncDir    = "syncdir"
	opStat       = "stat"
	opRead       = "read"
	opFile       = "file"
	opRemove     = "remove"
	opWalk       = "walk"
	opCleanTemp  = "cleantemp"
	opUsage      = "usage"
	opAppend     = "append"
	opPacked     = "packed"
	opSegments   = "segments"
	opActive     = "active"
	opPackSize   = "packsize"
	opScan       = "scan"
	opRemovePack = "removepack"
)

// Limits on what either side reads from the other.
const (
	// maxUnaryBody bounds request bodies of unary calls (format, remove
	// lists, pack appends; a pack record is at most about 200 KiB).
	maxUnaryBody = 4 << 20
	// maxRead bounds ReadFile and a packed record (held in memory whole:
	// .meta files, bucket files and pack records are small).
	maxRead = 16 << 20
	// maxRange bounds one ranged read (streamed into the caller's buffer).
	maxRange = 64 << 20
	// maxFrame bounds one stream frame (a walk page, a scanned record).
	maxFrame = 8 << 20
	// maxNames bounds the names of one Remove.
	maxNames = 10000
	// walkPage is how many entries a walk frame carries.
	walkPage = 1000
	// maxName bounds a data file name.
	maxName = 200
)

// Headers beside the signature.
const (
	hdrSum = "X-Coffer-Sum" // xxh3 (16 hex) of a unary body, either way
	hdrLen = "X-Coffer-Len" // stream trailer: bytes sent
	hdrEOF = "X-Coffer-EOF" // a ranged read ended at the end of the file
)

// Error kinds carried by error responses, so the client can wrap the
// sentinels storage tests with errors.Is.
const (
	kindNotExist = "notexist"
	kindDiskFull = "diskfull"
	kindBad      = "badrequest"
	kindBusy     = "busy"
	kindOther    = "other"
)

type errBody struct {
	Kind string `json:"kind"`
	Msg  string `json:"msg"`
}

func errKind(err error) (string, int) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return kindNotExist, http.StatusNotFound
	case errors.Is(err, storage.ErrDiskFull):
		return kindDiskFull, http.StatusInsufficientStorage
	case errors.Is(err, errBadRequest):
		return kindBad, http.StatusBadRequest
	case errors.Is(err, errBusy):
		return kindBusy, http.StatusServiceUnavailable
	}
	return kindOther, http.StatusInternalServerError
}

var (
	errBadRequest = errors.New("driveproto: bad request")
	errBusy       = errors.New("driveproto: server busy")
)

// remoteError turns an error response back into an error that wraps the
// sentinel of its kind.
func remoteError(status int, b errBody) error {
	msg := "driveproto: remote: " + b.Msg
	switch b.Kind {
	case kindNotExist:
		return fmt.Errorf("%s: %w", msg, fs.ErrNotExist)
	case kindDiskFull:
		return fmt.Errorf("%s: %w", msg, storage.ErrDiskFull)
	}
	return fmt.Errorf("%s (status %d)", msg, status)
}

func sumHex(b []byte) string {
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], xxh3.Hash(b))
	return hex.EncodeToString(s[:])
}

// checkSum verifies b against a sum header.
func checkSum(b []byte, want string) error {
	if want == "" || sumHex(b) != want {
		return fmt.Errorf("driveproto: body checksum mismatch (%d bytes)", len(b))
	}
	return nil
}

// readLimited reads all of r, failing past limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: body over %d bytes", errBadRequest, limit)
	}
	return b, nil
}

// Stream frames (walk pages, scanned pack records): a type byte, a u32
// payload length, the payload and the payload's xxh3. A stream ends with
// an end frame (empty payload) or an error frame (JSON errBody); a stream
// that stops without one was cut.
const (
	frameData  = 'D'
	frameError = 'E'
	frameEnd   = 'Z'
	frameHead  = 5
	frameTail  = 8
)

func appendFrame(dst []byte, typ byte, payload []byte) []byte {
	dst = append(dst, typ)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	dst = append(dst, payload...)
	return binary.BigEndian.AppendUint64(dst, xxh3.Hash(payload))
}

// readFrame reads one frame, checking its length bound and checksum.
func readFrame(r io.Reader, buf []byte) (typ byte, payload []byte, err error) {
	var head [frameHead]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, fmt.Errorf("driveproto: stream cut: %w", noEOF(err))
	}
	typ = head[0]
	n := binary.BigEndian.Uint32(head[1:])
	if n > maxFrame || typ != frameData && typ != frameError && typ != frameEnd {
		return 0, nil, fmt.Errorf("driveproto: bad stream frame (type %q, %d bytes)", typ, n)
	}
	if cap(buf) < int(n)+frameTail {
		buf = make([]byte, int(n)+frameTail)
	}
	buf = buf[:int(n)+frameTail]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, fmt.Errorf("driveproto: stream cut: %w", noEOF(err))
	}
	payload = buf[:n]
	if binary.BigEndian.Uint64(buf[n:]) != xxh3.Hash(payload) {
		return 0, nil, errors.New("driveproto: stream frame checksum mismatch")
	}
	return typ, payload, nil
}

// noEOF makes a clean EOF where more was due an unexpected one.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// walkEntry is one file of a walk page.
type walkEntry struct {
	Name string `json:"n"`
	Mod  int64  `json:"m"` // Unix nanoseconds
}

type usageBody struct {
	Total uint64 `json:"total"`
	Free  uint64 `json:"free"`
}

func parseUint(s string, bits int) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: number %q", errBadRequest, s)
	}
	return v, nil
}

// validName accepts data file names as storage makes them ("<hex id>.meta",
// "<hex id>.shard"): short, of letters, digits and dots, not starting with one.
func validName(name string) bool {
	if len(name) < 3 || len(name) > maxName || name[0] == '.' || strings.Contains(name, "..") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain types are marshalled
	}
	return b
}

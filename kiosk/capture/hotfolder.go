package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"huren/kiosk"
)

// HotFolder imports pages that scanner software drops into a directory (JPEG, PNG or PDF). A file is taken
// only when it is complete: its size and modification time were the same over two polls AND its tail is
// well formed (JPEG ends with EOI, PNG with its IEND chunk, PDF has %%EOF in its last 1 KiB). Files written
// under a temporary name (leading "." or "~", or ending .tmp/.part/.crdownload) are ignored until renamed,
// so scanner software that writes-then-renames is picked up at once. A file that stays malformed for
// GiveUpPolls polls is imported anyway, so that Normalize refuses it with a clear message instead of the
// kiosk waiting for ever. Imported files are removed. Oldest files (by modification time, then name) first.
type HotFolder struct {
	dir string
	// Poll is the interval between directory scans (default 250 ms).
	Poll time.Duration
	// GiveUpPolls is how many stable-but-malformed polls a file gets before it is imported anyway
	// (default 20, i.e. 5 s; 0 or less: never).
	GiveUpPolls int

	mu    sync.Mutex // one Capture at a time
	seen  map[string]fileState
	prevM sync.Mutex
	prev  image.Image
}

type fileState struct {
	size   int64
	mtime  time.Time
	stable int // consecutive polls with the same size and mtime
}

var _ kiosk.Camera = (*HotFolder)(nil)

// NewHotFolder watches dir, creating it (0700) when missing. It returns an error when dir cannot be created
// or is not a directory.
func NewHotFolder(dir string) (*HotFolder, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("hot folder: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("hot folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("hot folder: %s is not a directory", dir)
	}
	return &HotFolder{dir: dir, Poll: 250 * time.Millisecond, GiveUpPolls: 20, seen: map[string]fileState{}}, nil
}

// Health reports whether the folder can be listed (admin mode).
func (h *HotFolder) Health() kiosk.Health {
	hl := kiosk.Health{Device: "camera", Checked: time.Now()}
	if _, err := os.ReadDir(h.dir); err != nil {
		hl.Detail = "扫描文件夹无法读取 hot folder unreadable: " + err.Error()
		return hl
	}
	hl.OK, hl.Detail = true, "扫描文件夹 hot folder "+h.dir
	return hl
}

// Dir returns the watched directory.
func (h *HotFolder) Dir() string { return h.dir }

// Preview returns a placeholder (scanners have no live view): a plain page-coloured frame, or a downscaled
// copy of the last imported image page.
func (h *HotFolder) Preview(ctx context.Context) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.prevM.Lock()
	defer h.prevM.Unlock()
	if h.prev == nil {
		img := image.NewRGBA(image.Rect(0, 0, 480, 640))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 0xEE, 0xEE, 0xEE, 0xFF
		}
		h.prev = img
	}
	return h.prev, nil
}

// Capture waits until a complete file is in the folder, reads it, removes it and returns it. It returns
// ctx.Err() when ctx ends first, and a *kiosk.UserError when the folder cannot be read or the file not removed.
func (h *HotFolder) Capture(ctx context.Context) (kiosk.RawPage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	poll := h.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		page, ok, err := h.scan()
		if err != nil {
			return kiosk.RawPage{}, kiosk.NewUserError("扫描文件夹无法读取，请联系工作人员", "The scan folder cannot be read; please ask staff", err)
		}
		if ok {
			h.setPreview(page)
			return page, nil
		}
		select {
		case <-ctx.Done():
			return kiosk.RawPage{}, ctx.Err()
		case <-t.C:
		}
	}
}

// scan lists the folder once, updates the stability record and imports the oldest complete file.
func (h *HotFolder) scan() (kiosk.RawPage, bool, error) {
	ents, err := os.ReadDir(h.dir)
	if err != nil {
		return kiosk.RawPage{}, false, fmt.Errorf("read hot folder: %w", err)
	}
	type cand struct {
		name  string
		mtime time.Time
	}
	var ready []cand
	present := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !acceptedName(name) {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return kiosk.RawPage{}, false, fmt.Errorf("stat %s: %w", name, err)
		}
		present[name] = true
		prev, had := h.seen[name]
		cur := fileState{size: info.Size(), mtime: info.ModTime()}
		if had && prev.size == cur.size && prev.mtime.Equal(cur.mtime) {
			cur.stable = prev.stable + 1
		}
		h.seen[name] = cur
		if cur.stable >= 1 && cur.size > 0 {
			ready = append(ready, cand{name, cur.mtime})
		}
	}
	for name := range h.seen {
		if !present[name] {
			delete(h.seen, name)
		}
	}
	sort.Slice(ready, func(i, j int) bool {
		if !ready[i].mtime.Equal(ready[j].mtime) {
			return ready[i].mtime.Before(ready[j].mtime)
		}
		return ready[i].name < ready[j].name
	})
	for _, c := range ready {
		path := filepath.Join(h.dir, c.name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			delete(h.seen, c.name)
			continue
		} else if err != nil {
			return kiosk.RawPage{}, false, fmt.Errorf("read %s: %w", c.name, err)
		}
		st := h.seen[c.name]
		if int64(len(data)) != st.size { // changed between stat and read: not finished
			h.seen[c.name] = fileState{size: int64(len(data))}
			continue
		}
		if !completeTail(c.name, data) && (h.GiveUpPolls <= 0 || st.stable < h.GiveUpPolls) {
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return kiosk.RawPage{}, false, fmt.Errorf("remove %s: %w", c.name, err)
		}
		delete(h.seen, c.name)
		slog.Info("hot folder import", "file", c.name, "bytes", len(data))
		return kiosk.RawPage{Data: data, ContentType: Sniff(data), Source: path}, true, nil
	}
	return kiosk.RawPage{}, false, nil
}

func (h *HotFolder) setPreview(p kiosk.RawPage) {
	if Sniff(p.Data) == TypePDF {
		return
	}
	img, err := decodeOther(p.Data)
	if err != nil {
		return
	}
	small := scaleToRGBA(img, 640)
	h.prevM.Lock()
	h.prev = small
	h.prevM.Unlock()
}

// acceptedName reports whether a file name is a finished JPEG, PNG or PDF (not a temporary name).
func acceptedName(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png", ".pdf":
		return true
	}
	return false
}

// completeTail reports whether data ends the way a complete file of its kind does.
func completeTail(name string, data []byte) bool {
	switch Sniff(data) {
	case "image/jpeg":
		d := bytes.TrimRight(data, "\x00\r\n ")
		return bytes.HasSuffix(d, []byte{0xFF, 0xD9})
	case "image/png":
		return len(data) >= 12 && string(data[len(data)-8:len(data)-4]) == "IEND"
	case TypePDF:
		tail := data[max(0, len(data)-1024):]
		return bytes.Contains(tail, []byte("%%EOF"))
	}
	// Not a known format: let Normalize refuse it once it is stable.
	return true
}

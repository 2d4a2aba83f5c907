package capture

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"

	"huren/kiosk"
)

// MaxPagesPerMaterial bounds how many pages one material may have.
const MaxPagesPerMaterial = 20

// ErrPageIndex is returned by Pages methods given an index out of range.
var ErrPageIndex = fmt.Errorf("page index out of range")

// Pages is the multi-page capture of one material (one MaterialKind): add, retake, delete and reorder
// pages, then turn them into kiosk.Material values. It is safe for concurrent use. Wipe forgets every page
// (end of session).
type Pages struct {
	kind  kiosk.MaterialKind
	mu    sync.Mutex
	pages []Page
}

// NewPages starts an empty material of the given kind.
func NewPages(kind kiosk.MaterialKind) *Pages { return &Pages{kind: kind} }

// Kind returns the material kind.
func (p *Pages) Kind() kiosk.MaterialKind { return p.kind }

// Len returns the number of pages.
func (p *Pages) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pages)
}

// Add appends a page and returns its index. It returns a *kiosk.UserError when the material already has
// MaxPagesPerMaterial pages.
func (p *Pages) Add(pg Page) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pages) >= MaxPagesPerMaterial {
		return -1, kiosk.NewUserError(fmt.Sprintf("每份材料最多%d页", MaxPagesPerMaterial),
			fmt.Sprintf("At most %d pages per material", MaxPagesPerMaterial), fmt.Errorf("pages: %d already", len(p.pages)))
	}
	p.pages = append(p.pages, pg)
	return len(p.pages) - 1, nil
}

// Replace swaps page i for a retaken one. It returns ErrPageIndex for a bad index.
func (p *Pages) Replace(i int, pg Page) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < 0 || i >= len(p.pages) {
		return ErrPageIndex
	}
	p.pages[i] = pg
	return nil
}

// Delete removes page i. It returns ErrPageIndex for a bad index.
func (p *Pages) Delete(i int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < 0 || i >= len(p.pages) {
		return ErrPageIndex
	}
	p.pages = append(p.pages[:i], p.pages[i+1:]...)
	return nil
}

// Move moves page from to position to (both 0-based; the others shift). It returns ErrPageIndex for a bad index.
func (p *Pages) Move(from, to int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if from < 0 || from >= len(p.pages) || to < 0 || to >= len(p.pages) {
		return ErrPageIndex
	}
	pg := p.pages[from]
	p.pages = append(p.pages[:from], p.pages[from+1:]...)
	p.pages = append(p.pages[:to], append([]Page{pg}, p.pages[to:]...)...)
	return nil
}

// Page returns page i. It returns ErrPageIndex for a bad index.
func (p *Pages) Page(i int) (Page, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < 0 || i >= len(p.pages) {
		return Page{}, ErrPageIndex
	}
	return p.pages[i], nil
}

// All returns a copy of the page list in order.
func (p *Pages) All() []Page {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Page(nil), p.pages...)
}

// Materials returns the pages as materials, numbered from 1 in the current order, with SHA256, Size and the
// codes of the warnings the applicant chose to keep.
func (p *Pages) Materials() []kiosk.Material {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]kiosk.Material, len(p.pages))
	for i, pg := range p.pages {
		out[i] = MaterialFromPage(p.kind, i+1, pg)
	}
	return out
}

// Wipe forgets every page, overwriting the image bytes.
func (p *Pages) Wipe() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.pages {
		clear(p.pages[i].Data)
	}
	p.pages = nil
}

// MaterialFromPage makes one material page (page is 1-based).
func MaterialFromPage(kind kiosk.MaterialKind, page int, pg Page) kiosk.Material {
	sum := sha256.Sum256(pg.Data)
	return kiosk.Material{Kind: kind, Page: page, ContentType: pg.ContentType, Data: pg.Data,
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(pg.Data)), Warnings: pg.WarningCodes()}
}

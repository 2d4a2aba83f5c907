package app

import (
	"image/color"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"huren/resources"
)

// Theme sizes (device-independent pixels; the kiosk runs at scale 1).
const (
	textSize        = 28 // body text on the applicant's path
	headingSize     = 44
	subHeadingSize  = 34
	largeFactor     = 1.3 // larger-text mode
	minButtonHeight = 72  // touch targets ≥ 64 px
)

// Colours: high contrast, one calm accent.
var (
	colBackground = color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
	colForeground = color.NRGBA{R: 0x12, G: 0x12, B: 0x12, A: 0xFF}
	colAccent     = color.NRGBA{R: 0x0B, G: 0x5C, B: 0x9E, A: 0xFF} // calm blue, 7:1 on white
	colButton     = color.NRGBA{R: 0xE3, G: 0xEA, B: 0xF2, A: 0xFF}
	colDisabled   = color.NRGBA{R: 0x6B, G: 0x6B, B: 0x6B, A: 0xFF}
	colDisabledBg = color.NRGBA{R: 0xEE, G: 0xEE, B: 0xEE, A: 0xFF}
	colError      = color.NRGBA{R: 0xB0, G: 0x1C, B: 0x1C, A: 0xFF}
	colWarning    = color.NRGBA{R: 0x8A, G: 0x4B, B: 0x00, A: 0xFF}
	colSuccess    = color.NRGBA{R: 0x1B, G: 0x6E, B: 0x2A, A: 0xFF}
	colPanel      = color.NRGBA{R: 0xF3, G: 0xF6, B: 0xF9, A: 0xFF}
)

// Fyne sets every button label in its "strong" style, bold. The Chinese font has no bold face, so bold text
// looks the same as regular, but Fyne parses the whole font once more for each text style in use: about 20 MB
// of glyph tables held for nothing. Button labels are therefore regular weight (set before any widget is
// made), and headings stand out by size, not weight (TestScreenshots checks every screen).
func init() { widget.RichTextStyleStrong.TextStyle.Bold = false }

// kioskTheme wraps Fyne's default theme: the Chinese font, large type, high contrast, light variant only.
type kioskTheme struct {
	base  fyne.Theme
	font  fyne.Resource // nil: the default theme's font (logged at start)
	scale float32
}

var _ fyne.Theme = (*kioskTheme)(nil)

func newTheme(large bool, log *slog.Logger) *kioskTheme {
	t := &kioskTheme{base: theme.DefaultTheme(), scale: 1}
	if large {
		t.scale = largeFactor
	}
	if data, err := resources.ChineseFont(); err != nil {
		log.Error("chinese font unavailable, falling back to the default font", "err", err)
	} else {
		t.font = fyne.NewStaticResource("wqy-microhei.ttf", data)
	}
	return t
}

func (t *kioskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameBackground, theme.ColorNameInputBackground, theme.ColorNameMenuBackground,
		theme.ColorNameOverlayBackground:
		return colBackground
	case theme.ColorNameForeground:
		return colForeground
	case theme.ColorNamePrimary, theme.ColorNameFocus, theme.ColorNameHyperlink:
		return colAccent
	case theme.ColorNameForegroundOnPrimary:
		return colBackground
	case theme.ColorNameButton:
		return colButton
	case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
		return colDisabled
	case theme.ColorNameDisabledButton:
		return colDisabledBg
	case theme.ColorNameError:
		return colError
	case theme.ColorNameWarning:
		return colWarning
	case theme.ColorNameSuccess:
		return colSuccess
	case theme.ColorNameHeaderBackground:
		return colPanel
	case theme.ColorNameSelection:
		return color.NRGBA{R: 0x0B, G: 0x5C, B: 0x9E, A: 0x40}
	case theme.ColorNameHover:
		return color.NRGBA{R: 0x0B, G: 0x5C, B: 0x9E, A: 0x18}
	case theme.ColorNamePressed:
		return color.NRGBA{R: 0x0B, G: 0x5C, B: 0x9E, A: 0x30}
	case theme.ColorNameSeparator, theme.ColorNameInputBorder:
		return color.NRGBA{R: 0x9A, G: 0xA5, B: 0xB1, A: 0xFF}
	case theme.ColorNameScrollBar:
		return color.NRGBA{R: 0x0B, G: 0x5C, B: 0x9E, A: 0xA0}
	}
	return t.base.Color(n, theme.VariantLight)
}

func (t *kioskTheme) Font(s fyne.TextStyle) fyne.Resource {
	if t.font == nil || s.Monospace || s.Symbol {
		return t.base.Font(s)
	}
	return t.font
}

func (t *kioskTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }

func (t *kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return textSize * t.scale
	case theme.SizeNameHeadingText:
		return headingSize * t.scale
	case theme.SizeNameSubHeadingText:
		return subHeadingSize * t.scale
	case theme.SizeNameCaptionText:
		return 22 * t.scale
	case theme.SizeNameInnerPadding:
		return 16
	case theme.SizeNamePadding:
		return 8
	case theme.SizeNameInlineIcon:
		return 36 * t.scale
	case theme.SizeNameScrollBar:
		return 24
	case theme.SizeNameScrollBarSmall:
		return 10
	case theme.SizeNameInputBorder:
		return 3
	case theme.SizeNameSeparatorThickness:
		return 2
	}
	return t.base.Size(n)
}

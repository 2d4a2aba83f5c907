// Command minwin is the floor for the kiosk's start-up benchmark: the smallest Fyne program that shows a
// window with one label. It logs "home shown" with startup_ms exactly as the kiosk does, then quits.
package main

import (
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	start := time.Now()
	a := app.NewWithID("cn.gov.jinyun.huren.minwin")
	w := a.NewWindow("minwin")
	w.SetContent(widget.NewLabel("Huren"))
	w.Resize(fyne.NewSize(1280, 1024))
	a.Lifecycle().SetOnStarted(func() {
		fmt.Fprintf(os.Stderr, "{\"msg\":\"home shown\",\"startup_ms\":%.3f}\n", float64(time.Since(start).Microseconds())/1000)
		if os.Getenv("MINWIN_STAY") == "" {
			go func() { time.Sleep(200 * time.Millisecond); fyne.Do(a.Quit) }()
		}
	})
	w.ShowAndRun()
}

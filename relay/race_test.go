//go:build race

package relay

// raceEnabled: the race detector slows matching about tenfold, so the
// evaluation runs on a quarter of the generated spread.
const raceEnabled = true

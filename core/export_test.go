package core

// ForceUnderLoad makes d demand cookies from every handshake (tests).
func ForceUnderLoad(d *Device, on bool) { d.forceUnderLoad.Store(on) }

package windows

// HooksKey and HooksValue are where an administrator allows tunnel
// services to run PreUp, PostUp, PreDown and PostDown hooks: the DWORD
// HKLM\SOFTWARE\wgshim\DangerousScriptExecution, 1 to allow. Hooks run
// as LocalSystem, so the switch lives where only administrators can write,
// and the service reads it itself when it starts (the command line of
// whoever installed it cannot turn hooks on). wireguard-windows has the
// same policy under its own key.
const (
	HooksKey   = `SOFTWARE\wgshim`
	HooksValue = "DangerousScriptExecution"
)

package quick

// MonitorArg is the first argument that makes a wg-quick binary run the
// route monitor (MonitorMain) instead of the command: the StartMonitor
// step runs `<wg-quick> __openbsd-route-monitor wgN` detached, with
// envMonitorState carrying the starting bsd.Endpoints as JSON.
const (
	MonitorArg      = "__openbsd-route-monitor"
	envMonitorState = "WGSHIM_ROUTE_MONITOR_STATE"
)

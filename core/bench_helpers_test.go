package core

import "net"

var netErrClosed = net.ErrClosed

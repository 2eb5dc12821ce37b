//go:build darwin && cgo

package service

/*
#include <errno.h>
#include <stdlib.h>
#include <launch.h>
*/
import "C"

import (
	"fmt"
	"net"
	"os"
	"unsafe"
)

// launchdSocketName is the key under Sockets in the LaunchAgent plist.
const launchdSocketName = "Listeners"

// launchdListeners asks launchd for the sockets it holds for us. ESRCH
// means we were not started by launchd; ENOENT that the plist names no such
// socket: both mean "not activated", not an error.
func launchdListeners() ([]Listener, error) {
	name := C.CString(launchdSocketName)
	defer C.free(unsafe.Pointer(name))
	var fds *C.int
	var cnt C.size_t
	rc := C.launch_activate_socket(name, &fds, &cnt)
	if rc == C.ESRCH || rc == C.ENOENT {
		return nil, nil
	}
	if rc != 0 {
		return nil, fmt.Errorf("launch_activate_socket: errno %d", int(rc))
	}
	defer C.free(unsafe.Pointer(fds))
	list := unsafe.Slice(fds, int(cnt))
	var out []Listener
	for i, fd := range list {
		f := os.NewFile(uintptr(fd), fmt.Sprintf("launchd-%d", i))
		l, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("launchd socket %d: %w", i, err)
		}
		out = append(out, newListener(l, "launchd"))
	}
	return out, nil
}

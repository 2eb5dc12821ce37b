package service

import (
	"context"
	"net"

	"github.com/patina-dev/patina/internal/peercred"
)

// Peer is what the daemon knows about the other end of a connection.
type Peer struct {
	Listener string // the listener's name (e.g. "mother.sock", "tcp")
	Network  bool   // a TCP listener: token and Host rules apply
	UID      int    // peer uid from SO_PEERCRED / LOCAL_PEERCRED, -1 if unknown
	PID      int    // peer pid where the platform reports it, else 0
}

// trusted reports whether a local peer may use the daemon: our own uid, or
// root (who could read our socket anyway).
func (p Peer) trusted() bool { return peercred.Trusted(p.UID) }

type peerKey struct{}

func withPeer(ctx context.Context, p Peer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

func peerFrom(ctx context.Context) Peer {
	p, ok := ctx.Value(peerKey{}).(Peer)
	if !ok {
		return Peer{UID: -1, Network: true} // unknown: treat with the strictest rules
	}
	return p
}

// peerOf reads the credentials of a connection's peer. Only unix
// connections have them.
func peerOf(c net.Conn, info *listenerInfo) Peer {
	p := Peer{Listener: info.name, Network: info.network, UID: -1}
	if uc, ok := c.(*net.UnixConn); ok && !info.network {
		if uid, pid, err := peercred.Of(uc); err == nil {
			p.UID, p.PID = uid, pid
		}
	}
	return p
}

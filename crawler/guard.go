package crawler

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrBlockedAddress is wrapped by every refusal of the address guard: a
// fetched URL resolved to an address silencewatch does not connect to.
var ErrBlockedAddress = errors.New("address not allowed")

// blockedPrefixes are the ranges a URL taken from an outlet's feed, a page
// or a user must not reach: this machine, its networks, cloud metadata
// endpoints (169.254.169.254, fd00:ec2::254) and addresses that are not
// unicast on the Internet.
var blockedPrefixes = mustPrefixes(
	"0.0.0.0/8",      // "this network", 0.0.0.0 reaches localhost
	"10.0.0.0/8",     // private
	"100.64.0.0/10",  // carrier-grade NAT
	"127.0.0.0/8",    // loopback
	"169.254.0.0/16", // link-local, cloud metadata
	"172.16.0.0/12",  // private
	"192.0.0.0/24",   // IETF protocol assignments
	"192.168.0.0/16", // private
	"198.18.0.0/15",  // benchmarking
	"224.0.0.0/4",    // multicast
	"240.0.0.0/4",    // reserved, broadcast
	"::/128",         // unspecified
	"::1/128",        // loopback
	"fc00::/7",       // unique local
	"fe80::/10",      // link-local
	"ff00::/8",       // multicast
)

// Prefixes whose addresses embed an IPv4 address, which is judged instead.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

func mustPrefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

// AddressGuard decides which addresses may be connected to. It runs in the
// dialer, after DNS resolution, for every connection: redirects, DNS
// rebinding and a hostname that resolves to 127.0.0.1 are all covered.
type AddressGuard struct {
	allow []netip.Prefix
}

// NewAddressGuard refuses the blocked ranges except those in allow
// (crawler.allow_private in the config; tests and the demo allow loopback).
func NewAddressGuard(allow []netip.Prefix) *AddressGuard {
	return &AddressGuard{allow: append([]netip.Prefix(nil), allow...)}
}

// Check returns nil when ip may be connected to, else an error wrapping
// ErrBlockedAddress that names the address and why.
func (g *AddressGuard) Check(ip netip.Addr) error {
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			ip = netip.AddrFrom4([4]byte(b[12:16]))
		case sixToFour.Contains(ip):
			ip = netip.AddrFrom4([4]byte(b[2:6]))
		}
	}
	for _, p := range g.allow {
		if p.Contains(ip) {
			return nil
		}
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return fmt.Errorf("%w: %s is in %s (not a public address; allow it with crawler.allow_private)", ErrBlockedAddress, ip, p)
		}
	}
	return nil
}

// control is the net.Dialer.Control hook: address is the resolved
// "ip:port" about to be connected.
func (g *AddressGuard) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrBlockedAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP address", ErrBlockedAddress, host)
	}
	return g.Check(ip)
}

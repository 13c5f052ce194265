package crawler

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestAddressGuard(t *testing.T) {
	tests := []struct {
		addr    string
		allow   []string
		blocked bool
	}{
		{"93.184.216.34", nil, false},
		{"2606:2800:220:1:248:1893:25c8:1946", nil, false},
		{"127.0.0.1", nil, true},
		{"127.8.9.10", nil, true},
		{"::1", nil, true},
		{"::ffff:127.0.0.1", nil, true}, // IPv4-mapped loopback
		{"10.1.2.3", nil, true},
		{"172.16.0.1", nil, true},
		{"192.168.1.1", nil, true},
		{"169.254.169.254", nil, true}, // cloud metadata
		{"fd00:ec2::254", nil, true},   // cloud metadata over IPv6
		{"fe80::1", nil, true},
		{"100.64.0.1", nil, true}, // CGNAT
		{"0.0.0.0", nil, true},
		{"::", nil, true},
		{"224.0.0.1", nil, true},
		{"ff02::1", nil, true},
		{"255.255.255.255", nil, true},
		{"64:ff9b::7f00:1", nil, true},     // NAT64 of 127.0.0.1
		{"64:ff9b::5db8:d822", nil, false}, // NAT64 of a public address
		{"2002:a00:1::", nil, true},        // 6to4 of 10.0.0.1
		{"127.0.0.1", []string{"127.0.0.0/8"}, false},
		{"127.0.0.2", []string{"127.0.0.1/32"}, true},
		{"10.1.2.3", []string{"10.1.0.0/16"}, false},
	}
	for _, tt := range tests {
		var allow []netip.Prefix
		for _, a := range tt.allow {
			allow = append(allow, netip.MustParsePrefix(a))
		}
		err := NewAddressGuard(allow).Check(netip.MustParseAddr(tt.addr))
		if got := err != nil; got != tt.blocked {
			t.Errorf("%s allow %v: blocked = %v (%v), want %v", tt.addr, tt.allow, got, err, tt.blocked)
		}
		if err != nil && !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: error %v does not wrap ErrBlockedAddress", tt.addr, err)
		}
	}
}

// TestFetchRefusesLoopbackByDefault: with no allow-list, a URL on this
// machine is refused at dial time, clearly and for good.
func TestFetchRefusesLoopbackByDefault(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	_, err := NewFetcher(FetcherOptions{}).Fetch(t.Context(), FetchRequest{Source: "outlet", URL: srv.URL + "/latest/meta-data/"})
	fe := asFetchError(t, err)
	if fe.Kind != KindBlocked || fe.Retryable() || !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("Kind %v Retryable %v: %v", fe.Kind, fe.Retryable(), err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1 is in 127.0.0.0/8") || !strings.Contains(err.Error(), `source "outlet"`) {
		t.Errorf("message %q does not say which address and source", err)
	}
	if hit {
		t.Error("the server was reached")
	}
}

// TestFetchRefusesRedirectToPrivate: an allowed host that redirects to an
// address outside the allow-list is refused at the hop (the guard runs for
// every connection, not on the first URL only).
func TestFetchRefusesRedirectToPrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.2:1/latest/meta-data/iam", http.StatusFound)
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	_, err := f.Fetch(t.Context(), FetchRequest{Source: "outlet", URL: srv.URL + "/feed"})
	fe := asFetchError(t, err)
	if fe.Kind != KindBlocked || !strings.Contains(err.Error(), "127.0.0.2") {
		t.Errorf("Kind %v: %v", fe.Kind, err)
	}
}

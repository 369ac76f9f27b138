package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// Running is a [Server] listening for HTTP.
type Running struct {
	// URL is the server's base URL, http://HOST:PORT.
	URL  string
	Addr net.Addr
	srv  *http.Server
	s    *Server
	done chan error
}

// Start listens on addr ("127.0.0.1:8080"; port 0 picks a free port) and
// serves s in the background, with the header, read, write and idle
// timeouts of s's limits. Shutdown stops it.
func Start(s *Server, addr string) (*Running, error) {
	return Listen(s, ListenConfig{Addr: addr})
}

// ListenConfig is where and how [Listen] serves.
type ListenConfig struct {
	Addr string
	// Listener, when set, is served instead of listening on Addr: a
	// caller that must know the address works before it creates anything
	// binds it first.
	Listener net.Listener
	// Handler serves the requests; nil means the server itself. The
	// inspection portal is a handler that passes the API on to the server.
	Handler http.Handler
	// TLSCert and TLSKey are PEM files of a certificate chain and its key:
	// both serve HTTPS, neither plain HTTP.
	TLSCert, TLSKey string
}

// Listen is [Start] with a handler in front of s and, optionally, TLS.
func Listen(s *Server, cfg ListenConfig) (*Running, error) {
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("TLS needs both a certificate and its key")
	}
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading the TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln := cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, fmt.Errorf("listening on %s: %w", cfg.Addr, err)
		}
	}
	scheme := "http://"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "https://"
	}
	var h http.Handler = s
	if cfg.Handler != nil {
		h = cfg.Handler
	}
	l := s.cfg.Limits
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	r := &Running{URL: scheme + ln.Addr().String(), Addr: ln.Addr(), srv: srv, s: s, done: make(chan error, 1)}
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		r.done <- err
	}()
	return r, nil
}

// Shutdown stops accepting requests, waits for those in flight (until ctx
// ends), then stops the log's sequencer. Every receipt handed out before it
// returns is for a committed entry.
func (r *Running) Shutdown(ctx context.Context) error {
	err := r.srv.Shutdown(ctx)
	r.s.Close()
	if werr := r.Wait(); err == nil {
		err = werr
	}
	return err
}

// Wait waits for the server to stop and returns why, nil after Shutdown.
func (r *Running) Wait() error {
	err, ok := <-r.done
	if ok {
		close(r.done)
	}
	return err
}

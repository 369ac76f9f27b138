package server

import (
	"context"
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
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	l := s.cfg.Limits
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	r := &Running{URL: "http://" + ln.Addr().String(), Addr: ln.Addr(), srv: srv, s: s, done: make(chan error, 1)}
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

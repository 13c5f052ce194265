package slackfake

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/websocket"
)

func (s *Server) connectionsOpen(w http.ResponseWriter, r *http.Request) {
	if strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") != s.o.AppToken {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	writeJSON(w, map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/socket-mode"})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) socket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	s.sockMu.Lock()
	err = conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1})
	s.sockMu.Unlock()
	if err != nil {
		return
	}
	s.mu.Lock()
	s.sock = conn
	s.notify()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.sock == conn {
			s.sock = nil
		}
		s.notify()
		s.mu.Unlock()
	}()
	for {
		var msg map[string]any
		if err := conn.ReadJSON(&msg); err != nil {
			return
		}
		if id, ok := msg["envelope_id"].(string); ok {
			s.mu.Lock()
			if ch, ok := s.acks[id]; ok {
				close(ch)
				delete(s.acks, id)
			}
			s.notify()
			s.mu.Unlock()
		}
	}
}

// Connected reports whether a Socket Mode client is connected.
func (s *Server) Connected() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.sock != nil }

// Interact sends an interactive payload (a button press) to the connected
// Socket Mode client, waiting for a connection first, and returns once the
// client acknowledged it.
func (s *Server) Interact(ctx context.Context, payload any) error {
	if err := s.Wait(ctx, s.Connected); err != nil {
		return fmt.Errorf("slackfake: no Socket Mode client: %w", err)
	}
	s.mu.Lock()
	conn := s.sock
	s.envelope++
	id := fmt.Sprintf("env-%d", s.envelope)
	acked := make(chan struct{})
	s.acks[id] = acked
	s.mu.Unlock()
	s.sockMu.Lock()
	err := conn.WriteJSON(map[string]any{"envelope_id": id, "type": "interactive", "payload": payload, "accepts_response_payload": false})
	s.sockMu.Unlock()
	if err != nil {
		return fmt.Errorf("slackfake: sending %s: %w", id, err)
	}
	select {
	case <-acked:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("slackfake: %s not acknowledged: %w", id, ctx.Err())
	}
}

// ButtonPress is a block_actions payload: user (of team) pressed the
// button actionID with value in blockID of the message ts in channelID.
func ButtonPress(user, team, channelID, ts, blockID, actionID, value string) map[string]any {
	return map[string]any{
		"type":    "block_actions",
		"user":    map[string]any{"id": user, "team_id": team},
		"team":    map[string]any{"id": team},
		"channel": map[string]any{"id": channelID},
		"message": map[string]any{"ts": ts},
		"actions": []map[string]any{{"block_id": blockID, "action_id": actionID, "value": value, "type": "button"}},
	}
}

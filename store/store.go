// Package store owns silencewatch's durable record: sources and their
// fetch state, articles and their versions with the hash and time of the
// bytes they came from, findings with their evidence, source events, and
// the alert outbox that makes delivery exactly-once, in a SQLite file or a
// PostgreSQL database. One concrete type, DB, with one file per concern
// (sources, articles, evidence, findings, delivery) and one set of
// queries for both databases (dialect.go holds what differs); consumers
// declare the small interfaces they need (see monitor.Record,
// notify.OutboxStore).
//
// Every time is an argument: the store never reads the clock.
package store

import (
	"errors"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrNotPending is returned when an alert that is already sent or failed
// is marked again: delivery outcomes are final.
var ErrNotPending = errors.New("store: alert not pending")

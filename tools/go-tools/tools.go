//go:build tools

// Package tools pins the Go programs the project builds from the module proxy
// (scripts/setup-go-tools.sh): go.mod and go.sum here are their lock.
package tools

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
	_ "github.com/stripe/stripe-mock"
)

package memory_test

import (
	"testing"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/memory"
	"github.com/consign-dev/consign/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memory.New() })
}

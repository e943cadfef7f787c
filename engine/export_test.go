package engine

// ConcurrentRuns returns how many executions the concurrent op scheduler has run.
func ConcurrentRuns() int64 { return concurrentRuns.Load() }

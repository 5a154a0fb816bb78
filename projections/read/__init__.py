"""The read side: indicator figures for any area, period and state of knowledge, record queries, snapshots, live counters, progress."""

"""The pure folds: one archived event, a person's events in real-world order, their episodes and rows, every state of knowledge. No I/O."""

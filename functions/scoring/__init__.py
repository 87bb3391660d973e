"""Lead scoring: the stream consumer, the marketer API, the re-score job, stage events."""

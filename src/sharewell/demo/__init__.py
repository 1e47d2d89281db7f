"""The synthetic borough: demo organisations, agreements and noisy benefit extracts."""

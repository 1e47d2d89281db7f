"""A citizen's own trail: every ledger entry about them, in plain English, with proof."""

"""Who the visitor is and what they may do."""

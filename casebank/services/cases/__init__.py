"""Case studies: submission, review, revisions."""

"""Case studies through their life: written, revised, discussed, reviewed and published."""

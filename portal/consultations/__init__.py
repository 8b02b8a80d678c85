"""Only what differs for this kind; pages and writes live in portal/content/."""

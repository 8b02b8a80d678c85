"""Backup and restore of the whole site (every table and every attachment file) as one zip file."""

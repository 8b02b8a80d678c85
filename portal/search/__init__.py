"""Full-text search: Dutch analysis, engines behind one seam, index on commit, the search service
(searching.py). All `import whoosh` stays inside this package. The blueprint is made in views.py."""

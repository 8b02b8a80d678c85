"""The transactional outbox: side effects (index updates, mail) written as rows in the same
transaction as the change that causes them, delivered after commit and by `flask outbox work`."""

"""FL0xx: what the engine itself reports (syntax, unreadable files, suppressions, crashes)."""

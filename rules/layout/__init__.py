"""FL3xx: repository layout (hosts, homes, module categories, stray files, overlays and packages in their places)."""

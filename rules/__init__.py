"""flakelint's rules, one file per rule, grouped by family (installed as flakelint.rules)."""

"""Performance scripts that print figures; run each from the repository root as a module
(``python -m bench.generations``), which also makes ``tests.fakes`` importable."""

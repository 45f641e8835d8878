"""The tests of higgsctl, a package so that the benches reach its fakes as ``tests.fakes``."""

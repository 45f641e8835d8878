"""A result that cannot be stored is the operator's problem (disk full, read-only, no
permission): said once, clearly, until storing works again, however many jobs hit it."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("higgsctl.generations")


class StorageAlarm:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._fault: int | None = None  # errno of the problem already reported

    def failed(self, generation_id: int, exc: OSError) -> None:
        fault = exc.errno or 0
        if fault == self._fault:
            log.debug("generation %s: still cannot store its result: %s", generation_id, exc)
            return
        self._fault = fault
        log.error("cannot store results in %s: %s (generation %s). Free disk space or fix the permissions; "
                  "finished images are kept upstream and retried, their credits stay held.",
                  self.root, exc.strerror or exc, generation_id)

    def works(self) -> None:
        if self._fault is not None:
            self._fault = None
            log.info("storing results works again")

"""What every run leans on: where tensors live (:mod:`.devices`) and the emulated GPU of ``make test-device``
(:mod:`.emulated_device`), torchrun helpers (:mod:`.distributed`), progress and ETA (:mod:`.eta`), stopping between
steps (:mod:`.stop`), and the measured results tinysr ships (:mod:`.shipped`). The names are in :mod:`tinysr`."""

__all__: list[str] = []

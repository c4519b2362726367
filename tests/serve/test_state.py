"""What the service holds: its detector is opened tuned for a service (encoder runs of 16, no spinning)."""

from __future__ import annotations

from pathlib import Path

from spoilerscan.runtime import Runtime
from spoilerscan.serve.settings import DEFAULT_ENCODER_BATCH, ServeSettings
from spoilerscan.serve.state import runtime_settings
from tests.model.test_adapter import adapter_for


def test_the_service_loads_its_detector_tuned_for_a_service(tiny_model_dir: Path) -> None:
    detector = Runtime.open(runtime_settings(ServeSettings(model=tiny_model_dir, precision="int8", threads=1))).detector
    assert detector.batch_size == DEFAULT_ENCODER_BATCH == 16
    assert detector.precision == "int8" and detector.path == tiny_model_dir
    options = detector.model.encoder.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.intra_op_num_threads == 1


def test_a_site_adapter_is_applied_and_its_thresholds_taken(tiny_model_dir: Path, tmp_path: Path) -> None:
    adapter_for(tiny_model_dir, threshold=0.42, fail_threshold=0.77).save(tmp_path / "site.json")
    settings = runtime_settings(ServeSettings(model=tiny_model_dir, adapter=tmp_path / "site.json", threads=1))
    detector = Runtime.open(settings).detector
    assert (detector.threshold, detector.fail_threshold) == (0.42, 0.77)

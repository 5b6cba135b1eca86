"""The tiny test model says what it is: the preview (src/core/preview/tinyModel.ts) reads this key."""
import json

from styletune_trainer.tiny import TINY_MARKER


def test_tiny_models_carry_the_marker_in_config_json(tiny_model, tiny_qwen):
    for model in (tiny_model, tiny_qwen):
        config = json.loads((model / "config.json").read_text(encoding="utf-8"))
        assert config[TINY_MARKER] is True, model


def test_the_marker_survives_loading_and_saving_again(tiny_model, tmp_path):
    # A merged or re-saved tiny model (merge, a job's output) is still the tiny model.
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(tiny_model)
    config.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))[TINY_MARKER] is True

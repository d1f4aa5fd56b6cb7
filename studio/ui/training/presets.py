"""Training presets: named changes to the trainer configuration (built in, plus the user's own saved in
QSettings)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSettings

from studio.engine.errors import StudioError
from studio.engine.jsonio import parse_json
from studio.engine.training import TrainConfig
from studio.engine.training.fields import ConfigError

BUILT_IN: dict[str, dict[str, Any]] = {
    "Quick check (1 epoch)": {"epochs": 1.0, "steps": None, "optimizer": {"name": "adam", "lr": 1e-3},
                              "schedule": {"name": "constant", "warmup_steps": 0}},
    "Adam, 10 epochs": {"epochs": 10.0, "steps": None, "optimizer": {"name": "adam", "lr": 1e-3},
                        "schedule": {"name": "constant", "warmup_steps": 0}},
    "SGD momentum + cosine": {"epochs": 20.0, "steps": None,
                              "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4},
                              "schedule": {"name": "cosine", "warmup_steps": 100, "min_lr": 0.0}},
    "AdamW + warm-up, cosine": {"epochs": 15.0, "steps": None,
                                "optimizer": {"name": "adamw", "lr": 2e-3, "weight_decay": 0.05},
                                "schedule": {"name": "cosine", "warmup_steps": 200}},
    "Fine-tune (low lr)": {"epochs": 5.0, "steps": None, "optimizer": {"name": "adam", "lr": 1e-4},
                           "schedule": {"name": "exponential", "decay_rate": 0.5, "decay_steps": 1000}},
}
SETTINGS_KEY = "training/presets"


def preset_of(config: TrainConfig) -> dict[str, Any]:
    """What a user preset keeps of ``config``: everything but the data folders."""
    data = config.to_dict()
    data.pop("data", None)
    return data


class PresetStore:
    """Built-in presets and the user's, the latter in QSettings as JSON."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings or QSettings()

    def user_presets(self) -> dict[str, dict[str, Any]]:
        try:
            value = parse_json(str(self.settings.value(SETTINGS_KEY, "{}")), "the saved presets")
        except StudioError:
            return {}
        return value if isinstance(value, dict) else {}

    def names(self) -> list[str]:
        return list(BUILT_IN) + [name for name in self.user_presets() if name not in BUILT_IN]

    def get(self, name: str) -> dict[str, Any]:
        return BUILT_IN.get(name) or self.user_presets()[name]

    def save(self, name: str, config: TrainConfig) -> None:
        if name in BUILT_IN:
            raise ConfigError(f"'{name}' is a built-in preset: choose another name")
        presets = self.user_presets()
        presets[name] = preset_of(config)
        self.settings.setValue(SETTINGS_KEY, json.dumps(presets))

    def delete(self, name: str) -> None:
        presets = self.user_presets()
        presets.pop(name, None)
        self.settings.setValue(SETTINGS_KEY, json.dumps(presets))

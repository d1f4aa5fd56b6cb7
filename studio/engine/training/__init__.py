"""Training: config, losses, optimizers and schedules, metrics, evaluator, trainer, distributed.

    from studio.engine.training import Trainer, TrainConfig
    result = Trainer(spec, TrainConfig.from_dict({...}), run_dir="runs/x", callbacks=print).run()
"""

from studio.engine.training.config import (
    CheckpointConfig,
    EarlyStoppingConfig,
    InitConfig,
    LossConfig,
    OptimizerConfig,
    ScheduleConfig,
    TrainConfig,
    load_config,
)
from studio.engine.training.events import (
    CheckpointEvent,
    DataReportEvent,
    EpochEvent,
    EvalEvent,
    Event,
    FailedEvent,
    FinishedEvent,
    ProgressEvent,
    StateEvent,
    StepEvent,
    WarningEvent,
)
from studio.engine.training.fields import ConfigError
from studio.engine.training.trainer import Trainer, TrainResult

__all__ = [
    "CheckpointConfig", "CheckpointEvent", "ConfigError", "DataReportEvent", "EarlyStoppingConfig",
    "EpochEvent", "EvalEvent", "Event", "FailedEvent", "FinishedEvent", "InitConfig", "LossConfig",
    "OptimizerConfig", "ProgressEvent", "ScheduleConfig", "StateEvent", "StepEvent", "TrainConfig",
    "TrainResult", "Trainer", "WarningEvent", "load_config",
]

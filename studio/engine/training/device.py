"""Device choice (CUDA when present, the GPU chosen by name), mixed precision and memory format."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from studio.engine.training.fields import ConfigError


@dataclass(frozen=True)
class DeviceSetup:
    """Where and how the model trains; ``description`` goes to the run log."""

    device: torch.device
    description: str
    amp_dtype: torch.dtype | None  # None: full precision
    channels_last: bool

    @property
    def needs_scaler(self) -> bool:
        return self.amp_dtype == torch.float16

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)


def choose_device(requested: str = "auto", local_rank: int = 0, amp: str = "auto",
                  channels_last: str = "auto") -> DeviceSetup:
    """``auto`` takes CUDA device ``local_rank`` when CUDA is present, else the CPU (with a notice)."""
    cuda = torch.cuda.is_available()
    if requested == "auto":
        device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    else:
        try:
            device = torch.device(requested)
        except RuntimeError:
            raise ConfigError(f"unknown device '{requested}' (use auto, cpu, cuda or cuda:N)") from None
        if device.type == "cuda":
            if not cuda:
                raise ConfigError(f"device '{requested}' asked for, but CUDA is not available here "
                                  "(use --device cpu)")
            index = device.index if device.index is not None else local_rank
            if index >= torch.cuda.device_count():
                raise ConfigError(f"there is no GPU {index}: this machine has {torch.cuda.device_count()}")
            device = torch.device("cuda", index)
        elif device.type != "cpu":
            raise ConfigError(f"device type '{device.type}' is not supported (use cpu or cuda)")
    on_cuda = device.type == "cuda"
    if on_cuda:
        torch.cuda.set_device(device)
        description = f"{device} ({torch.cuda.get_device_name(device)})"
    else:
        description = "cpu" + (" (no CUDA device found)" if requested == "auto" else "")
    use_amp = on_cuda if amp == "auto" else amp == "on"
    amp_dtype = None
    if use_amp:
        amp_dtype = (torch.bfloat16 if not on_cuda or torch.cuda.is_bf16_supported() else torch.float16)
    use_cl = on_cuda if channels_last == "auto" else channels_last == "on"
    if amp_dtype is not None:
        description += f", mixed precision {str(amp_dtype).replace('torch.', '')}"
    if use_cl:
        description += ", channels_last"
    return DeviceSetup(device, description, amp_dtype, use_cl)


def list_devices() -> list[tuple[str, str]]:
    """``(value, description)`` of the devices a run can use: auto, cpu and each CUDA GPU with its
    name and memory (what the GUI's device menu offers)."""
    devices = [("auto", "auto (GPU when present, else CPU)"), ("cpu", "CPU")]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            memory = props.total_memory / 2**30
            devices.append((f"cuda:{index}", f"cuda:{index}  {props.name} ({memory:.0f} GB)"))
    return devices

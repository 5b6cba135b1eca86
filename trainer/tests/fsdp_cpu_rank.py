"""A rank of the FSDP test on the CPU: `python fsdp_cpu_rank.py dpo --config job.json` under torch's launcher.

accelerate 1.15 sets up FSDP only beside an accelerator: AcceleratorState turns ACCELERATE_USE_FSDP into
DistributedType.FSDP only for GPU-like distributed types (MULTI_CPU is not among them), and it gives CPU rank
r the device `cpu:r`, which torch's FSDP refuses as a device_id ("Inconsistent compute device"). This entry
lifts exactly those two gates after accelerate has set itself up: the distributed type becomes FSDP and the
device plain `cpu`. Everything else is real: torch's FSDP1 wraps and shards the model over gloo, accelerate
prepares it, and the trainer runs unchanged (its `started` event says sharding fsdp)."""
import sys

import torch
from accelerate.state import AcceleratorState, PartialState
from accelerate.utils import DistributedType

_init = AcceleratorState.__init__


def _init_fsdp_on_cpu(self, *args, fsdp_plugin=None, **kwargs):
    _init(self, *args, fsdp_plugin=fsdp_plugin, **kwargs)
    if fsdp_plugin is not None and self.distributed_type == DistributedType.MULTI_CPU:
        for shared in (self._shared_state, PartialState._shared_state):
            shared["distributed_type"] = DistributedType.FSDP
            shared["device"] = torch.device("cpu")
        self.fsdp_plugin = fsdp_plugin


AcceleratorState.__init__ = _init_fsdp_on_cpu

if __name__ == "__main__":
    from styletune_trainer.__main__ import main

    sys.exit(main(sys.argv[1:]))

"""Writes the files that the READMEs' Python blocks produce, so the TS blocks that load them run
in the README test (scripts/readme-blocks.test.ts copies this folder into their working folder).

    /usr/bin/python3 scripts/readme-fixtures/generate.py

The Python blocks call `safetensors.torch.save_file`; this script writes the same format (an
8-byte little-endian header length, a JSON header of dtype/shape/data_offsets per tensor, then
the raw little-endian data) itself, so it needs PyTorch only.
"""
import json
import os
import struct

import torch


def save_file(state_dict, path):
    header, chunks, offset = {}, [], 0
    for name, tensor in state_dict.items():
        data = tensor.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))


here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
# packages/rnn/README.md, "PyTorch weights".
lstm = torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True, batch_first=True)
save_file(lstm.state_dict(), os.path.join(here, "lstm.safetensors"))
# packages/tensor/README.md, "Loading PyTorch weights".
model = torch.nn.Linear(4, 2)
save_file(model.state_dict(), os.path.join(here, "model.safetensors"))

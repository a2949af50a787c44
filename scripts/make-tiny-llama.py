#!/usr/bin/env python3
"""Writes a tiny llama GGUF model with random weights from a fixed seed (same seed -> same bytes).

Used by scripts/setup.sh for the llama.cpp replicas of the lab: v1 (seed 1) is the model the
topologies serve; v2 (seed 2) has other weights and is both the deployment target and the
"corrupt" model of the model.corrupt fault. The vocabulary is llama.cpp's SentencePiece llama
vocab (models/ggml-vocab-llama-spm.gguf); the chat template is a simple one written here.

usage: make-tiny-llama.py --llama-src DIR --out FILE --seed N [--layers 2] [--width 64]
"""
import argparse
import sys

CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}<<SYS>>{{ m['content'] }}<</SYS>>\n"
    "{% elif m['role'] == 'user' %}[INST] {{ m['content'] }} [/INST]"
    "{% else %} {{ m['content'] }}{% if not loop.last %}</s>{% endif %}{% endif %}"
    "{% endfor %}"
)

TOKENIZER_KEYS = [
    "tokenizer.ggml.model",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.scores",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.unknown_token_id",
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llama-src", required=True, help="the llama.cpp source tree (vendor/llama.cpp)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--context", type=int, default=2048)
    a = ap.parse_args()
    sys.path.insert(0, f"{a.llama_src}/gguf-py")
    import numpy as np
    import gguf
    from gguf.constants import GGUFValueType

    vocab = gguf.GGUFReader(f"{a.llama_src}/models/ggml-vocab-llama-spm.gguf")
    fields = {name: vocab.fields[name] for name in TOKENIZER_KEYS if name in vocab.fields}
    tokens = [bytes(fields["tokenizer.ggml.tokens"].parts[i]).decode("utf-8") for i in fields["tokenizer.ggml.tokens"].data]
    scores = [float(fields["tokenizer.ggml.scores"].parts[i][0]) for i in fields["tokenizer.ggml.scores"].data]
    types = [int(fields["tokenizer.ggml.token_type"].parts[i][0]) for i in fields["tokenizer.ggml.token_type"].data]
    n_vocab = len(tokens)

    w = gguf.GGUFWriter(a.out, "llama")
    w.add_name(f"halab-tiny-llama-seed{a.seed}")
    w.add_context_length(a.context)
    w.add_embedding_length(a.width)
    w.add_block_count(a.layers)
    w.add_feed_forward_length(a.width * 4)
    w.add_head_count(a.heads)
    w.add_head_count_kv(a.heads)
    w.add_rope_dimension_count(a.width // a.heads)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)

    rng = np.random.default_rng(a.seed)

    def t(name: str, *shape: int, scale: float = 0.2) -> None:
        w.add_tensor(name, (rng.standard_normal(shape) * scale).astype(np.float32))

    d, ff = a.width, a.width * 4
    t("token_embd.weight", n_vocab, d, scale=1.0)
    for i in range(a.layers):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(d, dtype=np.float32))
        t(f"blk.{i}.attn_q.weight", d, d)
        t(f"blk.{i}.attn_k.weight", d, d)
        t(f"blk.{i}.attn_v.weight", d, d)
        t(f"blk.{i}.attn_output.weight", d, d)
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(d, dtype=np.float32))
        t(f"blk.{i}.ffn_gate.weight", ff, d)
        t(f"blk.{i}.ffn_up.weight", ff, d)
        t(f"blk.{i}.ffn_down.weight", d, ff)
    w.add_tensor("output_norm.weight", np.ones(d, dtype=np.float32))
    t("output.weight", n_vocab, d, scale=1.0)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {a.out} (seed {a.seed}, {a.layers} layers, width {d}, vocab {n_vocab})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

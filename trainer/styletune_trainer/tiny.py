"""A tiny, randomly initialized chat model in Hugging Face layout, built offline in about a second.

    python -m styletune_trainer make-tiny-model /tmp/tiny                 # Llama 3 style
    python -m styletune_trainer make-tiny-model /tmp/tiny --arch qwen2    # Qwen2 / ChatML style

The architecture is the real one (LlamaForCausalLM / Qwen2ForCausalLM) with small dimensions. The
tokenizer is a real byte-level BPE, trained here on tiny_corpus.txt with the `tokenizers` library,
with the family's special tokens and chat template. The Llama flavour deliberately has a BOS that
both the template and the tokenizer add, so the pipeline's de-duplication of BOS is exercised.
"""
from __future__ import annotations

from pathlib import Path

LLAMA_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>"
    "{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
QWEN2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# config.json key marking a model made here (random weights); its value is true.
TINY_MARKER = "styletune_tiny_test_model"

FLAVOURS = {
    "llama": dict(
        specials=["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
                  "<|finetune_right_pad_id|>"],
        bos="<|begin_of_text|>", eos="<|eot_id|>", pad="<|finetune_right_pad_id|>", template=LLAMA_TEMPLATE,
    ),
    "qwen2": dict(
        specials=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        bos=None, eos="<|im_end|>", pad="<|endoftext|>", template=QWEN2_TEMPLATE,
    ),
}


def build_tokenizer(arch: str, vocab_size: int = 1024):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    f = FLAVOURS[arch]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=f["specials"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    corpus = (Path(__file__).parent / "tiny_corpus.txt").read_text(encoding="utf-8").splitlines()
    tok.train_from_iterator(corpus, trainer=trainer)
    if f["bos"]:
        bos_id = tok.token_to_id(f["bos"])
        tok.post_processor = processors.TemplateProcessing(
            single=f"{f['bos']} $A", pair=f"{f['bos']} $A {f['bos']} $B", special_tokens=[(f["bos"], bos_id)])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=f["bos"], eos_token=f["eos"], pad_token=f["pad"],
                                 model_max_length=2048)
    hf.chat_template = f["template"]
    return hf


def make_tiny_model(out_dir: str | Path, arch: str = "llama", seed: int = 0, hidden_size: int = 64,
                    num_layers: int = 2, vocab_size: int = 1024) -> Path:
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    if arch not in FLAVOURS:
        from .events import WorkerError

        raise WorkerError("config", f"unknown arch `{arch}`", f"Use one of: {', '.join(FLAVOURS)}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer(arch, vocab_size)
    dims = dict(vocab_size=len(tok), hidden_size=hidden_size, intermediate_size=hidden_size * 2,
                num_hidden_layers=num_layers, num_attention_heads=4, num_key_value_heads=2,
                max_position_embeddings=2048, tie_word_embeddings=False,
                bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    # Saved in config.json: what reads the model (the extension's preview) can tell that its replies are
    # random text, not a model's failure (src/core/preview/tinyModel.ts reads this key).
    dims[TINY_MARKER] = True
    torch.manual_seed(seed)
    if arch == "llama":
        model = LlamaForCausalLM(LlamaConfig(**dims))
    else:
        model = Qwen2ForCausalLM(Qwen2Config(**dims))
    # Random init uses std 0.02; scale the output layer up so sampled text is varied, not one token.
    with torch.no_grad():
        model.lm_head.weight.mul_(5.0)
    model.generation_config = GenerationConfig(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                               pad_token_id=tok.pad_token_id)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out

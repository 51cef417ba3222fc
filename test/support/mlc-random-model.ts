// Writes a random-weight MLC model folder that a prebuilt WebLLM model library (.wasm) loads and
// runs. An MLC-LLM library embeds its own metadata as JSON (model type, quantisation, context and
// prefill sizes, and every parameter's name, shape and dtype), which is all the weights folder
// needs to match: `mlc-chat-config.json`, the shard manifest (`tensor-cache.json`, read by web-llm
// 0.2.86, and the same file as `ndarray-cache.json`, read by 0.2.79), `params_shard_N.bin`, and
// the tokenizer files. The output is laid out as WebLLM fetches it (the folder given is the
// `.../resolve/main/` folder itself).
//
// Used by the real-runtime E2E test (test/e2e/webllm-runtime.test.ts) and the GPU benchmark
// (bench/webllm-gpu/). Random weights make the text meaningless, but the shapes, the kernels, the
// tokenizer and every byte WebLLM moves are those of the real model.
import { mkdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';

interface MlcParam {
  name: string;
  shape: number[];
  dtype: string;
}

/** The metadata an MLC-LLM model library carries (the fields this generator reads). */
interface MlcLibraryMetadata {
  model_type: string;
  quantization: string;
  context_window_size: number;
  prefill_chunk_size: number;
  sliding_window_size: number;
  attention_sink_size: number;
  kv_cache?: { num_hidden_layers: number; num_attention_heads: number; num_key_value_heads: number; head_dim: number };
  params: MlcParam[];
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, uint32: 4, int32: 4, float16: 2, uint8: 1, int8: 1 };

/** The JSON object starting at `start` (braces inside strings are skipped). */
function jsonObjectAt(text: string, start: number): string {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error('unterminated metadata JSON in the model library');
}

/** Reads the metadata JSON an MLC-LLM model library embeds (`{"model_type": …, "params": […]}`). */
function readLibraryMetadata(wasm: Uint8Array): MlcLibraryMetadata {
  const text = Buffer.from(wasm.buffer, wasm.byteOffset, wasm.byteLength).toString('latin1');
  const start = text.indexOf('{"model_type"');
  if (start < 0) throw new Error('no {"model_type" metadata in the model library');
  const meta = JSON.parse(jsonObjectAt(text, start)) as MlcLibraryMetadata;
  if (!Array.isArray(meta.params) || meta.params.length === 0) throw new Error('the model library lists no parameters');
  for (const p of meta.params) {
    if (!(p.dtype in DTYPE_BYTES)) throw new Error(`parameter ${p.name} has an unsupported dtype ${p.dtype}`);
  }
  return meta;
}

function paramBytes(p: MlcParam): number {
  return p.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[p.dtype];
}

/** xorshift32: fast, seedable, good enough for weights nobody reads. */
function prng(seed: number): (out: Uint32Array) => void {
  let x = seed >>> 0 || 0x9e3779b9;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x >>> 0;
    }
  };
}

/**
 * Fills one tensor. Packed 4-bit weights get uniform random nibbles (MLC dequantises them as
 * (q - 7) × scale), scales a small positive range, norms 1 and biases small values, so
 * activations stay finite through every layer and the sampled tokens vary.
 */
function fillTensor(p: MlcParam, bytes: Uint8Array, random: (out: Uint32Array) => void): void {
  if (p.dtype === 'uint32' || p.dtype === 'int32') {
    random(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    return;
  }
  if (p.dtype !== 'float32') return; // other dtypes stay zero (none in the q4f32 libraries)
  const f = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (/norm/.test(p.name)) {
    f.fill(1);
    return;
  }
  const [lo, hi] = /q_scale$/.test(p.name) ? [0.005, 0.015] : /bias$/.test(p.name) ? [-0.05, 0.05] : [-0.05, 0.05];
  const u = new Uint32Array(f.length);
  random(u);
  for (let i = 0; i < f.length; i++) f[i] = lo + (hi - lo) * (u[i] / 2 ** 32);
}

/**
 * A conversation template with no markup at all: no system block, empty role names and separators,
 * so a message is its own text and "Hi" is a one-token prompt. web-llm 0.2.79 runs a one-token
 * input through the model's decode function, not its prefill function (`embedAndForward`), and on
 * SwiftShader that decides what a request costs: the prefill function took 49 s for a 9-token
 * prompt and 95 s for 37 tokens, a decode step takes ~14 s. The three generate calls of the
 * real-runtime test each start with a one-token input (a fresh "Hi", or the new "Go" after a
 * reused KV cache): ~29 s a call instead of ~65 (measured before Dawn's workgroup zero-init was
 * turned off for that test too; ~26-29 s since). What the test checks is the
 * project's engine (streaming, stop filter, usage, abort, KV reuse), which a template does not
 * touch; the ChatML markup MLC-LLM writes for qwen2 (`<|im_start|>user\n…<|im_end|>\n`) would only
 * add tokens. web-llm needs one separator, so it is the empty string.
 */
const PLAIN_CONV_TEMPLATE = {
  name: 'plain',
  system_template: '',
  system_message: '',
  system_prefix_token_ids: null,
  add_role_after_system_message: true,
  roles: { user: '', assistant: '' },
  role_templates: { user: '{user_message}', assistant: '{assistant_message}', tool: '{tool_message}' },
  messages: [],
  seps: [''],
  role_content_sep: '',
  role_empty_sep: '',
  stop_str: ['<|endoftext|>', '<|im_end|>'],
  stop_token_ids: [151643, 151645],
  function_string: '',
  use_function_calling: false,
};

export interface RandomModelOptions {
  /** Path of the model library (.wasm) whose metadata the folder must match. */
  library: string;
  /** Folder holding `tokenizer.json` (and `tokenizer_config.json`). */
  tokenizerDir: string;
  /** The `.../resolve/main/` folder to write (created). */
  outDir: string;
  seed?: number;
  /** Shard size (default 32 MiB, as MLC-LLM writes). */
  shardBytes?: number;
}

export interface RandomModel {
  metadata: MlcLibraryMetadata;
  /** Bytes of all shards (what WebLLM reports as the download). */
  paramBytes: number;
  shards: number;
  /** Every file written, relative to outDir. */
  files: string[];
}

/** Writes the folder. About 2 s for Qwen2-0.5B (295 MiB). */
export async function writeRandomMlcModel(opts: RandomModelOptions): Promise<RandomModel> {
  const metadata = readLibraryMetadata(await readFile(opts.library));
  if (metadata.model_type !== 'qwen2') throw new Error(`only qwen2 libraries are supported (this one is ${metadata.model_type})`);
  const shardBytes = opts.shardBytes ?? 32 * 2 ** 20;
  const random = prng(opts.seed ?? 1234);
  await mkdir(opts.outDir, { recursive: true });

  // Group parameters into shards in library order, as MLC-LLM does.
  const groups: MlcParam[][] = [];
  let size = Infinity;
  for (const p of metadata.params) {
    if (size + paramBytes(p) > shardBytes) {
      groups.push([]);
      size = 0;
    }
    groups.at(-1)!.push(p);
    size += paramBytes(p);
  }
  const files: string[] = [];
  const records = [];
  let total = 0;
  for (const [i, group] of groups.entries()) {
    const nbytes = group.reduce((a, p) => a + paramBytes(p), 0);
    const data = new Uint8Array(nbytes);
    let offset = 0;
    const entries = [];
    for (const p of group) {
      const n = paramBytes(p);
      fillTensor(p, data.subarray(offset, offset + n), random);
      entries.push({ name: p.name, shape: p.shape, dtype: p.dtype, format: 'raw', nbytes: n, byteOffset: offset });
      offset += n;
    }
    const dataPath = `params_shard_${i}.bin`;
    await writeFile(join(opts.outDir, dataPath), data);
    files.push(dataPath);
    records.push({ dataPath, format: 'raw-shape-dtype', nbytes, records: entries });
    total += nbytes;
  }
  const elements = metadata.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  const manifest = JSON.stringify({ metadata: { ParamSize: metadata.params.length, ParamBytes: total, BitsPerParam: (total * 8) / elements }, records });
  for (const name of ['tensor-cache.json', 'ndarray-cache.json']) {
    await writeFile(join(opts.outDir, name), manifest);
    files.push(name);
  }

  const tokenizerFiles = ['tokenizer.json', 'tokenizer_config.json'];
  for (const f of tokenizerFiles) {
    await copyFile(join(opts.tokenizerDir, f), join(opts.outDir, f));
    files.push(f);
  }
  const embed = metadata.params.find((p) => /^model\.embed_tokens\.(q_)?weight$/.test(p.name));
  const norm = metadata.params.find((p) => p.name === 'model.norm.weight');
  const kv = metadata.kv_cache;
  const config = {
    version: '0.1.0',
    model_type: metadata.model_type,
    quantization: metadata.quantization,
    model_config: {
      hidden_size: norm?.shape[0],
      num_hidden_layers: kv?.num_hidden_layers,
      num_attention_heads: kv?.num_attention_heads,
      num_key_value_heads: kv?.num_key_value_heads,
      head_dim: kv?.head_dim,
      vocab_size: embed?.shape[0],
      context_window_size: metadata.context_window_size,
      prefill_chunk_size: metadata.prefill_chunk_size,
    },
    vocab_size: embed?.shape[0],
    context_window_size: metadata.context_window_size,
    sliding_window_size: metadata.sliding_window_size,
    prefill_chunk_size: metadata.prefill_chunk_size,
    attention_sink_size: metadata.attention_sink_size,
    tensor_parallel_shards: 1,
    temperature: 0.7,
    presence_penalty: 0,
    frequency_penalty: 0,
    repetition_penalty: 1,
    top_p: 0.8,
    tokenizer_files: tokenizerFiles,
    tokenizer_info: { token_postproc_method: 'byte_level', prepend_space_in_encode: false, strip_space_in_decode: false },
    conv_template: PLAIN_CONV_TEMPLATE,
    pad_token_id: 151643,
    bos_token_id: 151643,
    eos_token_id: [151645, 151643],
  };
  await writeFile(join(opts.outDir, 'mlc-chat-config.json'), JSON.stringify(config, null, 2));
  files.push('mlc-chat-config.json');
  return { metadata, paramBytes: total, shards: groups.length, files };
}

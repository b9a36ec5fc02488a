import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';

/**
 * A copy of stories260K rewired so that it answers every prompt with the Llama 2 template's call
 * trigger, `||call:`. stories260K never writes that trigger by itself, so without this model no test
 * could show the llama.cpp engine taking up a call the model chose to make (`tool_choice: auto`).
 *
 * How: every block's attention and feed-forward outputs are zeroed, so the last hidden state is the
 * current token's embedding and the model becomes a bigram table that we write by hand:
 *   any other token → `||` → `c` → `all` → `:` → end of sequence.
 * `||` is not a piece of the vocabulary (the byte `|` is, and a bigram cannot say "`|` then `|` then
 * `c`"), so one two-byte piece, `om`, is renamed `||` in place. Every other next-token score is
 * equal, so where a grammar forbids the scripted token (inside a call's arguments) sampling is
 * uniform over what the grammar allows and the arguments still come out valid.
 *
 * The weights are still decoded by llama.cpp through node-llama-cpp: the engine, its templates, stop
 * triggers and grammars are the real ones; only the model's choices are scripted.
 */
export async function writeToolCallingModel(sourcePath: string, dir: string): Promise<string> {
  const info = await readGgufFileInfo(sourcePath, { readTensorInfo: true });
  const tokens = (info.metadata as unknown as { tokenizer: { ggml: { tokens: string[]; eos_token_id: number } } }).tokenizer.ggml;
  const bytes = readFileSync(sourcePath);
  const tensors = new Map((info.fullTensorInfo ?? info.tensorInfo ?? []).map((tensor) => [tensor.name, tensor]));
  const offsetOf = (tensor: { fileOffset: number | bigint }) => Number(tensor.fileOffset);
  const dataStart = Math.min(...[...tensors.values()].map(offsetOf));

  // Rename the piece `om` to `||`: a GGUF string is a little-endian u64 length, then its bytes.
  const renamed = 'om';
  const pattern = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(renamed)]);
  const at = bytes.indexOf(pattern);
  const again = bytes.indexOf(pattern, at + 1);
  if (at < 0 || at >= dataStart || (again >= 0 && again < dataStart)) throw new Error(`expected one '${renamed}' piece in the vocabulary`);
  bytes.write('||', at + 8, 'latin1');

  const id = (piece: string) => {
    const index = tokens.tokens.indexOf(piece);
    if (index < 0) throw new Error(`no '${piece}' piece in the vocabulary`);
    return index;
  };
  const pipes = id(renamed);
  const chain = [pipes, id('c'), id('all'), id(':'), tokens.eos_token_id];

  const f32 = (name: string) => {
    const tensor = tensors.get(name);
    if (!tensor || tensor.ggmlType !== 0) throw new Error(`${name}: expected an F32 tensor`);
    const count = tensor.dimensions.reduce<number>((product, size) => product * Number(size), 1);
    return { view: new Float32Array(bytes.buffer, bytes.byteOffset + offsetOf(tensor), count), width: Number(tensor.dimensions[0]) };
  };
  for (const [name] of tensors) if (/^blk\.\d+\.(attn_output|ffn_down)\.weight$/.test(name)) f32(name).view.fill(0);

  // Source token → direction k of the hidden state; output row of its successor reads direction k.
  const embeddings = f32('token_embd.weight');
  const width = embeddings.width;
  embeddings.view.fill(0);
  const directionOf = (token: number) => {
    const position = chain.indexOf(token);
    // `</s>` never precedes anything scripted; every token outside the chain leads to `||`.
    return position >= 0 && position < chain.length - 1 ? position + 1 : 0;
  };
  for (let token = 0; token < tokens.tokens.length; token++) embeddings.view[token * width + directionOf(token)] = 1;
  f32('output_norm.weight').view.fill(1);
  const output = f32('output.weight');
  output.view.fill(0);
  // After RMS norm a one-hot hidden state is 8 in its direction (√64): a score of 80 against 0.
  output.view[chain[0]! * width + 0] = 10;
  for (let step = 1; step < chain.length; step++) output.view[chain[step]! * width + step] = 10;

  const path = join(dir, 'tool-caller.gguf');
  writeFileSync(path, bytes);
  return path;
}

import { resolveModelFile } from 'node-llama-cpp';
import { findModelFile, modelFileCandidates } from '@spool/shared';

/** Hugging Face, where `hf:` URIs resolve. */
const HUB = 'https://huggingface.co';

/** Whether the host answers within a few seconds: an offline machine fails fast instead of hanging. */
async function reachable(url: string, timeoutMs = 5000): Promise<boolean> {
  return fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) }).then(
    () => true,
    () => false,
  );
}

/** The file name an `hf:` URI or URL points at. */
const fileNameOf = (uri: string) => uri.split(/[/:]/).at(-1) ?? uri;

/**
 * The local path of a model file: the first hit along the search path. A file on none of them is
 * downloaded once into the first search directory from `download` (or from `source` when that is an
 * `hf:` URI) — this needs a network; offline, one error names every path tried and why the
 * download failed.
 */
export async function locateModelFile(source: string, searchPath: string, download?: string): Promise<string> {
  const uri = source.startsWith('hf:') ? source : download;
  const fileName = source.startsWith('hf:') ? fileNameOf(source) : source;
  const found = findModelFile(fileName, searchPath);
  if (found) return found;
  const tried = modelFileCandidates(fileName, searchPath).join(', ');
  if (!uri) throw new Error(`Model file '${fileName}' not found; tried: ${tried}`);
  const directory = searchPath.split(':').find(Boolean) ?? './models';
  const host = uri.startsWith('hf:') ? HUB : new URL(uri).origin;
  if (!(await reachable(host))) {
    throw new Error(`Model file '${fileName}' not found; tried: ${tried}; cannot download ${uri}: ${host} does not answer (offline?)`);
  }
  try {
    return await resolveModelFile(uri, { directory, cli: false });
  } catch (error) {
    throw new Error(`Model file '${fileName}' not found; tried: ${tried}; downloading ${uri} into ${directory} failed: ${(error as Error).message}`);
  }
}

import { resolveModelFile } from 'node-llama-cpp';
import { findModelFile, modelFileCandidates } from '@spool/shared';

/**
 * The local path of a model: the first hit along the search path; an `hf:` URI is downloaded once
 * into the first search directory (this needs a network); anything else fails naming the paths tried.
 */
export async function locateModelFile(source: string, searchPath: string): Promise<string> {
  if (source.startsWith('hf:')) {
    const directory = searchPath.split(':').find(Boolean) ?? './models';
    return resolveModelFile(source, { directory, cli: false });
  }
  const found = findModelFile(source, searchPath);
  if (found) return found;
  throw new Error(`Model file '${source}' not found; tried: ${modelFileCandidates(source, searchPath).join(', ')}`);
}

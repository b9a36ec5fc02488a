import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { InvalidRequestError } from '@spool/shared';
import type { FilePurpose, FileStore, StoredFile } from './file-store.js';

const PURPOSES: FilePurpose[] = ['batch'];

/**
 * Reads a multipart upload (`file` and `purpose`, in either order) and streams the file part
 * straight to disk. A failed upload leaves no file behind; the rest of the request body is drained
 * so the client reads the error instead of a reset connection.
 */
export async function receiveUpload(req: Request, store: FileStore, owner: string): Promise<StoredFile> {
  if (!req.is('multipart/form-data')) {
    throw new InvalidRequestError("Uploads must be sent as multipart/form-data with the fields 'file' and 'purpose'.", null, 'invalid_content_type');
  }
  const fields: Record<string, string> = {};
  let saved: Promise<StoredFile> | undefined;
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fields: 10, fieldSize: 64 * 1024 } });
  } catch {
    throw new InvalidRequestError('The multipart body could not be read.', null, 'invalid_multipart');
  }
  const parsed = new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (name, stream: Readable, info) => {
      if (name !== 'file' || saved) {
        stream.resume();
        return;
      }
      saved = store.save(owner, info.filename || 'upload.jsonl', 'batch', stream);
      // A limit hit mid-file ends the parse at once: the rest of the body is drained, not parsed.
      saved.catch(reject);
    });
    parser.on('close', resolve);
    parser.on('error', () => reject(new InvalidRequestError('The multipart body could not be read.', null, 'invalid_multipart')));
  });
  req.pipe(parser);
  try {
    await parsed;
    if (!saved) throw new InvalidRequestError("Missing the 'file' part of the upload.", 'file', 'missing_file');
    const file = await saved;
    if (!PURPOSES.includes(fields.purpose as FilePurpose)) {
      await store.remove(file.id, owner);
      throw new InvalidRequestError(`Invalid purpose '${fields.purpose ?? ''}': Spool stores files for purpose 'batch'.`, 'purpose', 'invalid_purpose');
    }
    return file;
  } catch (error) {
    req.unpipe(parser);
    req.resume();
    await saved?.catch(() => undefined);
    throw error;
  }
}

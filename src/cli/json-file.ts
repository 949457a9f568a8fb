import { readFile } from 'node:fs/promises';
import { BadRequestError } from '../platform/errors.js';

/** Reads and parses a JSON file; a missing or malformed file is bad input (exit 2), said in one line. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new BadRequestError(
      `cannot read ${file}: ${missing ? 'no such file' : (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BadRequestError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

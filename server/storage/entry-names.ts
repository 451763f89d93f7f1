/**
 * Which ZIP entry names are safe to write, and the path each names: the one judgement
 * shared by the whole unpack (unpack.ts) and the unpack ahead of an upload in pieces
 * (unpack-ahead.ts).
 */
import { PATH_MAX } from './unpack-errors.js';

/** Longest path component Linux accepts, in bytes. */
const NAME_MAX = 255;

/** Why an entry name is unsafe, or null when it is fine. */
export function unsafeReason(name: string): string | null {
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'NUL byte in name';
  if (name.includes('\\')) return 'backslash in path';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'drive letter';
  const parts = name.split('/');
  if (parts.some((part) => part === '..')) return '".." in path';
  if (Buffer.byteLength(name) > PATH_MAX) return `name longer than ${PATH_MAX} bytes`;
  if (parts.some((part) => Buffer.byteLength(part) > NAME_MAX)) return `path component longer than ${NAME_MAX} bytes`;
  return null;
}

/** The path an entry names, without "." and empty segments ("./a//b" is "a/b"). */
export function normalize(name: string): string {
  return name
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

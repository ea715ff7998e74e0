import { randomMediaId } from '../random-ids.js';

/** Temporary media live 3 days (docs/wechat-protocol.md §8). */
const MEDIA_TTL_MS = 3 * 24 * 3600_000;

export const MEDIA_TYPES = ['image', 'voice', 'video', 'thumb'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/**
 * Upload limits per type (docs/wechat-protocol.md §8). The reference disagrees on images (10 MB in the list, 2 MB in a
 * note, Appendix A); the simulator takes the documented list, so a client's own 2 MB cap is its call.
 */
export const MEDIA_MAX_BYTES = {
  image: 10 * 1024 * 1024,
  voice: 2 * 1024 * 1024,
  video: 10 * 1024 * 1024,
  thumb: 64 * 1024,
} as const satisfies Record<MediaType, number>;

/** Media for the simulator to serve from `media/get`, as if a user had sent it or it was uploaded. */
export interface MediaInput {
  readonly type: MediaType;
  readonly bytes: Uint8Array;
  /** Default: by type (`image/jpeg`, `audio/amr`, `video/mp4`, `image/jpeg`). */
  readonly contentType?: string;
  /** Default: a new random id. */
  readonly mediaId?: string;
}

interface StoredMedia {
  readonly mediaId: string;
  readonly type: MediaType;
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly createdAtMs: number;
}

interface MediaStore {
  add(input: MediaInput, nowMs: number): StoredMedia;
  /** The media while it lives (3 days), else undefined. */
  get(mediaId: string, nowMs: number): StoredMedia | undefined;
  clear(): void;
}

const DEFAULT_CONTENT_TYPES = {
  image: 'image/jpeg',
  voice: 'audio/amr',
  video: 'video/mp4',
  thumb: 'image/jpeg',
} as const satisfies Record<MediaType, string>;

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'audio/amr': 'amr',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/speex': 'speex',
  'video/mp4': 'mp4',
};

/** Whether `type=` names a temporary media type (docs/wechat-protocol.md §8). */
export function isMediaType(value: string): value is MediaType {
  return (MEDIA_TYPES as readonly string[]).includes(value);
}

/** The file extension `media/get` puts in Content-Disposition (`MEDIA_ID.jpg`, docs/wechat-protocol.md §8). */
export function extensionOf(contentType: string): string {
  return EXTENSIONS[contentType.split(';', 1)[0]?.trim().toLowerCase() ?? ''] ?? 'bin';
}

/** Temporary media by id, each living 3 days from its upload (docs/wechat-protocol.md §8). */
export function createMediaStore(): MediaStore {
  const media = new Map<string, StoredMedia>();
  return {
    add(input, nowMs) {
      const stored: StoredMedia = {
        mediaId: input.mediaId ?? randomMediaId(),
        type: input.type,
        bytes: Buffer.from(input.bytes),
        contentType: input.contentType ?? DEFAULT_CONTENT_TYPES[input.type],
        createdAtMs: nowMs,
      };
      media.set(stored.mediaId, stored);
      return stored;
    },
    get(mediaId, nowMs) {
      const stored = media.get(mediaId);
      return stored !== undefined && nowMs < stored.createdAtMs + MEDIA_TTL_MS ? stored : undefined;
    },
    clear() {
      media.clear();
    },
  };
}

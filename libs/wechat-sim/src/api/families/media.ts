// The temporary-media family (docs/wechat-protocol.md §8): `media/get`, `media/upload`, and the
// simulator-only download the `video_url` of `media/get` points at.
import type { Reply } from '../http-io.js';
import { MEDIA_MAX_BYTES, type MediaInput, createMediaStore, extensionOf, isMediaType } from '../media-store.js';
import { parseMultipart } from '../multipart.js';
import { type CheckToken, type Family, apiEndpoint, fail, ok, simGetEndpoint, tokenGet, withToken } from '../routes.js';

/** The largest upload (video, 10 MB, docs/wechat-protocol.md §8) plus room for the multipart framing. */
const MAX_UPLOAD_BODY_BYTES = 10 * 1024 * 1024 + 64 * 1024;
/**
 * The path `media/get` points video downloads at (docs/wechat-protocol.md §8: `{"video_url": ...}`);
 * simulator-only, no token, like a CDN link.
 */
const VIDEO_DOWNLOAD_PATH = '/sim/video/';

interface MediaFamily extends Family {
  /** Media `media/get` serves, as a user's upload would be; returns its media_id. */
  readonly add: (media: MediaInput) => string;
  /** Whether the media id is known and unexpired at `nowMs`. */
  readonly has: (mediaId: string, nowMs: number) => boolean;
}

export function createMediaFamily(options: {
  readonly checkToken: CheckToken;
  readonly now: () => number;
}): MediaFamily {
  const { checkToken } = options;
  const media = createMediaStore();

  return {
    endpoints: {
      '/cgi-bin/media/get': tokenGet(checkToken, (appId, request) => {
        const mediaId = request.query.get('media_id');
        const stored = mediaId === null ? undefined : media.get(mediaId, request.nowMs);
        if (stored === undefined) return fail(40007, appId);
        // Video comes as a download URL, not as bytes (docs/wechat-protocol.md §8).
        if (stored.type === 'video') {
          return ok(
            { video_url: `${request.baseUrl}${VIDEO_DOWNLOAD_PATH}${encodeURIComponent(stored.mediaId)}` },
            appId,
          );
        }
        return { reply: fileReply(stored.mediaId, stored.contentType, stored.bytes), appId };
      }),
      '/cgi-bin/media/upload': apiEndpoint(
        'POST',
        async (request) => {
          // Parsed first (it never throws); the token and the type are still checked before its result is used.
          const parts = await parseMultipart(request.contentType, request.body);
          return withToken(checkToken, request, (appId) => {
            const type = request.query.get('type') ?? '';
            if (!isMediaType(type)) return fail(40004, appId);
            const part = parts?.find((p) => p.name === 'media');
            if (part === undefined || part.data.length === 0) return fail(41005, appId);
            if (part.data.length > MEDIA_MAX_BYTES[type]) return fail(40006, appId);
            // text/plain is what a part without a Content-Type gets (RFC 7578 §4.4), and no media
            // type is text: the type's default applies then.
            const stored = media.add(
              {
                type,
                bytes: part.data,
                ...(part.contentType === 'text/plain' ? {} : { contentType: part.contentType }),
              },
              request.nowMs,
            );
            // A thumb's id comes back as thumb_media_id (docs/wechat-protocol.md §8).
            const idField = type === 'thumb' ? 'thumb_media_id' : 'media_id';
            return ok({ type, [idField]: stored.mediaId, created_at: Math.floor(stored.createdAtMs / 1000) }, appId);
          });
        },
        MAX_UPLOAD_BODY_BYTES,
      ),
      [VIDEO_DOWNLOAD_PATH]: simGetEndpoint((request) => {
        const stored = media.get(safeDecode(request.path.slice(VIDEO_DOWNLOAD_PATH.length)), request.nowMs);
        const reply: Reply =
          stored?.type === 'video'
            ? fileReply(stored.mediaId, stored.contentType, stored.bytes)
            : { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found', errcode: null };
        return { reply, appId: null };
      }),
    },
    add: (input) => media.add(input, options.now()).mediaId,
    has: (mediaId, nowMs) => media.get(mediaId, nowMs) !== undefined,
    reset() {
      media.clear();
    },
  };
}

function fileReply(mediaId: string, contentType: string, bytes: Buffer): Reply {
  return {
    status: 200,
    headers: {
      'content-type': contentType,
      'content-disposition': `attachment; filename="${mediaId}.${extensionOf(contentType)}"`,
    },
    body: bytes,
    errcode: 0,
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

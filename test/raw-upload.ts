import http from 'node:http';

/** Sends an upload over a real socket, stopping as soon as the server answers. */
export function rawUpload(
  base: string,
  token: string,
  options: { declaredLength?: number; send: number; path?: string },
): Promise<{ status: number; written: number }> {
  return new Promise((resolve, reject) => {
    const url = new URL(options.path ?? '/api/v1/artifacts?filename=big.bin&publisher=Acme', base);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/octet-stream',
    };
    if (options.declaredLength !== undefined)
      headers['content-length'] = String(options.declaredLength);
    const request = http.request(url, { method: 'POST', headers });
    let written = 0;
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      response.resume();
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, written });
      });
    });
    request.on('error', (error) => (answered ? undefined : reject(error)));
    const chunk = Buffer.alloc(64 * 1024, 7);
    const pump = () => {
      while (!answered && written < options.send) {
        written += chunk.length;
        if (!request.write(chunk)) {
          request.once('drain', pump);
          return;
        }
      }
      if (!answered && options.declaredLength === undefined) request.end();
    };
    if (options.send === 0) request.flushHeaders();
    else pump();
  });
}

/**
 * Under jest, fetch's AbortError is a DOMException from Node's own realm, which fails the SDKs'
 * `instanceof Error` check inside jest's sandbox and loses its name, so a timeout surfaces as a
 * plain APIConnectionError. Re-raising it as a sandbox Error restores what the SDKs report
 * outside jest; the SDKs' own timeout and abort handling is still what runs.
 */
export const sandboxFetch: typeof fetch = async (input, init) => {
  try {
    return await fetch(input, init);
  } catch (err) {
    if (err instanceof Error) throw err;
    // Its cause too (the socket's error, whose code says whether a connection was ever made).
    const { name, message, cause } = err as { name?: string; message?: string; cause?: unknown };
    throw Object.assign(new Error(message), { name: name ?? 'Error', ...(cause !== undefined && { cause }) });
  }
};

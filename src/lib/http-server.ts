import http from 'node:http';
import type { Express } from 'express';

/**
 * The HTTP server for the app, whose requests and responses are created with the app's own
 * prototypes (`app.request`, `app.response`) instead of being given them afterwards.
 *
 * Why: Express hands every request its prototypes with `Object.setPrototypeOf(req, app.request)`
 * (and the same for `res`). In V8 an object whose prototype was changed leaves the shared
 * hidden classes ("maps"): each property a middleware adds afterwards (`req.cookies`,
 * `req.user`, `res.locals`…) makes a map used by this one request only. Every property read
 * or write on `req` and `res`, in Node's HTTP code, in Express and in every middleware, then
 * misses V8's inline caches and takes the slow lookup. Born with the right prototype, the
 * objects share their maps from one request to the next, and Express's call changes nothing
 * (setting the prototype an object already has is a no-op).
 *
 * Node lets a server name the classes it instantiates; `IncomingMessage` and `ServerResponse`
 * are plain constructor functions (not `class`es), so a constructor whose `prototype` is the
 * app's can call them on `this`. Where they are not (a future Node), this falls back to
 * Node's own classes: Express then sets the prototypes as usual, only slower.
 */
export function createHttpServer(app: Express): http.Server {
  if (!isPlainFunction(http.IncomingMessage) || !isPlainFunction(http.ServerResponse)) return http.createServer(app);

  function AppRequest(this: http.IncomingMessage, ...args: unknown[]): void {
    Reflect.apply(http.IncomingMessage, this, args);
  }
  AppRequest.prototype = app.request;

  function AppResponse(this: http.ServerResponse, ...args: unknown[]): void {
    Reflect.apply(http.ServerResponse, this, args);
  }
  AppResponse.prototype = app.response;

  return http.createServer({
    IncomingMessage: AppRequest as unknown as typeof http.IncomingMessage,
    ServerResponse: AppResponse as unknown as typeof http.ServerResponse,
  }, app);
}

/** A constructor callable on an existing `this` (a `class` constructor throws when called). */
function isPlainFunction(constructor: unknown): boolean {
  return typeof constructor === 'function' && !Function.prototype.toString.call(constructor).startsWith('class');
}

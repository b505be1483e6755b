/**
 * The viewer's routes on the local server: the page and its script, the scene's facts, frames and
 * the top-down map for a pose, and — when a person answers the loop's questions in the browser — the
 * routes of the human-web model (loop/models/human-web.ts).
 */
import { VantageError } from '../../core/errors.js';
import { startViewerServer, type Handler, type ViewerServer } from './server.js';
import { APP_CSS, APP_JS, PAGE_HEADERS, pageHtml } from './page.js';
import { livePose, type LiveView } from './live.js';

export interface ViewerAppOptions {
  title: string;
  /** the scene to look at (absent until a human-web question begins) */
  view?: LiveView;
  /** extra routes (the human-web model's) */
  routes?: Record<string, Handler>;
  /** files under /files/ come from here only (a trace folder) */
  fileRoot?: string;
  host?: string;
  port?: number;
}

export interface ViewerApp {
  server: ViewerServer;
  url: string;
  /** change the scene shown (a new question); the page reloads its facts when sceneVersion changes */
  setView(view: LiveView | undefined): void;
  sceneVersion(): number;
  close(): Promise<void>;
}

const json = (body: unknown) => ({ type: 'application/json', body: JSON.stringify(body) });

export async function startViewerApp(o: ViewerAppOptions): Promise<ViewerApp> {
  let view = o.view;
  let version = view ? 1 : 0;
  const need = (): LiveView => {
    if (!view) throw new VantageError('no-scene', 'no scene to show yet');
    return view;
  };
  let token = '';
  const routes: Record<string, Handler> = {
    '/': () => ({ type: 'text/html; charset=utf-8', body: pageHtml(token, o.title), headers: PAGE_HEADERS }),
    '/app.js': () => ({ type: 'text/javascript; charset=utf-8', body: APP_JS }),
    '/app.css': () => ({ type: 'text/css; charset=utf-8', body: APP_CSS }),
    '/api/scene': () =>
      json({
        title: o.title,
        hasScene: !!view,
        human: !!o.routes,
        sceneVersion: version,
        ...(view ? view.info() : {}),
      }),
    '/api/frame': async ({ query }) => {
      const f = await need().frame(livePose(query.get('pose')), query.get('draft') === '1');
      return {
        type: 'image/jpeg',
        body: f.jpeg,
        headers: {
          'X-Vantage-Pose': JSON.stringify(f.pose),
          // header values are Latin-1: the caption (° signs) travels URI-encoded
          'X-Vantage-Caption': encodeURIComponent(f.caption),
          'X-Vantage-Coverage': f.coverage.toFixed(4),
          'X-Vantage-Marks': JSON.stringify(f.marks),
          'Server-Timing': `render;dur=${f.renderMs.toFixed(1)}, encode;dur=${f.encodeMs.toFixed(1)}`,
        },
      };
    },
    '/api/map': ({ query }) => ({ type: 'text/html; charset=utf-8', body: need().map(livePose(query.get('pose'))) }),
    ...o.routes,
  };
  const server = await startViewerServer({ routes, fileRoot: o.fileRoot, host: o.host, port: o.port });
  token = server.token;
  return {
    server,
    url: server.url,
    setView: (v) => {
      view = v;
      version++;
    },
    sceneVersion: () => version,
    close: () => server.close(),
  };
}

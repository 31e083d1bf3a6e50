// The synthesized dashboard body, read back as CloudWatch will read it, and drawn as an SVG of
// its layout (each widget's grid rectangle and title) for the README.
import { Template } from 'aws-cdk-lib/assertions';

export interface DashboardWidget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, any>;
}

/**
 * A token in the body (`{ Ref }`, `{ Fn::GetAtt }`, …) as a readable placeholder without quotes,
 * so the joined body parses as JSON and a test can see which resource a widget names.
 */
function placeholder(part: unknown): string {
  const p = part as Record<string, any>;
  if (typeof p.Ref === 'string') return `<Ref ${p.Ref}>`;
  if (Array.isArray(p['Fn::GetAtt'])) return `<GetAtt ${p['Fn::GetAtt'].join('.')}>`;
  return `<${JSON.stringify(part).replace(/["\\]/g, '')}>`;
}

/** The widgets of the template's only dashboard. */
export function dashboardWidgets(template: Template): DashboardWidget[] {
  const found = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  if (found.length !== 1) throw new Error(`expected one dashboard, found ${found.length}`);
  const body = found[0].Properties.DashboardBody;
  const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : placeholder(part))).join('');
  return (JSON.parse(text) as { widgets: DashboardWidget[] }).widgets;
}

/** The text a widget shows as its heading: its title, or a text widget's first line. */
export function widgetHeading(widget: DashboardWidget): string {
  if (typeof widget.properties.title === 'string') return widget.properties.title;
  if (typeof widget.properties.markdown === 'string') return widget.properties.markdown.split('\n')[0].replace(/^#+\s*/, '');
  return widget.type;
}

const CELL_X = 50;
const CELL_Y = 28;
const KIND: Record<string, { fill: string; label: string }> = {
  metric: { fill: '#e8f1fb', label: 'graph' },
  log: { fill: '#eef7ea', label: 'log query' },
  alarm: { fill: '#fdf1e4', label: 'alarm status' },
  text: { fill: '#f4f4f4', label: 'text' },
};

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The layout on CloudWatch's 24-column grid: one rectangle per widget at the x, y, width and
 * height the body gives it, with its heading and its kind.
 */
export function renderDashboardSvg(widgets: readonly DashboardWidget[]): string {
  const rows = Math.max(...widgets.map((w) => w.y + w.height));
  const width = 24 * CELL_X;
  const height = rows * CELL_Y;
  const rects = widgets.map((w) => {
    const kind = KIND[w.type] ?? { fill: '#ffffff', label: w.type };
    const [x, y, wd, ht] = [w.x * CELL_X, w.y * CELL_Y, w.width * CELL_X, w.height * CELL_Y];
    return [
      `  <g>`,
      `    <rect x="${x + 2}" y="${y + 2}" width="${wd - 4}" height="${ht - 4}" rx="4" fill="${kind.fill}" stroke="#5b6b7b"/>`,
      `    <text x="${x + 10}" y="${y + 20}" font-size="13" font-weight="bold">${escape(widgetHeading(w))}</text>`,
      `    <text x="${x + 10}" y="${y + 38}" font-size="11" fill="#5b6b7b">${kind.label}, ${w.width}×${w.height}</text>`,
      `  </g>`,
    ].join('\n');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `  <rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...rects,
    '</svg>',
    '',
  ].join('\n');
}

import { STATEFUL_TYPES } from './stateful-resources';

/** What `test/lib/logical-ids.json` records of a template. */
export interface LogicalIdPins {
  /** Every resource: logical ID → type. */
  readonly resources: Record<string, string>;
  /** Every stateful resource: logical ID → its create-only properties as synthesized. */
  readonly createOnly: Record<string, Record<string, unknown>>;
}

interface TemplateJson {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
}

/** The pins of a template, as `npm run pin:logical-ids` writes them. */
export function pinsOf(template: TemplateJson): LogicalIdPins {
  const resources: Record<string, string> = {};
  const createOnly: Record<string, Record<string, unknown>> = {};
  for (const [id, resource] of Object.entries(template.Resources).sort(([a], [b]) => a.localeCompare(b))) {
    resources[id] = resource.Type;
    const stateful = STATEFUL_TYPES[resource.Type];
    if (!stateful) continue;
    const props = resource.Properties ?? {};
    createOnly[id] = Object.fromEntries(stateful.createOnly.filter((p) => p in props).map((p) => [p, props[p]]));
  }
  return { resources, createOnly };
}

/**
 * What an existing stack would suffer from `template`: every stateful pinned resource that is
 * gone (its logical ID changed), retyped, or has a create-only property changed. Empty when no
 * stateful resource would be replaced.
 */
export function replacements(pins: LogicalIdPins, template: TemplateJson): string[] {
  const found: string[] = [];
  for (const [id, values] of Object.entries(pins.createOnly)) {
    const type = pins.resources[id];
    const holds = STATEFUL_TYPES[type]?.holds ?? 'state';
    const now = template.Resources[id];
    if (!now) {
      found.push(`${id} (${type}, holding ${holds}) is gone: a changed logical ID replaces it in every existing stack`);
      continue;
    }
    if (now.Type !== type) {
      found.push(`${id} was ${type} and is now ${now.Type}: CloudFormation replaces it, losing ${holds}`);
      continue;
    }
    const props = now.Properties ?? {};
    for (const property of STATEFUL_TYPES[type]?.createOnly ?? []) {
      const before = JSON.stringify(values[property]);
      const after = JSON.stringify(props[property]);
      if (before !== after) found.push(`${id}.${property} changed from ${before ?? 'unset'} to ${after ?? 'unset'}: this replaces ${type} ${id}, losing ${holds}`);
    }
  }
  return found;
}

/** Resources added and removed since the pins, any type. */
export function unpinned(pins: LogicalIdPins, template: TemplateJson): { added: string[]; removed: string[]; retyped: string[] } {
  const now = pinsOf(template).resources;
  return {
    added: Object.keys(now).filter((id) => !(id in pins.resources)).map((id) => `${id}: ${now[id]}`),
    removed: Object.keys(pins.resources).filter((id) => !(id in now)).map((id) => `${id}: ${pins.resources[id]}`),
    retyped: Object.keys(now).filter((id) => id in pins.resources && pins.resources[id] !== now[id]).map((id) => `${id}: ${pins.resources[id]} → ${now[id]}`),
  };
}

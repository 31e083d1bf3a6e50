// The state record parameter (SSM).
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { StateRecord, parseStateRecord, serialiseStateRecord } from '../core/state';
import { StateStore } from '../core/ports';
import { Clients, errorName } from './clients';

/** The parameter's value, or null when it does not exist. */
export async function readParameter(c: Clients<'ssm'>, name: string): Promise<string | null> {
  try {
    const out = await c.ssm.send(new GetParameterCommand({ Name: name }));
    return out.Parameter?.Value ?? null;
  } catch (err) {
    if (errorName(err) === 'ParameterNotFound') return null;
    throw err;
  }
}

/** null when absent ("slot a live, nothing released"); throws InputError when malformed. */
export async function readState(c: Clients<'ssm'>, name: string): Promise<StateRecord | null> {
  return parseStateRecord(await readParameter(c, name));
}

export async function writeState(c: Clients<'ssm'>, name: string, record: StateRecord): Promise<void> {
  await c.ssm.send(new PutParameterCommand({ Name: name, Value: serialiseStateRecord(record), Type: 'String', Overwrite: true, Tier: 'Standard' }));
}

export function ssmStateStore(c: Clients<'ssm'>, name: string): StateStore {
  return { read: () => readState(c, name), write: (record) => writeState(c, name, record) };
}

// The state record and the release lease (SSM Parameter Store), both SecureString parameters
// sealed with the control plane's KMS key.
import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { InputError } from '../core/config';
import { LeaseRecord, freeLease, generationOfName, leaseParameterName, parseLease, serialiseLease } from '../core/lease';
import { StateRecord, parseStateRecord, serialiseStateRecord } from '../core/state';
import { LeaseStore, RollbackRequestStore, StateStore, WrittenRequest } from '../core/ports';
import { Clients, errorName } from './clients';

/**
 * Intelligent-Tiering keeps a parameter in the standard tier unless the value needs the advanced
 * one, and writes an advanced parameter without error: "you can't revert an advanced parameter to a
 * standard parameter" (SSM API reference, PutParameter, Tier), so `Tier: Standard` would fail every
 * write to a record that someone once grew (or replaced) past 4 KB.
 */
const TIER = 'Intelligent-Tiering';

/** The parameter's value (decrypted), or null when it does not exist. */
export async function readParameter(c: Clients<'ssm'>, name: string): Promise<string | null> {
  try {
    const out = await c.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return out.Parameter?.Value ?? null;
  } catch (err) {
    if (errorName(err) === 'ParameterNotFound') return null;
    throw err;
  }
}

/** The key id (the UUID) in a KMS key ARN or id, for comparing what SSM reports with what we use. */
export function kmsKeyId(keyIdOrArn: string): string {
  return keyIdOrArn.slice(keyIdOrArn.lastIndexOf('/') + 1);
}

/** Why the parameter is not sealed with `keyArn` (type and key from DescribeParameters), or null when it is. */
async function sealProblem(c: Clients<'ssm'>, name: string, keyArn: string): Promise<string | null> {
  const out = await c.ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] }));
  const meta = out.Parameters?.find((p) => p.Name === name);
  if (!meta) return null; // deleted between the two reads: the value read is what counts
  if (meta.Type !== 'SecureString') return `it is a ${meta.Type ?? 'plain'} parameter, not a SecureString sealed with the control plane's key`;
  if (!meta.KeyId || kmsKeyId(meta.KeyId) !== kmsKeyId(keyArn)) return `it is encrypted with ${meta.KeyId ?? 'an unknown key'}, not the control plane's key`;
  return null;
}

/**
 * null when absent ("slot a live, nothing released"); throws InputError when malformed or when it
 * is not sealed with `keyArn`: then anyone with ssm:PutParameter may have written it.
 */
export async function readState(c: Clients<'ssm'>, name: string, keyArn?: string): Promise<StateRecord | null> {
  const [raw, problem] = await Promise.all([readParameter(c, name), keyArn ? sealProblem(c, name, keyArn) : Promise.resolve(null)]);
  if (raw !== null && problem !== null) throw new InputError(`The state record ${name} is not trusted: ${problem}.`);
  return parseStateRecord(raw);
}

export async function writeState(c: Clients<'ssm'>, name: string, keyArn: string, record: StateRecord): Promise<void> {
  await c.ssm.send(
    new PutParameterCommand({ Name: name, Value: serialiseStateRecord(record), Type: 'SecureString', KeyId: keyArn, Overwrite: true, Tier: TIER }),
  );
}

export function ssmStateStore(c: Clients<'ssm'>, name: string, keyArn: string): StateStore {
  return { read: () => readState(c, name, keyArn), write: (record) => writeState(c, name, keyArn, record) };
}

// ---- the lease

/** Every generation under `path` (all pages), newest last. */
async function listLease(c: Clients<'ssm'>, path: string): Promise<{ name: string; generation: number; value: string }[]> {
  const found: { name: string; generation: number; value: string }[] = [];
  let nextToken: string | undefined;
  do {
    const out = await c.ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: false, WithDecryption: true, ...(nextToken ? { NextToken: nextToken } : {}) }));
    for (const p of out.Parameters ?? []) {
      const generation = p.Name ? generationOfName(p.Name) : null;
      if (generation !== null && p.Value !== undefined) found.push({ name: p.Name!, generation, value: p.Value });
    }
    nextToken = out.NextToken;
  } while (nextToken);
  return found.sort((x, y) => x.generation - y.generation);
}

/** Generations kept behind the newest one, for the audit trail; older ones are deleted. */
const KEEP_GENERATIONS = 2;

/** The newest lease generation (the CLI's read). */
export async function readLease(c: Clients<'ssm'>, config: { leaseParameterPath: string; stateKeyArn: string }): Promise<LeaseRecord> {
  return ssmLeaseStore(c, config.leaseParameterPath, config.stateKeyArn).read();
}

export function ssmLeaseStore(c: Clients<'ssm'>, path: string, keyArn: string): LeaseStore {
  return {
    async read(): Promise<LeaseRecord> {
      const all = await listLease(c, path);
      const newest = all[all.length - 1];
      return newest ? parseLease(newest.value, newest.generation) : freeLease();
    },
    async write(next: LeaseRecord): Promise<'written' | 'lost'> {
      const name = leaseParameterName(path, next.generation);
      try {
        await c.ssm.send(new PutParameterCommand({ Name: name, Value: serialiseLease(next), Type: 'SecureString', KeyId: keyArn, Overwrite: false, Tier: TIER }));
      } catch (err) {
        if (errorName(err) !== 'ParameterAlreadyExists') throw err;
        // Ours, when an earlier attempt's response was lost and the SDK retried; else a rival won.
        const existing = await readParameter(c, name);
        if (existing === null || parseLease(existing, next.generation).writer !== next.writer) return 'lost';
      }
      await prune(c, path, next.generation);
      return 'written';
    },
  };
}

/** Best effort: generations older than the kept ones go; a failure leaves them for the next write. */
async function prune(c: Clients<'ssm'>, path: string, newest: number): Promise<void> {
  const stale = newest - KEEP_GENERATIONS;
  if (stale < 1) return;
  try {
    await c.ssm.send(new DeleteParameterCommand({ Name: leaseParameterName(path, stale) }));
  } catch {
    // ParameterNotFound (pruned already) or transient: nothing depends on it.
  }
}

/**
 * The rollback request parameter's newest version: its value (the reason), and who wrote it and
 * when, as Parameter Store recorded them (DescribeParameters: LastModifiedUser, LastModifiedDate).
 * Read twice if a write lands between the two calls, so value and writer are of one version.
 */
export function ssmRollbackRequests(c: Clients<'ssm'>, name: string): RollbackRequestStore {
  return {
    latest: async (): Promise<WrittenRequest | null> => {
      for (let round = 0; round < 3; round++) {
        let value;
        try {
          value = (await c.ssm.send(new GetParameterCommand({ Name: name }))).Parameter;
        } catch (err) {
          if (errorName(err) === 'ParameterNotFound') return null;
          throw err;
        }
        const meta = (await c.ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] }))).Parameters?.find((p) => p.Name === name);
        if (!value || !meta || meta.Version !== value.Version) continue;
        return { version: value.Version ?? 0, value: value.Value ?? '', by: meta.LastModifiedUser ?? null, at: meta.LastModifiedDate?.toISOString() ?? null };
      }
      throw new Error(`the rollback request ${name} kept changing while it was read`);
    },
  };
}

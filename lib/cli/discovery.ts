import type { AwsClients } from './aws';
import { parseReleaseConfig, readParameter, readState, type ReleaseConfig, type StateRecord } from './control-plane';
import { CliError, errorMessage } from './errors';

/** A pipeline found by name: nobody pastes ARNs. */
export interface Pipeline {
  readonly name: string;
  readonly config: ReleaseConfig;
  /** null: nothing released yet (the first swap creates the record). */
  readonly state: StateRecord | null;
}

export const configParameterName = (pipeline: string) => `/bluegreen/${pipeline}/config`;

/** Reads the config the construct stored for the CLI, then the state record it names. */
export async function discoverPipeline(aws: AwsClients, name: string): Promise<Pipeline> {
  const paramName = configParameterName(name);
  const rawConfig = await readParameter(aws, paramName);
  if (rawConfig === null) {
    throw new CliError(
      `unknown pipeline ${name} (no ${paramName} parameter in ${aws.region}; is the stack deployed in this account and region?)`,
      'unknown-pipeline',
    );
  }
  let config: ReleaseConfig;
  try {
    config = parseReleaseConfig(rawConfig);
  } catch (err) {
    throw new CliError(`${paramName} is not a release config this CLI understands: ${errorMessage(err)}`, 'bad-config');
  }
  let state: StateRecord | null;
  try {
    state = await readState(aws, config.stateParameterName);
  } catch (err) {
    if ((err as Error)?.name !== 'InputError') throw err;
    throw new CliError(`${config.stateParameterName} is not a state record this CLI understands: ${errorMessage(err)}`, 'bad-state');
  }
  return { name, config, state };
}

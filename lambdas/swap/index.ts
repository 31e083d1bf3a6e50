import { InvocationContext, RollbackResult } from '../core/events';

export const handler = async (event: unknown, context?: InvocationContext): Promise<RollbackResult | void> => {
  void event;
  void context;
};

import { InvocationContext } from '../core/events';

export const handler = async (event: unknown, context?: InvocationContext): Promise<void> => {
  void event;
  void context;
};

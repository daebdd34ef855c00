export const handler = async () => {
  throw new Error('orchestrator handler is not built yet');
};

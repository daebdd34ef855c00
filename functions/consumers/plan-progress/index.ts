export const handler = async () => {
  throw new Error('consumers/plan-progress handler is not built yet');
};

export const handler = async () => {
  throw new Error('consumers/analytics handler is not built yet');
};

export const handler = async () => {
  throw new Error('consumers/audit handler is not built yet');
};

export const handler = async () => {
  throw new Error('workers/query handler is not built yet');
};
